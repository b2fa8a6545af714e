"""Partitions declared in YAML: a PartitionsDefinition for the datasets marked as partitioned.

The partition key of a run (and, for time windows, the window's start and end) reaches Kedro as
runtime params whose names the YAML chooses, so a catalog path such as
``data/${runtime_params:run_date}/orders.csv`` or a node reading ``params:run_date`` works
unchanged. A run over a range of partitions (``backfill_policy: {type: single_run}``) is one
Kedro run: the start param gets the start of the first window, the end param the end of the last,
and the key param ``<first>...<last>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import dagster as dg
from dagster.components.resolved.model import Resolver

from dagster_kedro.errors import KedroComponentError, SuggestsFieldNames, did_you_mean
from dagster_kedro.steps import StepPlan

TIME_TYPES = ("hourly", "daily", "weekly", "monthly")
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


class PartitionParamsSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """Names of the Kedro runtime params that receive the partition (dotted names nest)."""

    key: str | None = None
    start: str | None = None
    end: str | None = None


class BackfillPolicySpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    type: Literal["single_run", "multi_run"] = "multi_run"
    max_partitions_per_run: int = 1


class PartitionsSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """The partitions of the component's partitioned datasets."""

    type: Annotated[
        Literal["hourly", "daily", "weekly", "monthly", "static", "dynamic"],
        Resolver.default(description="Time windows, a static list of keys, or dynamic partitions."),
    ]
    start: Annotated[
        str | None,
        Resolver.default(description="Time windows: first partition start, e.g. '2024-01-01'."),
    ] = None
    end: str | None = None
    timezone: str | None = None
    end_offset: int = 0
    fmt: str | None = None
    keys: Annotated[list[str] | None, Resolver.default(description="static: the partition keys.")] = None
    name: Annotated[str | None, Resolver.default(description="dynamic: the partitions' name.")] = None
    datasets: Annotated[
        list[str] | None,
        Resolver.default(
            description="Datasets that are partitioned (assets written by the selected nodes). "
            "Default: every dataset the selected nodes write. The others stay unpartitioned.",
            examples=[["orders", "daily_summary"]],
        ),
    ] = None
    runtime_params: Annotated[
        PartitionParamsSpec,
        Resolver.default(
            description="Runtime param names receiving the partition key (key) and, for time "
            "windows, the window start and (exclusive) end, formatted like the keys.",
            examples=[{"key": "run_date", "start": "start_date", "end": "end_date"}],
        ),
    ] = PartitionParamsSpec()
    backfill_policy: BackfillPolicySpec | None = None


def partitions_definition(spec: PartitionsSpec, source: Path | None) -> dg.PartitionsDefinition:
    def fail(problem: str, field_name: str, value: Any, fix: str) -> KedroComponentError:
        return KedroComponentError(problem, source=source, field=f"partitions.{field_name}", value=value, fix=fix)

    if spec.type in TIME_TYPES:
        if not spec.start:
            raise fail(f"{spec.type} partitions need a start.", "start", None, "add start: '2024-01-01'.")
        cls = {
            "hourly": dg.HourlyPartitionsDefinition,
            "daily": dg.DailyPartitionsDefinition,
            "weekly": dg.WeeklyPartitionsDefinition,
            "monthly": dg.MonthlyPartitionsDefinition,
        }[spec.type]
        kwargs: dict[str, Any] = {"start_date": spec.start, "end_offset": spec.end_offset}
        if spec.end:
            kwargs["end_date"] = spec.end
        if spec.timezone:
            kwargs["timezone"] = spec.timezone
        if spec.fmt:
            kwargs["fmt"] = spec.fmt
        try:
            return cls(**kwargs)
        except Exception as error:
            raise fail(f"invalid {spec.type} partitions: {error}", "start", spec.start,
                       "use dates like '2024-01-01' (hourly: '2024-01-01-00:00') and an IANA timezone.") from None
    if spec.type == "static":
        if not spec.keys:
            raise fail("static partitions need keys.", "keys", spec.keys, "add keys: [eu, us].")
        return dg.StaticPartitionsDefinition(list(spec.keys))
    if not spec.name:
        raise fail("dynamic partitions need a name.", "name", None, "add name: regions.")
    return dg.DynamicPartitionsDefinition(name=spec.name)


