"""Evaluating one asset check on the value a node returned, without dagster.

The checks of ``checks`` (the YAML ``checks:`` block and the catalog's pandera schemas) run where
the node ran: in the code location's interpreter for an in-process step (``checks.evaluate`` turns
the outcome into an ``AssetCheckResult``), and in the project's own interpreter for a project with
``python_executable`` (``pipes_runner`` reports it through Pipes), where there is no dagster. So
the outcome here is plain data: passed, and metadata of plain values, a ``sample`` entry holding
records that each side reports as JSON metadata.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

from dagster_kedro.run_metadata import kind_of, sample_records

CHUNKED = "the node saved this dataset chunk by chunk (a generator node): no whole value to check"
"""Why a check of a dataset without a whole value fails (with severity WARN)."""


def run_check(
    kind: str, argument: Any, value: Any, project_path: str, results: tuple[type, ...] = (bool,)
) -> tuple[Any, dict[str, Any]]:
    """Run the check of ``kind`` on ``value``: passed (a bool, or what a ``function`` check returned
    among the ``results`` types) and its metadata. A check that cannot run on the value (not a
    DataFrame, a failing import, a check function that raises) fails, saying why."""
    try:
        return _run(kind, argument, value, project_path, results)
    except Exception as error:  # the check's own failure is the check's result, shown on the asset
        return False, {"error": f"{type(error).__name__}: {error}"}


def _run(kind: str, argument: Any, value: Any, project_path: str, results: tuple[type, ...]) -> tuple[Any, dict[str, Any]]:
    if kind == "function":
        module, _, attribute = argument.partition(":")
        result = getattr(importlib.import_module(module), attribute)(value)
        if not isinstance(result, results):
            wanted = " or ".join("an AssetCheckResult" if t is not bool else "a bool" for t in results)
            raise TypeError(f"{argument} returned {type(result).__name__}, not {wanted}")
        return result, {}
    if kind == "pandera":
        if importlib.util.find_spec("pandera") is None:
            raise ModuleNotFoundError(f"pandera is not installed: {sys.executable} -m pip install pandera")
        from dagster_kedro import pandera_checks

        return pandera_checks.validate(argument, value, project_path)
    if kind == "row_count":
        rows, (low, high) = len(value), argument
        return (low is None or rows >= low) and (high is None or rows <= high), {"row_count": rows}
    frame_kind = kind_of(value)
    if frame_kind is None:
        raise TypeError(f"{kind} checks a pandas or polars DataFrame, not a {type(value).__name__}")
    present = [str(c) for c in value.columns]
    wanted = list(argument)
    missing = [c for c in wanted if c not in present]
    if missing:
        return False, {"missing_columns": missing, "columns": present}
    if kind == "columns":
        dtypes = {str(c): str(value[c].dtype) for c in wanted}
        wrong = {c: dtypes[c] for c, want in argument.items() if want and dtypes[c].lower() != want.lower()}
        return not wrong, {"dtypes": dtypes, **({"wrong_dtypes": wrong} if wrong else {})}
    failing = _failing_rows(frame_kind, value, wanted, kind)
    metadata: dict[str, Any] = {"failing_rows": int(failing.sum())}
    if metadata["failing_rows"]:
        sample = value[failing] if frame_kind == "pandas" else value.filter(failing)
        metadata["sample"] = sample_records(frame_kind, sample[wanted])
    return metadata["failing_rows"] == 0, metadata


def _failing_rows(kind: str, frame: Any, columns: list[str], check_kind: str) -> Any:
    """A boolean mask (Series) of the rows failing ``not_null`` or ``unique`` on ``columns``."""
    if kind == "pandas":
        if check_kind == "not_null":
            return frame[columns].isna().any(axis=1)
        return frame.duplicated(subset=columns, keep=False)
    import polars as pl  # the value is a polars frame: polars is installed

    if check_kind == "not_null":
        return frame.select(pl.any_horizontal(pl.col(columns).is_null())).to_series()
    return frame.select(columns).is_duplicated()
