"""Running a step's Kedro nodes inside a Dagster op, with Kedro's own session, catalog and hooks.

A step opens a Kedro session on its project, takes the catalog with the run's save version, feeds
memory data that other steps produced (through the IO manager) into it, and runs each needed
node through ``kedro.runner.Task``: that fires the dataset hooks and
``before_node_run``/``after_node_run``/``on_node_error`` exactly as ``kedro run`` does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from dagster_kedro.errors import KedroNodeError
from dagster_kedro.mlflow_runs import step_run
from dagster_kedro.process_state import PROCESS
from dagster_kedro.project_scope import runs_in_project
from dagster_kedro.run_config import RunConfigSpec, check_versions_exist
from dagster_kedro.run_layers import RunLayers, nested_params
from dagster_kedro.step_logs import DEFAULT_LOG_LEVEL, events_level, kedro_logs_to_dagster
from dagster_kedro.run_metadata import versioned_uri
from dagster_kedro.steps import Step, StepPlan
from dagster_kedro.translation import dataset_uri


@dataclass(frozen=True, eq=False)
class KedroTarget:
    """Everything a process needs to open the project again: plain data, picklable.

    Compared by identity: a component builds one per project and every step shares it.
    """

    project_path: str
    package_name: str
    env: str | None
    conf_source: str | None
    pipelines: tuple[str, ...]
    runtime_params: Mapping[str, Any] = field(default_factory=dict)
    run_config: RunConfigSpec = field(default_factory=lambda: RunConfigSpec("kedro", {}))
    """The run config a run may give (resource ``run_config.resource_key``): typed params, load versions."""
    concurrency: Any = None  # concurrency.ConcurrencySpec: whether runs of this project may overlap
    log_level: str = DEFAULT_LOG_LEVEL  # records from this level up become Dagster events (step_logs)
    layers: RunLayers = field(default_factory=RunLayers)  # what a run adds to the runtime params
    python_executable: str | None = None  # the project's own interpreter (isolated_steps); None: this one


@dataclass(frozen=True)
class StepRef:
    """One Kedro step op: its project, the plan it belongs to, its nodes and its asset keys."""

    target: KedroTarget
    plan: StepPlan
    step: Step
    keys: dict[str, dg.AssetKey]
    checks: Mapping[str, list[Any]] = field(default_factory=dict)  # dataset -> checks.DatasetCheck
    input_keys: Mapping[str, dg.AssetKey] = field(default_factory=dict)  # its stored inputs' asset keys


def run_save_version(instance: dg.DagsterInstance, run_id: str) -> str:
    """One save version per Dagster run, shared by every step: the run's creation time."""
    from dagster_kedro.kedro_runtime import save_version_for

    def read() -> str:
        record = instance.get_run_record_by_id(run_id)
        return save_version_for(record.create_timestamp.timestamp() if record else time.time())

    return PROCESS.kedro.save_version(run_id, read)


def effective_runtime_params(target: KedroTarget, overrides: Mapping[str, Any] | None) -> dict:
    """The YAML's runtime params with the run's overrides on top."""
    return nested_params(target.runtime_params, overrides or {})


def run_params_and_versions(plan_context: Any, target: KedroTarget) -> tuple[dict[str, Any], dict[str, str]]:
    """The runtime params and the given load versions of ``target``'s steps in the run of
    ``plan_context`` (the run executor's), as its steps compute them: the YAML's, the run layers'
    and the run config's (``resources.kedro_<package>.config``). Reading the run config checks
    its load versions, so a bad one fails the run before any step starts."""
    given = target.run_config.read(
        plan_context.run_config.get("resources", {}).get(target.run_config.resource_key, {}).get("config")
    )
    overrides = target.layers.runtime_params(plan_context.job_name, plan_context.dagster_run.tags, given.runtime_params)
    load_versions = target.layers.load_versions(plan_context.job_name, given.load_versions)
    return effective_runtime_params(target, overrides), load_versions


