"""Errors a user can act on: each names the file, the field, the bad value and the fix."""

from __future__ import annotations

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
    """A Kedro node raised; the original exception is chained as ``__cause__``."""

    def __init__(self, node_name: str, error: BaseException):
        self.node_name = node_name
        super().__init__(f"Kedro node '{node_name}' failed: {type(error).__name__}: {error}")
