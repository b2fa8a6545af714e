"""Asset checks on the data a node returned: the YAML ``checks:`` block and the catalog's pandera schemas.

Each check becomes a Dagster ``AssetCheckSpec`` of the step's multi-asset, and the step yields
its ``AssetCheckResult`` right after the dataset is saved, on the value in memory (the same value
the run-time metadata is read from: ``saved_values.SavedValues``), so a check never loads data
again. ``blocking: true`` is Dagster's blocking check: when it fails, Dagster fails the step
after its outputs, and the steps downstream do not run.

At load time everything comes from the YAML and the snapshot: no project code and no pandera
is imported (a ``function`` check and a pandera schema are imported in the step that runs it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.definitions.utils import is_valid_name
from pydantic import ConfigDict

from dagster_kedro import pandera_checks
from dagster_kedro.check_evaluation import CHUNKED, run_check
from dagster_kedro.errors import KedroComponentError, SuggestsFieldNames, did_you_mean
from dagster_kedro.steps import StepPlan, python_identifier

KINDS = ("row_count", "columns", "not_null", "unique", "function")


class RowCountBounds(dg.Model):
    """Inclusive bounds of the number of rows (``len`` of the value); either may be left out."""

    model_config = ConfigDict(extra="forbid")
    min: int | None = None
    max: int | None = None


class DatasetCheckSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """One check of a dataset: exactly one of the kinds, plus how it is named and whether it blocks."""

    model_config = ConfigDict(extra="forbid")
    row_count: RowCountBounds | None = None
    columns: dict[str, str | None] | None = None
    not_null: list[str] | None = None
    unique: list[str] | None = None
    function: str | None = None
    blocking: bool = False
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class DatasetCheck:
    """A validated check: which dataset, its Dagster name, its kind and argument."""

    dataset: str
    name: str
    kind: str  # one of KINDS, or "pandera"
    argument: Any
    blocking: bool
    description: str

    def spec(self, key: dg.AssetKey) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=key, description=self.description, blocking=self.blocking)


def _describe(kind: str, argument: Any) -> str:
    if kind == "row_count":
        low, high = argument
        return f"Row count between {low if low is not None else '-inf'} and {high if high is not None else 'inf'}."
    if kind == "columns":
        return "Columns present" + (f" with dtypes {argument}" if any(argument.values()) else f": {list(argument)}") + "."
    if kind == "not_null":
        return f"No null values in {argument}."
    if kind == "unique":
        return f"No duplicate values in {argument}."
    return f"{argument}(value) passes."


def build_checks(
    yaml_checks: Mapping[str, list[DatasetCheckSpec]], plan: StepPlan, source: Path | None, pandera_here: bool = True
) -> dict[str, list[DatasetCheck]]:
    """dataset -> its checks: the YAML's, validated against the plan's assets, then one pandera
    check per asset whose catalog entry names a schema (which needs pandera here, unless the
    checks run in the project's own interpreter: ``pandera_here`` false)."""
    assets = plan.asset_steps
    checks: dict[str, list[DatasetCheck]] = {}
    for dataset, entries in yaml_checks.items():
        if dataset not in assets:
            raise KedroComponentError(
                f"'{dataset}' is not a dataset that a step of the selected pipelines materializes.",
                source=source,
                field=f"checks.{dataset}",
                fix=f"key checks by the name of a dataset written by a node (assets here: {sorted(assets)[:20]})."
                + did_you_mean(dataset, sorted(assets)),
            )
        checks[dataset] = [_check(dataset, index, entry, source) for index, entry in enumerate(entries)]
    for dataset in assets:
        schema = plan.snapshot.dataset(dataset).pandera_schema
        if schema is not None:
            if pandera_here:
                pandera_checks.require_pandera(dataset, source)
            checks.setdefault(dataset, []).append(
                DatasetCheck(dataset, "pandera", "pandera", schema, False, pandera_checks.describe(schema))
            )
    for dataset, found in checks.items():
        names = [c.name for c in found]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise KedroComponentError(
                f"dataset '{dataset}' has two checks named {twice[0]!r}.",
                source=source,
                field=f"checks.{dataset}",
                value=twice[0],
                fix="give one of them a `name` of its own (the pandera check of a catalog schema is named 'pandera').",
            )
    return checks


def _check(dataset: str, index: int, entry: DatasetCheckSpec, source: Path | None) -> DatasetCheck:
    where = f"checks.{dataset}[{index}]"
    given = [kind for kind in KINDS if getattr(entry, kind) is not None]
    if len(given) != 1:
        raise KedroComponentError(
            f"a check needs exactly one of {list(KINDS)}; this one has {given or 'none'}.",
            source=source,
            field=where,
            value=entry.model_dump(exclude_defaults=True),
            fix="write one check per list item, e.g. `- not_null: [a]` then `- unique: [a]`.",
        )
    kind = given[0]
    argument = getattr(entry, kind)
    if kind == "row_count":
        argument = (argument.min, argument.max)
        if argument == (None, None) or (None not in argument and argument[0] > argument[1]):
            raise KedroComponentError(
                "row_count needs a `min`, a `max` or both, with min <= max.",
                source=source, field=f"{where}.row_count", value={"min": argument[0], "max": argument[1]},
                fix="e.g. `row_count: {min: 1}` or `row_count: {min: 10, max: 1000}`.",
            )
    elif kind in ("not_null", "unique", "columns") and not argument:
        raise KedroComponentError(
            f"{kind} names no column.", source=source, field=f"{where}.{kind}", value=argument,
            fix=f"list the columns, e.g. `{kind}: " + ("{id: int64, name: null}`." if kind == "columns" else "[id]`."),
        )
    elif kind == "function":
        module, _, attribute = argument.partition(":")
        if not module or not attribute:
            raise KedroComponentError(
                "function must be '<module>:<function>' (imported in the step, called with the value).",
                source=source, field=f"{where}.function", value=argument,
                fix="e.g. `function: my_package.checks:has_no_negative_prices`.",
            )
    default_name = python_identifier(argument.partition(":")[2]) if kind == "function" else kind
    name = entry.name or default_name
    if not is_valid_name(name):
        raise KedroComponentError(
            f"check name {name!r} is not a valid Dagster name (letters, digits and underscores only).",
            source=source, field=f"{where}.name", value=name, fix=f"use e.g. name: {python_identifier(name)}.",
        )
    return DatasetCheck(dataset, name, kind, argument, entry.blocking, entry.description or _describe(kind, argument))


def check_specs(checks: Mapping[str, list[DatasetCheck]], datasets: list[str], keys: Mapping[str, dg.AssetKey]) -> list[dg.AssetCheckSpec]:
    """The check specs of one step's multi-asset."""
    return [check.spec(keys[d]) for d in datasets for check in checks.get(d, [])]


def evaluate(check: DatasetCheck, key: dg.AssetKey, value: Any, project_path: str, whole: bool = True) -> dg.AssetCheckResult:
    """Run ``check`` on the value its node returned. A check that cannot run on the value (not a
    DataFrame, a failing import, a check function that raises) fails, saying why; one whose
    dataset a generator node saved chunk by chunk (no ``whole`` value) fails with a warning."""
    if not whole:
        return dg.AssetCheckResult(
            asset_key=key, check_name=check.name, passed=False, severity=dg.AssetCheckSeverity.WARN,
            metadata={"error": CHUNKED},
        )
    passed, metadata = run_check(check.kind, check.argument, value, project_path, (bool, dg.AssetCheckResult))
    if "sample" in metadata:
        metadata["sample"] = dg.MetadataValue.json(metadata["sample"])
    if isinstance(passed, dg.AssetCheckResult):
        result = passed
        return dg.AssetCheckResult(
            asset_key=key, check_name=check.name, passed=result.passed, severity=result.severity,
            metadata=result.metadata, description=result.description,
        )
    return dg.AssetCheckResult(asset_key=key, check_name=check.name, passed=bool(passed), metadata=metadata)
