"""Errors a user can act on: each names the file, the field, the bad value and the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


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
