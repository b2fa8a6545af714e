"""The YAML attributes of ``KedroProjectComponent``: each field, how it resolves, what it means.

Kept apart from the component's behaviour (``component.py``) because this is the user-facing
interface: every attribute's description and examples here are what ``dg utils
inspect-component`` shows and what docs/reference.md is generated from. Values are checked as
they resolve where the check needs nothing but the value (a bad one is a
:class:`KedroComponentError` naming the field); checks against the Kedro project happen when the
definitions are built.
"""


import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args

import dagster as dg
from dagster._core.definitions.utils import is_valid_name
from dagster.components.resolved.core_models import ResolutionContext
from dagster.components.resolved.errors import ResolutionException
from dagster.components.resolved.model import Resolver
from dagster.components.utils.defs_state import DefsStateConfigArgs
from dagster.components.utils.translation import TranslationFn, TranslationFnResolver
from pydantic import BaseModel

from dagster_kedro.checks import DatasetCheckSpec
from dagster_kedro.concurrency import ConcurrencySpec
from dagster_kedro.errors import KedroComponentError, SuggestsFieldNames, did_you_mean
from dagster_kedro.executors import ExecutorRef, ExecutorSpec
from dagster_kedro.orchestration import KedroJobSpec, NodeOverrideSpec
from dagster_kedro.partitions import PartitionsSpec
from dagster_kedro.schedules import ScheduleSpec, SensorSpec
from dagster_kedro.step_logs import DEFAULT_LOG_LEVEL, resolve_log_level
from dagster_kedro.step_logs import RUN_TAG as LOG_LEVEL_TAG
from dagster_kedro.steps import GroupBy, python_identifier


def _resolve_relative_path(context: ResolutionContext, value: str | None) -> str | None:
    if value is None:
        return None
    return str(context.resolve_source_relative_path(context.resolve_value(value, as_type=str)))


def _resolve_key_prefix(context: ResolutionContext, value: str | list[str]) -> list[str]:
    resolved = context.resolve_value(value)
    parts = resolved.split("/") if isinstance(resolved, str) else [str(p) for p in resolved]
    bad = [p for p in parts if not is_valid_name(p)]
    if bad:
        raise KedroComponentError(
            f"key_prefix part {bad[0]!r} is not a valid asset key part (letters, digits and "
            "underscores only).",
            field="key_prefix",
            value=resolved,
            fix=f"use e.g. key_prefix: {[python_identifier(p).strip('_') or 'kedro' for p in parts]}.",
        )
    return parts


def _resolve_pipelines(context: ResolutionContext, value: str | list[str]) -> list[str]:
    """A list of registered pipeline names; a single name may be given as a string."""
    resolved = context.resolve_value(value)
    return [resolved] if isinstance(resolved, str) else [str(p) for p in resolved]


def _resolve_group_by(context: ResolutionContext, value: str) -> GroupBy:
    resolved = context.resolve_value(value, as_type=str)
    if resolved not in get_args(GroupBy):
        raise KedroComponentError(
            f"group_by must be one of {list(get_args(GroupBy))}.",
            field="group_by",
            value=resolved,
            fix="use memory (default), namespace, node or pipeline." + did_you_mean(resolved, get_args(GroupBy)),
        )
    return resolved


def _resolve_inputs(context: ResolutionContext, value: dict) -> dict[str, dg.AssetKey]:
    resolved = context.resolve_value(value)
    return {
        name: dg.AssetKey.from_user_string(key) if isinstance(key, str) else dg.AssetKey(key)
        for name, key in resolved.items()
    }


