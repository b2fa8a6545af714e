"""``KedroProjectComponent``: a ``defs.yaml`` pointing at a Kedro project -> Dagster Definitions.

The data flow, in one pass (:meth:`KedroProjectComponent.build_defs_from_snapshot`): the YAML is
resolved into this dataclass (its attributes: ``attributes.py``); :func:`read_project` turns the
Kedro project into a plain snapshot (kept as component state: ``state.py``); :func:`plan_steps`
folds nodes into steps and decides which datasets are assets; ``orchestration`` validates what
the YAML says about running them; ``translation`` gives the asset specs; each step becomes a
subsettable multi-asset whose body (:func:`execute_step`) runs the Kedro nodes; then the jobs,
schedules and sensors, on executors that fire Kedro's pipeline hooks (``run_executor``).

Dagster builds a code location's Definitions several times per command; a build from the same
YAML, attributes and project version is made once per process (``process_state``).
"""


import dataclasses
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import dagster as dg
from dagster.components.component.state_backed_component import StateBackedComponent
from dagster.components.scaffold.scaffold import scaffold_with
from dagster.components.utils.defs_state import DefsStateConfig
from pydantic import BaseModel

from dagster_kedro.attributes import KedroProjectAttributes
from dagster_kedro.checks import build_checks, check_specs
from dagster_kedro.errors import KedroComponentError, did_you_mean
from dagster_kedro.execution import KedroTarget, StepRef, execute_step
from dagster_kedro.isolated_env import read_project_with
from dagster_kedro.isolated_steps import execute_isolated_step
from dagster_kedro.location import claim_asset_keys, claim_package
from dagster_kedro.orchestration import (
    Orchestration,
    StepOptions,
    job_pipeline_errors,
    snapshot_pipelines,
)
from dagster_kedro.partitions import load_time_params
from dagster_kedro.process_state import PROCESS
from dagster_kedro.project import project_fingerprint, read_project, validate_kedro_project_path
from dagster_kedro.run_config import RunConfigSpec
from dagster_kedro.run_executor import DEFAULT_EXECUTOR
from dagster_kedro.run_layers import nested_params
from dagster_kedro.scaffolder import KedroProjectScaffolder
from dagster_kedro.schedules import build_schedules, build_sensors
from dagster_kedro.snapshot import DatasetSnapshot, NodeSnapshot, ProjectSnapshot
from dagster_kedro.specs import SpecStage, check_step_inputs, spec_stage
from dagster_kedro.state import default_state_key, fresh_state_snapshot
from dagster_kedro.steps import StepPlan, op_name, plan_steps, unproduced_memory_inputs

YAML_NAMES = ("defs.yaml", "defs.yml", "component.yaml")


def _yaml_file(context: dg.ComponentLoadContext) -> Path:
    return next((context.path / n for n in YAML_NAMES if (context.path / n).exists()), context.path)