class PartitionPlan:
    def __init__(self, spec: PartitionsSpec, plan: StepPlan, source: Path | None):
        self.spec, self.plan, self.source = spec, plan, source
        self.partitions_def = partitions_definition(spec, source)
        written = {d for step in plan.steps for d in step.assets}
        if spec.datasets is None:
            self.datasets = written
        else:
            unknown = [d for d in spec.datasets if d not in written]
            if unknown:
                raise KedroComponentError(
                    f"partitioned datasets {unknown} are not written by the selected nodes.",
                    source=source,
                    field="partitions.datasets",
                    value=unknown,
                    fix=f"name datasets that become assets of this component, e.g. {sorted(written)[:5]}."
                    + did_you_mean(unknown[0], sorted(written)),
                )
            self.datasets = set(spec.datasets)
        for step in plan.steps:
            marked = [d for d in step.assets if d in self.datasets]
            if marked and len(marked) != len(step.assets):
                raise KedroComponentError(
                    f"step '{step.name}' writes partitioned {marked} and unpartitioned "
                    f"{[d for d in step.assets if d not in self.datasets]}; one step has one partitioning.",
                    source=source,
                    field="partitions.datasets",
                    fix="mark all or none of them, or use group_by: node.",
                )
            for dataset in step.stored_inputs:
                if dataset in self.datasets and not marked:
                    raise KedroComponentError(
                        f"memory dataset '{dataset}' crosses from a partitioned step to the unpartitioned "
                        f"step '{step.name}'.",
                        source=source,
                        field="partitions.datasets",
                        fix=f"declare '{dataset}' in the catalog, or partition the reading step too.",
                    )
        policy = spec.backfill_policy
        if policy is None:
            self.backfill_policy = None
        elif policy.type == "single_run":
            self.backfill_policy = dg.BackfillPolicy.single_run()
        else:
            self.backfill_policy = dg.BackfillPolicy.multi_run(policy.max_partitions_per_run)

    def any_partitioned(self, datasets: list[str]) -> bool:
        return any(d in self.datasets for d in datasets)

    def asset_specs(self, specs: dict[str, dg.AssetSpec]) -> dict[str, dg.AssetSpec]:
        keys = {dataset: spec.key for dataset, spec in specs.items()}
        partitioned_keys = {keys[d] for d in self.datasets if d in keys}
        result = {}
        for dataset, spec in specs.items():
            if dataset in self.datasets:
                spec = spec.replace_attributes(partitions_def=self.partitions_def)
            else:
                deps = [
                    dg.AssetDep(dep.asset_key, partition_mapping=dg.AllPartitionMapping())
                    if dep.asset_key in partitioned_keys
                    else dep
                    for dep in spec.deps
                ]
                spec = spec.replace_attributes(deps=deps)
            result[dataset] = spec
        return result

    def params_for_run(self, tags: Mapping[str, str]) -> dict[str, Any]:
        """Runtime params for a run's partition (or partition range); {} for unpartitioned runs."""
        if tags.get(PARTITION_TAG):
            first = last = tags[PARTITION_TAG]
        elif tags.get(RANGE_START_TAG) and tags.get(RANGE_END_TAG):
            first, last = tags[RANGE_START_TAG], tags[RANGE_END_TAG]
        else:
            return {}
        names = self.spec.runtime_params
        result: dict[str, Any] = {}
        if names.key:
            result[names.key] = first if first == last else f"{first}...{last}"
        if isinstance(self.partitions_def, dg.TimeWindowPartitionsDefinition):
            fmt = self.partitions_def.fmt
            start = self.partitions_def.time_window_for_partition_key(first).start.strftime(fmt)
            end = self.partitions_def.time_window_for_partition_key(last).end.strftime(fmt)
        else:
            start, end = first, last
        if names.start:
            result[names.start] = start
        if names.end:
            result[names.end] = end
        return result


def load_time_params(spec: PartitionsSpec | None) -> dict[str, str]:
    """Placeholders for the partition params while reading the project (see PartitionPlan)."""
    if spec is None:
        return {}
    names = spec.runtime_params
    return {name: f"<{name}>" for name in (names.key, names.start, names.end) if name}
