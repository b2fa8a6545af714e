"""``KedroProjectComponent``: a ``defs.yaml`` pointing at a Kedro project -> Dagster Definitions.

The data flow: the YAML is resolved into this dataclass; :func:`read_project` turns the Kedro
project into a plain snapshot; :func:`plan_steps` folds nodes into steps and decides which
datasets are assets; ``translation`` shapes the asset specs; each step becomes a subsettable
multi-asset whose body (:func:`execute_step`) runs the Kedro nodes; jobs and the executor that
fires Kedro's pipeline hooks come from ``orchestration``.
"""


import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, get_args

import dagster as dg
from dagster._core.definitions.utils import is_valid_name
from dagster.components.component.state_backed_component import StateBackedComponent
from dagster.components.resolved.core_models import ResolutionContext
from dagster.components.resolved.model import Resolver
from dagster.components.scaffold.scaffold import scaffold_with
from dagster.components.utils.defs_state import DefsStateConfig, DefsStateConfigArgs
from dagster.components.utils.translation import TranslationFn, TranslationFnResolver

from dagster_kedro.concurrency import ConcurrencySpec
from dagster_kedro.errors import KedroComponentError
from dagster_kedro.execution import KedroRunParams, KedroTarget, execute_step
from dagster_kedro.executors import ExecutorRef, ExecutorSpec
from dagster_kedro.orchestration import (
    KedroJobSpec,
    NodeOverrideSpec,
    Orchestration,
    StepOptions,
    job_pipeline_errors,
    op_name,
    snapshot_pipelines,
)
from dagster_kedro.run_layers import run_runtime_params
from dagster_kedro.partitions import PartitionsSpec, load_time_params
from dagster_kedro.schedules import ScheduleSpec, SensorSpec
from dagster_kedro.kedro_runtime import nested_params
from dagster_kedro.location import claim_asset_keys, claim_package
from dagster_kedro.project import project_fingerprint, read_project, validate_kedro_project_path
from dagster_kedro.run_hooks import DEFAULT_EXECUTOR, STEP_REGISTRY, StepRef
from dagster_kedro.scaffolder import KedroProjectScaffolder
from dagster_kedro.snapshot import ProjectSnapshot
from dagster_kedro.step_logs import DEFAULT_LOG_LEVEL, resolve_log_level
from dagster_kedro.step_logs import RUN_TAG as LOG_LEVEL_TAG
from dagster_kedro.state import default_state_key, fresh_state_snapshot
from dagster_kedro.steps import GroupBy, Step, StepPlan, plan_steps, python_identifier, unproduced_memory_inputs
from dagster_kedro.translation import base_asset_spec, translation_vars, upstream_datasets

YAML_NAMES = ("defs.yaml", "defs.yml", "component.yaml")
_SNAPSHOTS: dict[str, ProjectSnapshot] = {}  # live reads of this process, by settings and fingerprint


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
            fix="use memory (default), namespace, node or pipeline.",
        )
    return resolved


def _resolve_inputs(context: ResolutionContext, value: dict) -> dict[str, dg.AssetKey]:
    resolved = context.resolve_value(value)
    return {
        name: dg.AssetKey.from_user_string(key) if isinstance(key, str) else dg.AssetKey(key)
        for name, key in resolved.items()
    }


def _yaml_file(context: dg.ComponentLoadContext) -> Path:
    return next((context.path / n for n in YAML_NAMES if (context.path / n).exists()), context.path)