@dataclass
class KedroProjectAttributes(SuggestsFieldNames):
    """The attributes of ``defs.yaml`` (see ``KedroProjectComponent`` for what they build)."""

    @classmethod
    def resolve_from_model(cls, context: ResolutionContext, model: BaseModel) -> Any:
        """The component from the validated YAML (``dg.Resolvable.resolve_from_model``). Dagster
        wraps what a field's resolver raises in a ``ResolutionException`` that prints it twice,
        with the resolver's traceback; a :class:`KedroComponentError` is raised as itself instead,
        located at the line of ``defs.yaml`` that holds the field, like the errors found later."""
        try:
            return super().resolve_from_model(context, model)  # type: ignore[misc]
        except ResolutionException as wrapped:
            found = wrapped.__context__
            if not isinstance(found, KedroComponentError) or context.source_position_tree is None:
                raise
            keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", found.field or "")]
            position, _ = context.source_position_tree.lookup_closest_and_path([*context.path, *keys], None)
            raise found.for_user(str(position)) from found.__cause__

    project_path: Annotated[
        str,
        Resolver(
            _resolve_relative_path,
            model_field_type=str,
            description="Kedro project root: the folder holding pyproject.toml with [tool.kedro]. "
            "A relative path resolves against the folder holding this defs.yaml.",
            examples=["../../../../kedro_projects/spaceflights", "{{ project_root }}/kedro/spaceflights"],
        ),
    ]
    env: Annotated[
        str | None,
        Resolver.default(
            description="Kedro configuration environment (`kedro run --env`). Default: $KEDRO_ENV, "
            "else the project's default run environment.",
            examples=["local", "prod"],
        ),
    ] = None
    conf_source: Annotated[
        str | None,
        Resolver(
            _resolve_relative_path,
            model_field_type=str | None,
            description="Kedro conf_source override (a folder or archive). A relative path resolves "
            "against the folder holding this defs.yaml. Default: the project's conf/ folder.",
            examples=["../conf_prod"],
        ),
    ] = None
    runtime_params: Annotated[
        dict[str, Any],
        Resolver.default(
            description="Kedro runtime params applied to every run (like `kedro run --params`). "
            "Runs can override them in run config: resources.kedro_<package>.config.params (typed) or "
            ".runtime_params.",
            examples=[{"model_options.test_size": 0.3}],
        ),
    ] = field(default_factory=dict)
    pipelines: Annotated[
        list[str],
        Resolver(
            _resolve_pipelines,
            model_field_type=str | list[str],
            description="Registered Kedro pipelines whose datasets become assets; each gets a job. "
            "One name may be given as a string.",
            examples=[["__default__"], ["data_processing", "data_science"], "data_processing"],
        ),
    ] = field(default_factory=lambda: ["__default__"])
    key_prefix: Annotated[
        list[str],
        Resolver(
            _resolve_key_prefix,
            model_field_type=str | list[str],
            description="Prepended to every asset key (a list, or a string split on '/'). The rest "
            "of the key is the dataset name split on '.'.",
            examples=[["spaceflights"], "kedro/spaceflights"],
        ),
    ] = field(default_factory=list)
    group_by: Annotated[
        GroupBy,
        Resolver(
            _resolve_group_by,
            model_field_type=GroupBy,
            description="How Kedro nodes fold into Dagster steps. memory: nodes joined by "
            "non-persisted data share one step (default). namespace: one step per top-level "
            "namespace. node: one step per node, memory data crosses steps through the IO manager. "
            "pipeline: one step for everything (fastest, like `kedro run`).",
            examples=["memory", "node"],
        ),
    ] = "memory"
    io_manager_key: Annotated[
        str,
        Resolver.default(
            description="Resource key of the IO manager that stores memory data crossing steps "
            "(pickled by Dagster's default filesystem IO manager). Point it at an object-store IO "
            "manager for distributed executors.",
            examples=["io_manager", "s3_io_manager"],
        ),
    ] = "io_manager"
    log_level: Annotated[
        str,
        Resolver(
            resolve_log_level,
            model_field_type=str,
            description="While a step runs its nodes, log records of Kedro and the project's code "
            "at this level and above become Dagster events (one event-log write each); those below "
            "stay in the step's compute logs (stdout/stderr), printed by the project's console "
            "handlers. DEBUG | INFO | WARNING (default) | ERROR | CRITICAL; the run tag "
            f"{LOG_LEVEL_TAG} overrides it for one run.",
            examples=["INFO"],
        ),
    ] = DEFAULT_LOG_LEVEL
    checks: Annotated[
        dict[str, list[DatasetCheckSpec]],
        Resolver.default(
            description="Dagster asset checks per dataset, run in the step right after the node saved "
            "it, on the value in memory. Each list item is one check: row_count {min, max}, columns "
            "{name: dtype, or null for any dtype}, not_null [columns], unique [columns] (pandas or "
            "polars DataFrames), or function '<module>:<function>' (called with the value, returns a "
            "bool or an AssetCheckResult); with blocking: true (a failure stops the downstream steps), "
            "name and description. Catalog entries with metadata.pandera.schema get a 'pandera' check "
            "without any YAML.",
            examples=[{"doubled": [{"row_count": {"min": 1}, "blocking": True}, {"columns": {"a": "int64", "b": None}},
                                   {"not_null": ["a"]}, {"unique": ["a"]},
                                   {"function": "my_package.checks:all_positive", "name": "positive"}]}],
        ),
    ] = field(default_factory=dict)
    translation: Annotated[
        TranslationFn[Mapping[str, Any]] | None,
        TranslationFnResolver(template_vars_for_translation_fn=lambda data: data),
    ] = None
    # --- orchestration (dagster_kedro.orchestration / executors / schedules / partitions) ---
    executors: Annotated[
        dict[str, ExecutorSpec],
        Resolver.default(
            description="Named executors that jobs (and `executor`) refer to. type: in_process | "
            "multiprocess | celery | dask | k8s | docker (the last four need the extra of that "
            "name, e.g. pip install 'dagster-kedro[celery]'); config: that Dagster executor's own "
            "config, validated when the definitions load.",
            examples=[{"parallel": {"type": "multiprocess", "config": {"max_concurrent": 4}}}],
        ),
    ] = field(default_factory=dict)
    executor: Annotated[
        ExecutorRef | None,
        Resolver.default(
            description="Default executor of this component: a name from `executors` or an inline "
            "{type, config}. Used by jobs that name none and by ad-hoc materializations whose assets "
            "all belong to components with this same default. Default: in process (the steps run one "
            "after the other in the run worker, as `kedro run` runs nodes; a run's config may still "
            "select `multiprocess`). Choose multiprocess, celery, dask, k8s... for parallel branches "
            "of long nodes.",
            examples=["parallel", {"type": "in_process"}],
        ),
    ] = None
    jobs: Annotated[
        list[KedroJobSpec] | None,
        Resolver.default(
            description="Named asset jobs. Each selects a registered pipeline (default __default__) "
            "and the filters of `kedro run` (tags, node_names, from_nodes, to_nodes, from_inputs, "
            "to_outputs, node_namespaces), an executor (name or inline), runtime_params merged over "
            "the component's, load_versions (dataset -> version, like `kedro run --load-versions`), Dagster run tags and a retry_policy {max_retries, delay, backoff: "
            "linear|exponential, jitter: full|plus_minus} for its steps. Without `jobs`: one job "
            "per entry of `pipelines`, named <package>__<pipeline>.",
            examples=[
                [
                    {
                        "name": "nightly_processing",
                        "pipeline": "data_processing",
                        "filter": {"tags": ["preprocessing"]},
                        "executor": "parallel",
                        "runtime_params": {"model_options.test_size": 0.3},
                        "retry_policy": {"max_retries": 2, "delay": 5, "backoff": "exponential"},
                        "tags": {"team": "data-science"},
                    }
                ]
            ],
        ),
    ] = None
    node_overrides: Annotated[
        dict[str, NodeOverrideSpec],
        Resolver.default(
            description="Per-node settings keyed by a Kedro node name, 'tag:<tag>' or '*': "
            "retry_policy, op_tags and a concurrency pool. They apply to the Dagster step holding "
            "the node (with group_by memory/namespace/pipeline, the whole step; group_by: node "
            "gives per-node precision).",
            examples=[{"tag:db": {"pool": "warehouse"}, "fetch_rates": {"retry_policy": {"max_retries": 3}}}],
        ),
    ] = field(default_factory=dict)
    schedules: Annotated[
        list[ScheduleSpec],
        Resolver.default(
            description="Cron schedules of this component's jobs: name, job, cron_schedule, "
            "execution_timezone, runtime_params, tags, default_status (running|stopped).",
            examples=[[{"name": "nightly", "job": "nightly_processing", "cron_schedule": "0 3 * * *",
                        "execution_timezone": "Europe/Paris"}]],
        ),
    ] = field(default_factory=list)
    sensors: Annotated[
        list[SensorSpec],
        Resolver.default(
            description="Sensors that run a job when the files of Kedro catalog datasets change "
            "(name, job, datasets, minimum_interval_seconds, runtime_params, tags, default_status).",
            examples=[[{"name": "new_raw_data", "job": "spaceflights__default", "datasets": ["companies"]}]],
        ),
    ] = field(default_factory=list)
    partitions: Annotated[
        PartitionsSpec | None,
        Resolver.default(
            description="Partitions of the datasets listed in `datasets` (default: all written): "
            "hourly|daily|weekly|monthly (start, end, timezone, end_offset, fmt), static (keys) or "
            "dynamic (name). runtime_params names the Kedro params receiving the partition key and "
            "the time window start/end; backfill_policy: {type: single_run|multi_run}.",
            examples=[{"type": "daily", "start": "2024-01-01", "datasets": ["orders"],
                       "runtime_params": {"key": "run_date"}, "backfill_policy": {"type": "single_run"}}],
        ),
    ] = None
    inputs: Annotated[
        dict[str, dg.AssetKey],
        Resolver(
            _resolve_inputs,
            model_field_type=dict[str, str | list[str]],
            description="Cross-project lineage: maps a raw input dataset of this project (one no "
            "selected node writes) to the asset key of another component that writes the same "
            "data. Its assets then sit downstream of that asset, and runs order them after it.",
            examples=[{"companies": "ingest/companies"}, {"doubled_upstream": ["hooked", "doubled"]}],
        ),
    ] = field(default_factory=dict)
    concurrency: Annotated[
        ConcurrencySpec | None,
        Resolver.default(
            description="Whether runs of this component may overlap (they share its unversioned "
            "files; versioned datasets always stay each run's own). overlap: allow (default: runs "
            "overlap, sharing unversioned data is your choice) | wait (a step of a second run waits "
            "until the first run has ended, then runs) | fail (it fails before running any node). "
            "key: the Dagster concurrency pool whose single slot a run holds for its whole life "
            "(default kedro/<package>; give components that share data one key). wait_timeout: "
            "seconds a step waits before failing (default 3600). Jobs get the run tag "
            "dagster-kedro/concurrency=<key> for the queue's tag_concurrency_limits.",
            examples=[{"overlap": "wait"}, {"overlap": "fail", "key": "warehouse_tables"}],
        ),
    ] = None
    defs_state: Annotated[
        DefsStateConfigArgs,
        Resolver.default(
            description="Where the project snapshot (component state) is kept. Default "
            "LOCAL_FILESYSTEM: `dg utils refresh-defs-state` writes it (dg commands and `dg dev` "
            "refresh it unless refresh_if_dev is false); a missing or stale state falls back to "
            "reading the project, with a warning.",
            examples=[{"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False}],
        ),
    ] = field(default_factory=DefsStateConfigArgs.local_filesystem)