@runs_in_project
def execute_step(
    context: dg.AssetExecutionContext,
    target: KedroTarget,
    plan: StepPlan,
    step: Step,
    keys: Mapping[str, dg.AssetKey],
    inputs: Mapping[str, Any],
    runtime_params: Mapping[str, Any] | None,
    checks: Mapping[str, list[Any]] | None = None,
    load_versions: Mapping[str, str] | None = None,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Run the nodes that the selected assets of ``step`` need, reporting each asset as soon as
    its node has finished (so a later failing node leaves earlier materializations recorded),
    followed by the results of its selected checks, on the value the node returned.

    ``load_versions`` (the job's and the run config's) win over the versions pinned from the run
    chain, as ``kedro run --load-versions`` wins over Kedro's newest version: every node of the
    run that loads such a dataset reads the named version, even after this run saved a newer one."""
    from kedro.runner import Task

    from dagster_kedro.kedro_runtime import session_catalog, session_hook_manager

    from dagster_kedro.checks import evaluate
    from dagster_kedro.concurrency import claim_run_slot
    from dagster_kedro.run_metadata import value_metadata
    from dagster_kedro.saved_values import SavedValues
    from dagster_kedro.save_markers import PartialSaveMarkers
    from dagster_kedro.versions import pinned_load_versions

    selected = [d for d in step.assets if keys[d] in context.selected_asset_keys]
    node_names = plan.nodes_to_run(step, set(selected))
    nodes = PROCESS.kedro.nodes.load(target, plan.snapshot, node_names, context.log)
    save_version = run_save_version(context.instance, context.run_id)
    claim_run_slot(context, target.concurrency, plan.snapshot.package_name)
    pins = pinned_load_versions(context.instance, context.run, plan, node_names, save_version)
    if pins.runs_read:
        context.log.debug(f"Kedro load_versions {pins.load_versions} ({pins.milliseconds} ms, {pins.runs_read} run(s) read)")
    params = effective_runtime_params(target, runtime_params)
    session, kedro_context = PROCESS.kedro.session(context.run_id, target, plan.snapshot, params)
    catalog = session_catalog(kedro_context, save_version, {**pins.load_versions, **(load_versions or {})})
    hook_manager = session_hook_manager(session)
    PartialSaveMarkers(context, plan, keys, save_version).replace_in(hook_manager)
    saved = SavedValues(selected)
    saved.replace_in(hook_manager)
    selected_checks = context.selected_asset_check_keys
    for name, value in inputs.items():
        catalog[name] = value
    for node in nodes:
        for dataset in [*node.inputs, *node.outputs]:
            catalog.get(dataset, fallback_to_runtime_pattern=True)
    check_versions_exist(catalog, load_versions or {}, {d for node in nodes for d in node.inputs}, plan.snapshot)

    step_started = time.perf_counter()
    with kedro_logs_to_dagster(context.log, events_level(target.log_level, context.run.tags)), step_run(
        context, hook_manager, catalog
    ) as mlflow_metadata:  # the Dagster run's MLflow run, for kedro-mlflow's hooks and datasets
        for node in nodes:
            started = time.perf_counter()
            try:
                Task(node, catalog, is_async=False, hook_manager=hook_manager, run_id=context.run_id).execute()
            except Exception as error:
                PROCESS.outcome(context.run_id).node_errors[node.name] = error
                raise KedroNodeError(node.name, error) from error
            metadata = {"kedro/node": node.name, "kedro/node_seconds": round(time.perf_counter() - started, 4), **mlflow_metadata}
            for dataset in (d for d in selected if d in node.outputs):
                value, whole = saved.pop(dataset)
                about = {**metadata, **(value_metadata(value) if whole else {})}
                yield _output(context, plan, dataset, keys[dataset], catalog, about, save_version)
                for check in (checks or {}).get(dataset, []):
                    if dg.AssetCheckKey(keys[dataset], check.name) in selected_checks:
                        yield evaluate(check, keys[dataset], value, plan.snapshot.project_path, whole)
    context.log.info(_summary(plan, nodes, time.perf_counter() - step_started))


def _summary(plan: StepPlan, nodes: list[Any], seconds: float, shown: int = 20) -> str:
    """The step's one log event about its nodes (Kedro's own records of each node are in the
    compute logs): how many ran, how long, which, and the datasets they saved."""
    saved = [d for node in nodes for d in node.outputs if plan.snapshot.dataset(d).is_persisted]

    def listed(names: list[str]) -> str:
        more = f", ... ({len(names) - shown} more)" if len(names) > shown else ""
        return ", ".join(names[:shown]) + more

    text = f"Kedro ran {len(nodes)} node(s) in {seconds:.2f} s: {listed([n.name for n in nodes])}"
    return text + (f"; saved {len(saved)} dataset(s): {listed(saved)}" if saved else "; saved no dataset")


def version_metadata(plan: StepPlan, dataset: str, save_version: str) -> dict[str, str]:
    """What the materialization of a versioned dataset says of its version (nothing for others):
    the save version, the dataset (lets later steps of the run chain pin this version) and the
    version's own ``dagster/uri``."""
    info = plan.snapshot.dataset(dataset)
    if not info.versioned:
        return {}
    metadata = {"kedro/save_version": save_version, "kedro/dataset": dataset}
    uri = dataset_uri(plan, info)
    if uri:
        metadata["dagster/uri"] = versioned_uri(uri, info, save_version)
    return metadata


def _output(context, plan: StepPlan, dataset: str, key: dg.AssetKey, catalog, metadata: dict, save_version: str) -> dg.Output:
    """The Dagster output of one dataset: a value only for memory data stored by the IO manager."""
    info = plan.snapshot.dataset(dataset)
    metadata.update(version_metadata(plan, dataset, save_version))
    value = None
    if not info.is_persisted:
        value = catalog.load(dataset)
        if dataset not in plan.stored_memory:
            PROCESS.outcome(context.run_id).values[dataset] = value
            value = None
    return dg.Output(value, output_name=key.to_python_identifier(), metadata=metadata)