@scaffold_with(KedroProjectScaffolder)
@dataclass
class KedroProjectComponent(StateBackedComponent, dg.Resolvable):
    """Runs a Kedro project on Dagster: its datasets become assets, its pipelines jobs.

    Materializing assets runs the Kedro nodes with the project's own catalog, parameters and
    hooks, writing exactly what ``kedro run`` writes.

    Scaffold one with
    ``dg scaffold defs dagster_kedro.KedroProjectComponent my_kedro --project-path path/to/kedro_project``.

    Example:

        .. code-block:: yaml

            type: dagster_kedro.KedroProjectComponent
            attributes:
              project_path: ../../../../kedro_projects/spaceflights
              env: local
              pipelines: [__default__]
              key_prefix: [spaceflights]
              group_by: memory
    """

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
            "Runs can override them in run config: resources.kedro_<package>.config.runtime_params.",
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
            "all belong to components with this same default. Default: Dagster's multiprocess/in-process.",
            examples=["parallel", {"type": "in_process"}],
        ),
    ] = None
    jobs: Annotated[
        list[KedroJobSpec] | None,
        Resolver.default(
            description="Named asset jobs. Each selects a registered pipeline (default __default__) "
            "and the filters of `kedro run` (tags, node_names, from_nodes, to_nodes, from_inputs, "
            "to_outputs, node_namespaces), an executor (name or inline), runtime_params merged over "
            "the component's, Dagster run tags and a retry_policy {max_retries, delay, backoff: "
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

    @property
    def defs_state_config(self) -> DefsStateConfig:
        key = default_state_key(
            self.project_path, self._env, self.conf_source, self._read_pipelines(), self._read_params()
        )
        return DefsStateConfig.from_args(self.defs_state, default_key=key)

    def write_state_to_path(self, state_path: Path) -> None:
        """The project snapshot as JSON: loading from it imports no Kedro project code."""
        state_path.parent.mkdir(parents=True, exist_ok=True)
        state_path.write_text(self.read_snapshot().to_json())

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        try:
            return super().build_defs(context)  # refreshes state in dev, then build_defs_from_state
        except KedroComponentError as error:
            if error.source is not None:
                raise
            raise KedroComponentError(
                error.problem, source=_yaml_file(context), field=error.field, entry=error.entry,
                value=error.value, fix=error.fix,
            ) from error.__cause__

    def build_defs_from_state(self, context: dg.ComponentLoadContext, state_path: Path | None) -> dg.Definitions:
        snapshot = fresh_state_snapshot(state_path, self.project_path, self.conf_source)
        return self.build_defs_from_snapshot(snapshot or self.read_snapshot(), _yaml_file(context))

    @property
    def _env(self) -> str | None:
        return self.env or os.environ.get("KEDRO_ENV")

    def read_snapshot(self) -> ProjectSnapshot:
        """Read the Kedro project now (imports its pipelines); state loads skip this.

        Dagster loads the definitions several times per `dg` command: an unchanged project (same
        settings, same fingerprint) is read once per process."""
        validate_kedro_project_path(Path(self.project_path))
        params, pipelines = self._read_params(), self._read_pipelines()
        cache_key = json.dumps(
            [self.project_path, self._env, self.conf_source, pipelines, params,
             project_fingerprint(self.project_path, self.conf_source)],
            sort_keys=True,
            default=str,
        )
        if cache_key not in _SNAPSHOTS:
            with job_pipeline_errors(self.pipelines, self.jobs):
                _SNAPSHOTS[cache_key] = read_project(
                    self.project_path, env=self._env, conf_source=self.conf_source,
                    runtime_params=params, pipelines=pipelines,
                )
        return _SNAPSHOTS[cache_key]

    def _read_pipelines(self) -> list[str]:
        """`pipelines` plus the pipelines that `jobs` select."""
        return snapshot_pipelines(self.pipelines, self.jobs)

    def _read_params(self) -> dict[str, Any]:
        """Runtime params for reading the project: partition params get placeholders."""
        return nested_params(load_time_params(self.partitions), self.runtime_params)

    def build_defs_from_snapshot(self, snapshot: ProjectSnapshot, source: Path | None = None) -> dg.Definitions:
        plan = plan_steps(snapshot, self.group_by)
        missing = unproduced_memory_inputs(snapshot, plan)
        if missing:
            dataset, reader = next(iter(missing.items()))
            raise KedroComponentError(
                f"dataset '{dataset}' (read by node '{reader}') is written by no node of the selected "
                "pipelines and is not declared in the catalog.",
                source=source,
                field="pipelines",
                value=self.pipelines,
                fix="add the pipeline that writes it to `pipelines`, or declare it in the catalog.",
            )
        unknown = [d for d in self.inputs if d not in plan.external]
        if unknown:
            raise KedroComponentError(
                f"{unknown} are not raw inputs of the selected pipelines (raw inputs: {plan.external}).",
                source=source,
                field="inputs",
                value=unknown[0],
                fix="map only catalog datasets that the project reads and no selected node writes.",
            )
        target = KedroTarget(
            project_path=snapshot.project_path,
            package_name=snapshot.package_name,
            env=self.env,
            conf_source=self.conf_source,
            pipelines=tuple(self._read_pipelines()),
            runtime_params=dict(self.runtime_params),
            params_resource_key=f"kedro_{snapshot.package_name}",
            concurrency=self.concurrency,
            log_level=self.log_level,
        )
        orchestration = Orchestration(self, snapshot, plan, source)
        specs = orchestration.asset_specs(self._asset_specs(plan))
        keys = {dataset: spec.key for dataset, spec in specs.items()}
        claim_package(snapshot.package_name, snapshot.project_path, source)
        claim_asset_keys([keys[d] for d in keys if d not in self.inputs], source)
        assets: list[Any] = [specs[d] for d in plan.external if d not in self.inputs]
        for step in plan.steps:
            assets.append(self._step_asset(target, plan, step, specs, keys, orchestration.options_for(step)))
        return dg.Definitions(
            assets=assets,
            **orchestration.definitions(keys, target),
            resources={target.params_resource_key: KedroRunParams()},
            executor=DEFAULT_EXECUTOR,
        )

    def get_asset_spec(self, plan: StepPlan, dataset: str) -> dg.AssetSpec:
        """The spec of one dataset's asset: override to customise beyond ``translation``."""
        spec = base_asset_spec(plan, dataset, self.key_prefix)
        if self.translation is None:
            return spec
        return self.translation(spec, translation_vars(plan, dataset))

    def _asset_specs(self, plan: StepPlan) -> dict[str, dg.AssetSpec]:
        datasets = [*plan.external, *(d for step in plan.steps for d in step.assets)]
        specs = {d: self.get_asset_spec(plan, d) for d in datasets}
        for dataset, key in self.inputs.items():  # raw inputs written by another component
            specs[dataset] = specs[dataset].replace_attributes(key=key)
        # deps follow the translated keys of upstream datasets
        for dataset in plan.producer.keys() & specs.keys():
            deps = [specs[d].key for d in upstream_datasets(plan, dataset)]
            specs[dataset] = specs[dataset].replace_attributes(deps=deps)
            if dataset in plan.stored_memory:
                specs[dataset] = specs[dataset].with_io_manager_key(self.io_manager_key)
        return specs

    def _step_asset(
        self,
        target: KedroTarget,
        plan: StepPlan,
        step: Step,
        specs: dict[str, dg.AssetSpec],
        keys: dict[str, dg.AssetKey],
        options: StepOptions | None = None,
    ) -> dg.AssetsDefinition:
        options = options or StepOptions()
        name = op_name(plan.snapshot, step)
        step_keys = {d: keys[d] for d in step.assets}
        STEP_REGISTRY[name] = StepRef(target, plan, step, step_keys)
        ins = {keys[d].to_python_identifier(): dg.AssetIn(keys[d]) for d in step.stored_inputs}
        input_names = {keys[d].to_python_identifier(): d for d in step.stored_inputs}

        @dg.multi_asset(
            name=name,
            specs=[specs[d] for d in step.assets],
            ins=ins,
            can_subset=True,
            required_resource_keys={target.params_resource_key},
            op_tags={"kedro/project": plan.snapshot.package_name, "kedro/nodes": str(len(step.nodes)), **options.op_tags},
            description=f"Kedro nodes: {', '.join(step.nodes)}",
            retry_policy=options.retry_policy,
            pool=options.pool,
            backfill_policy=options.backfill_policy,
        )
        def _step(context: dg.AssetExecutionContext, **inputs: Any) -> Iterator[dg.Output]:
            values = {input_names[k]: v for k, v in inputs.items()}
            yield from self.execute(context, STEP_REGISTRY[name], values)

        return _step

    def execute(self, context: dg.AssetExecutionContext, ref: StepRef, inputs: Mapping[str, Any]) -> Iterator[dg.Output]:
        """Run the step's Kedro nodes; override to add behaviour around them."""
        overrides = getattr(context.resources, ref.target.params_resource_key).runtime_params
        overrides = run_runtime_params(ref.target, context.job_name, context.run.tags, overrides)
        yield from execute_step(context, ref.target, ref.plan, ref.step, ref.keys, inputs, overrides)