def _plain(value: Any) -> Any:
    """``value`` as JSON-able data that tells different values apart."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dg.AssetKey):
        return value.to_user_string()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__qualname__)}"
    return repr(value)


@dataclass(frozen=True)
class _Build:
    """One build of a component's Definitions, with what each load of it registers in the process:
    its claims on the code location, its steps and their executor for ad-hoc runs."""

    definitions: dg.Definitions
    package_name: str
    project_path: str
    asset_keys: list[dg.AssetKey]
    steps: dict[str, StepRef]  # op name -> step
    routes: dict[str, Any]  # op name -> executors.ResolvedExecutor

    def register(self, source: Path | None, location: Path | None) -> None:
        """On every load, including a reused build: other components may have loaded since."""
        claim_package(self.package_name, self.project_path, source, location)
        claim_asset_keys(self.asset_keys, source, location)
        PROCESS.steps.update(self.steps)  # the run executor finds the step behind an op by its name
        PROCESS.default_routes.update(self.routes)


@scaffold_with(KedroProjectScaffolder)
@dataclass
class KedroProjectComponent(KedroProjectAttributes, StateBackedComponent, dg.Resolvable):
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

    @cached_property
    def defs_state_config(self) -> DefsStateConfig:
        """Where the snapshot state is kept; Dagster asks for it many times per load."""
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
            raise error.for_user(_yaml_file(context)) from error.__cause__

    def build_defs_from_state(self, context: dg.ComponentLoadContext, state_path: Path | None) -> dg.Definitions:
        """The Definitions from the state (or a live read when it is missing or stale), built once
        per process for the same component class, YAML, attributes and project version."""
        source = _yaml_file(context)
        snapshot = fresh_state_snapshot(state_path, self.project_path, self.conf_source) or self.read_snapshot()
        yaml_text = source.read_text() if source.is_file() else None
        key = (type(self), str(source), yaml_text, self._attributes_identity(), snapshot.fingerprint)
        build = PROCESS.definitions.get(key, lambda: self._build(snapshot, source))
        build.register(source, context.project_root)
        return build.definitions

    def _attributes_identity(self) -> str:
        """The resolved attributes as text. A callable (``translation``) counts by name: one resolved
        from YAML is covered by the YAML text, a Python one is the same object on every load."""
        return json.dumps({f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}, sort_keys=True)

    @property
    def _env(self) -> str | None:
        return self.env or os.environ.get("KEDRO_ENV")

    def read_snapshot(self) -> ProjectSnapshot:
        """Read the Kedro project now (imports its pipelines; with ``python_executable``, that
        interpreter does, in a subprocess); state loads skip this.

        Dagster loads the definitions several times per `dg` command: an unchanged project (same
        settings, same fingerprint) is read once per process."""
        validate_kedro_project_path(Path(self.project_path))
        params, pipelines = self._read_params(), self._read_pipelines()
        cache_key = json.dumps(
            [self.project_path, self.python_executable, self._env, self.conf_source, pipelines, params,
             project_fingerprint(self.project_path, self.conf_source)],
            sort_keys=True,
            default=str,
        )

        def read() -> ProjectSnapshot:
            reader = partial(read_project_with, self.python_executable) if self.python_executable else read_project
            with job_pipeline_errors(self.pipelines, self.jobs):
                return reader(
                    self.project_path, env=self._env, conf_source=self.conf_source,
                    runtime_params=params, pipelines=pipelines,
                )

        return PROCESS.snapshots.get(("live", cache_key), read)

    def _read_pipelines(self) -> list[str]:
        """`pipelines` plus the pipelines that `jobs` select."""
        return snapshot_pipelines(self.pipelines, self.jobs)

    def _read_params(self) -> dict[str, Any]:
        """Runtime params for reading the project: partition params get placeholders."""
        return nested_params(load_time_params(self.partitions), self.runtime_params)

    def build_defs_from_snapshot(self, snapshot: ProjectSnapshot, source: Path | None = None) -> dg.Definitions:
        """The component's Definitions from a project snapshot, in one pass: plan the steps,
        validate the orchestration, make the specs, the step assets, then jobs and schedules."""
        build = self._build(snapshot, source)
        build.register(source, None)
        return build.definitions

    def _build(self, snapshot: ProjectSnapshot, source: Path | None) -> _Build:
        plan = plan_steps(snapshot, self.group_by)
        self._check_inputs(snapshot, plan, source)
        run_config = RunConfigSpec.of(snapshot, f"kedro_{snapshot.package_name}", list(load_time_params(self.partitions)))
        orchestration = Orchestration(
            snapshot, plan, source, executors=self.executors, executor=self.executor,
            node_overrides=self.node_overrides, partitions=self.partitions, jobs=self.jobs,
            concurrency=self.concurrency, run_config=run_config,
        )
        target = KedroTarget(
            project_path=snapshot.project_path,
            package_name=snapshot.package_name,
            env=self.env,
            conf_source=self.conf_source,
            pipelines=tuple(self._read_pipelines()),
            runtime_params=dict(self.runtime_params),
            run_config=run_config,
            concurrency=self.concurrency,
            log_level=self.log_level,
            layers=orchestration.layers,
            python_executable=self.python_executable,
        )
        specs = orchestration.asset_specs(self._asset_specs(plan, source))
        keys = {dataset: spec.key for dataset, spec in specs.items()}
        checks = build_checks(self.checks, plan, source, pandera_here=not self.python_executable)
        steps = {
            op_name(snapshot, step): StepRef(
                target, plan, step, {d: keys[d] for d in step.assets}, {d: checks[d] for d in step.assets if d in checks},
                {d: keys[d] for d in step.stored_inputs},
            )
            for step in plan.steps
        }
        assets: list[Any] = [specs[d] for d in plan.external if d not in self.inputs]
        assets += [self._step_asset(name, ref, specs, orchestration.options_for(ref.step)) for name, ref in steps.items()]
        jobs = orchestration.jobs(keys)
        by_name = {job.name: job for job in jobs}
        definitions = dg.Definitions(
            assets=assets,
            jobs=[job.job for job in jobs],
            schedules=build_schedules(self.schedules or [], by_name, orchestration),
            sensors=build_sensors(self.sensors or [], by_name, orchestration),
            resources={run_config.resource_key: run_config.resource()},
            executor=DEFAULT_EXECUTOR,
        )
        own_keys = [keys[d] for d in keys if d not in self.inputs]
        routes = dict.fromkeys(steps, orchestration.adhoc_executor())
        return _Build(definitions, snapshot.package_name, snapshot.project_path, own_keys, steps, routes)

    def _check_inputs(self, snapshot: ProjectSnapshot, plan: StepPlan, source: Path | None) -> None:
        """Every memory input has a writer; every `inputs` entry is a raw input."""
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
                fix="map only catalog datasets that the project reads and no selected node writes."
                + did_you_mean(unknown[0], plan.external),
            )

    def get_asset_spec(self, dataset: DatasetSnapshot, node: NodeSnapshot | None) -> dg.AssetSpec:
        """The whole spec of ``dataset``'s asset (``node`` writes it; None for a raw input):
        key, deps, IO manager, metadata, kinds, tags, owners, group and code version.

        ``translation`` is applied to what this returns; override it for changes templates
        cannot express (call ``super().get_asset_spec(dataset, node)`` and modify the result).
        Deps name the final (translated) keys of upstream datasets: see ``dagster_kedro.specs``."""
        stage: SpecStage | None = getattr(self, "_spec_stage", None)
        if stage is None:
            raise RuntimeError("get_asset_spec is called while the component builds its definitions.")
        return stage.default_spec(dataset, node)

    def _asset_specs(self, plan: StepPlan, source: Path | None = None) -> dict[str, dg.AssetSpec]:
        # a project in its own interpreter hands memory data over as files of the run (handoff)
        io_manager_key = None if self.python_executable else self.io_manager_key
        with spec_stage(self, SpecStage(plan, self.key_prefix, self.inputs, io_manager_key)) as stage:
            specs = stage.build(self.get_asset_spec, self.translation)
        for step in plan.steps:
            check_step_inputs(specs, step.assets, step.stored_inputs, source)
        return specs

    def _step_asset(
        self, name: str, ref: StepRef, specs: dict[str, dg.AssetSpec], options: StepOptions
    ) -> dg.AssetsDefinition:
        """The step's subsettable multi-asset, op ``name``; its body runs the step's Kedro nodes."""
        step, target = ref.step, ref.target
        # memory data of other steps, through the IO manager (not with python_executable: handoff)
        stored = {} if target.python_executable else {d: specs[d].key for d in step.stored_inputs}
        ins = {key.to_python_identifier(): dg.AssetIn(key) for key in stored.values()}
        input_names = {key.to_python_identifier(): d for d, key in stored.items()}

        @dg.multi_asset(
            name=name,
            specs=[specs[d] for d in step.assets],
            check_specs=check_specs(ref.checks, list(step.assets), ref.keys),
            ins=ins,
            can_subset=True,
            required_resource_keys={target.run_config.resource_key},
            op_tags={"kedro/project": target.package_name, "kedro/nodes": str(len(step.nodes)), **options.op_tags},
            description=f"Kedro nodes: {', '.join(step.nodes)}",
            retry_policy=options.retry_policy,
            pool=options.pool,
            backfill_policy=options.backfill_policy,
        )
        def _step(context: dg.AssetExecutionContext, **inputs: Any) -> Iterator[dg.Output | dg.AssetCheckResult]:
            values = {input_names[k]: v for k, v in inputs.items()}
            yield from self.execute(context, ref, values)

        return _step

    def execute(
        self, context: dg.AssetExecutionContext, ref: StepRef, inputs: Mapping[str, Any]
    ) -> Iterator[dg.Output | dg.AssetCheckResult]:
        """Run the step's Kedro nodes; override to add behaviour around them."""
        layers = ref.target.layers
        given = getattr(context.resources, ref.target.run_config.resource_key)  # run_config.KedroRunConfig
        overrides = layers.runtime_params(context.job_name, context.run.tags, given.runtime_params)
        load_versions = layers.load_versions(context.job_name, given.load_versions)
        if ref.target.python_executable:
            yield from execute_isolated_step(context, ref, overrides, load_versions)
            return
        yield from execute_step(
            context, ref.target, ref.plan, ref.step, ref.keys, inputs, overrides, ref.checks, load_versions
        )
