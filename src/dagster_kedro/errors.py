"""Errors a user can act on: each names the file, the field, the bad value and the fix."""

from __future__ import annotations

import copy
import difflib
import functools
import os
import re
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, create_model, model_validator

_PACKAGE_DIR = str(Path(__file__).parent) + os.sep


class KedroComponentError(Exception):
    """The component's YAML, or the Kedro project it points at, cannot be turned into Definitions."""

    def __init__(
        self,
        problem: str,
        *,
        source: Path | str | None = None,
        field: str | None = None,
        entry: str | None = None,
        value: Any = None,
        fix: str | None = None,
    ):
        """``field`` is an attribute of the component's YAML; ``entry`` a key of another file
        (``source``), e.g. ``companies.type`` of a Kedro catalog file."""
        self.problem, self.source, self.field, self.entry, self.value, self.fix = (
            problem,
            source,
            field,
            entry,
            value,
            fix,
        )
        where = str(source) if source else "dagster_kedro.KedroProjectComponent"
        if field or entry:
            where += f": attributes.{field}" if field else f": {entry}"
            if value is not None:
                where += f" = {value!r}"
        message = f"{where}\n  {problem}"
        if fix:
            message += f"\n  Fix: {fix}"
        super().__init__(message)

    def for_user(self, source: Path | str) -> KedroComponentError:
        """This error as the user is shown it: located at ``source`` (the component's YAML) when
        it names no file, without the traceback of the dagster_kedro code that found it (the
        message says all of it); its cause (Kedro's, or the project's, error), to raise it from,
        loses its frames of dagster_kedro too. Python still records the one frame that
        raises it; Dagster hides it too when dagster-kedro is installed in ``site-packages``."""
        error = self
        if self.source is None:
            error = KedroComponentError(
                self.problem, source=source, field=self.field, entry=self.entry, value=self.value, fix=self.fix
            )
        _without_own_frames(self.__cause__)
        return error.with_traceback(None)


def did_you_mean(value: Any, choices: Iterable[Any]) -> str:
    """`` Did you mean 'x'?`` for the closest of ``choices`` to a misspelt ``value`` (difflib's
    ratio of 0.6 or more), else ``""``: the tail of a :class:`KedroComponentError` fix."""
    names = {str(choice): choice for choice in choices}
    close = difflib.get_close_matches(str(value), list(names), n=1)
    return f" Did you mean {names[close[0]]!r}?" if close else ""


class SuggestsFieldNames:
    """Mixin of a ``dg.Resolvable`` (before it in the bases): its YAML model, which forbids unknown
    keys, says which field an unknown key resembles (``pipelnes``: ``Did you mean
    'pipelines'?``), else lists the fields. Nested models (a job, an executor, ...) validate with
    their own ``model()``, so each names its own fields."""

    @classmethod
    def model(cls) -> type[BaseModel]:
        return _suggesting(super().model())  # type: ignore[misc]


@functools.cache  # one class per Dagster model class, as Dagster derives one per Resolvable class
def _suggesting(model: type[BaseModel]) -> type[BaseModel]:
    def suggest(cls: type[BaseModel], data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as error:
            fields = list(cls.model_fields)
            label = cls.__name__.removesuffix("Model")
            errors = [_suggest_field(e, fields, label) for e in error.errors()]
            raise ValidationError.from_exception_data(error.title, errors) from None

    validators = {"suggest": model_validator(mode="wrap")(suggest)}
    suggesting = create_model(model.__name__, __base__=model, __validators__=validators)
    derive = BaseModel.model_json_schema.__func__  # type: ignore[attr-defined]
    schema = functools.cache(functools.partial(derive, suggesting))

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if cls is not suggesting:  # a subclass model has fields of its own
            return derive(cls, *args, **kwargs)
        return copy.deepcopy(schema(*args, **kwargs))

    # Dagster derives every component type's JSON schema on each definitions load (a `dg launch`
    # loads 5 times, a step process once): 0.1 s each for KedroProjectComponent's; once suffices
    suggesting.model_json_schema = classmethod(model_json_schema)  # type: ignore[method-assign,assignment]
    return suggesting


def _suggest_field(error: Any, fields: list[str], label: str) -> Any:
    """A pydantic error, where an unknown key of this model becomes a ``value_error`` naming the
    closest field: Dagster rebuilds the errors it shows from their type and context, which would
    turn an ``extra_forbidden`` back into pydantic's own sentence."""
    if error["type"] != "extra_forbidden" or len(error["loc"]) != 1:
        return error
    name = str(error["loc"][0])
    hint = did_you_mean(name, fields) or f" Its fields: {', '.join(fields)}."
    problem = ValueError(f"'{name}' is not a field of {label}.{hint}")
    return {"type": "value_error", "loc": error["loc"], "input": error["input"], "ctx": {"error": problem}}


def _without_own_frames(error: BaseException | None) -> None:
    """``error`` and the errors it was raised from or during, their tracebacks without the frames
    of dagster_kedro's own code (what is left points into Kedro and the project)."""
    seen: set[int] = set()
    current = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kept = None
        for frame_tb in reversed(list(_frames(current.__traceback__))):
            if not frame_tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
                kept = types.TracebackType(kept, frame_tb.tb_frame, frame_tb.tb_lasti, frame_tb.tb_lineno)
        current.__traceback__ = kept
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


def _frames(tb: types.TracebackType | None) -> Iterator[types.TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


class KedroNodeError(Exception):
    """A Kedro node raised; the original exception is chained as ``__cause__``.

    ``on_pipeline_error`` gets one too, in place of a node exception raised in another process
    whose type cannot be rebuilt in the run worker: ``error_type`` and ``error_message`` then
    hold the original's (from Dagster's record of the failure).
    """

    def __init__(
        self,
        node_name: str,
        error: BaseException | None = None,
        *,
        error_type: str | None = None,
        error_message: str | None = None,
    ):
        self.node_name = node_name
        self.error_type = type(error).__name__ if error is not None else error_type or "Exception"
        self.error_message = str(error) if error is not None else error_message or ""
        super().__init__(f"Kedro node '{node_name}' failed: {self.error_type}: {self.error_message}")

    @staticmethod
    def node_name_in(message: str) -> str | None:
        """The node named by a KedroNodeError's message (as Dagster recorded it), if any."""
        match = re.search(r"Kedro node '(.+?)' failed: ", message)
        return match.group(1) if match else None


class KedroPipelineError(Exception):
    """Passed to ``on_pipeline_error`` when a Dagster step of the run failed other than by a node
    raising (its process died, its inputs could not be loaded, ...)."""
