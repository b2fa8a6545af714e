"""Kedro's pipeline hooks, once per Dagster run, from an executor that wraps the real one.

``before_pipeline_run``, ``after_pipeline_run`` (with ``run_result``) and ``on_pipeline_error``
belong to a whole run, which no single step sees. An executor does: it runs in the run worker
and its ``execute`` yields every event of the run. :func:`kedro_executor` wraps any Dagster
executor definition (same name, same config schema) so that, around the wrapped executor's
events, it fires the pipeline hooks of every Kedro project that has steps in the run.

The wrapped definitions are cached by identity, so every Kedro component of a code location
shares one default executor object and ``Definitions.merge`` sees no conflict.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEvent
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode
from dagster._core.execution.step_dependency_config import StepDependencyConfig

from dagster_kedro.execution import RUN_RESULT_VALUES, KedroTarget, effective_runtime_params, load_nodes, run_save_version
from dagster_kedro.steps import Step, StepPlan


@dataclass(frozen=True)
class StepRef:
    """What the executor needs to know about one Kedro step op."""

    target: KedroTarget
    plan: StepPlan
    step: Step
    keys: dict[str, dg.AssetKey]


# op name -> StepRef, filled when a KedroProjectComponent builds its Definitions in this process.
STEP_REGISTRY: dict[str, StepRef] = {}


class KedroPipelineError(Exception):
    """Passed to ``on_pipeline_error`` when steps of the Dagster run failed."""


class KedroRunExecutor(dg.Executor):
    def __init__(self, inner: dg.Executor):
        self._inner = inner

    @property
    def retries(self) -> RetryMode:
        return self._inner.retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self._inner.step_dependency_config

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        runs = _kedro_runs(plan_context, execution_plan)
        for run in runs:
            run.before(plan_context)
        failures: list[str] = []
        # the engine sees itself as plan_context.executor: dask checks its type, celery calls app_args
        inner_context = PlanOrchestrationContext(
            plan_data=plan_context.plan_data,
            log_manager=plan_context.log,
            executor=self._inner,
            output_capture=plan_context.output_capture,
            resume_from_failure=plan_context.resume_from_failure,
        )
        try:
            for event in self._inner.execute(inner_context, execution_plan):
                if event.is_step_failure:
                    failures.append(f"{event.step_key}: {event.step_failure_data.error.message.strip()}")
                yield event
        except BaseException as error:
            for run in runs:
                run.error(error)
            raise
        finally:
            results = RUN_RESULT_VALUES.pop(plan_context.run_id, {})
        for run in runs:
            if failures:
                run.error(KedroPipelineError("Dagster steps failed:\n" + "\n".join(failures)))
            else:
                run.after(results)


class _KedroRun:
    """The pipeline hooks of one Kedro project within one Dagster run."""

    def __init__(self, plan_context: PlanOrchestrationContext, target: KedroTarget, node_names: list[str]):
        from kedro import __version__ as kedro_version
        from kedro.pipeline import Pipeline

        from dagster_kedro.kedro_runtime import open_session, session_catalog, session_hook_manager

        overrides = (
            plan_context.run_config.get("resources", {})
            .get(target.params_resource_key, {})
            .get("config", {})
            .get("runtime_params")
        )
        from dagster_kedro.orchestration import run_runtime_params  # job params, partitions

        overrides = run_runtime_params(target, plan_context.job_name, plan_context.dagster_run.tags, overrides)
        params = effective_runtime_params(target, overrides)
        self.pipeline = Pipeline(load_nodes(target, node_names))
        session = open_session(target.project_path, target.env, target.conf_source, params)
        context = session.load_context()
        self.catalog = session_catalog(context, run_save_version(plan_context.instance, plan_context.run_id))
        self.hooks = session_hook_manager(session).hook
        self.run_params = {
            "run_id": plan_context.run_id,
            "project_path": target.project_path,
            "env": context.env,
            "kedro_version": kedro_version,
            "tags": None,
            "from_nodes": None,
            "to_nodes": None,
            "node_names": node_names,
            "from_inputs": None,
            "to_outputs": None,
            "load_versions": None,
            "runtime_params": params,
            "pipeline_names": list(target.pipelines),
            "namespaces": None,
            "runner": f"dagster:{plan_context.job_name}",
            "only_missing_outputs": False,
        }

    def _kwargs(self) -> dict[str, Any]:
        return {"run_params": self.run_params, "pipeline": self.pipeline, "catalog": self.catalog}

    def before(self, plan_context: PlanOrchestrationContext) -> None:
        plan_context.log.info(
            f"Kedro before_pipeline_run: {len(self.pipeline.nodes)} node(s) of {self.run_params['project_path']}"
        )
        self.hooks.before_pipeline_run(**self._kwargs())

    def after(self, values: dict[str, Any]) -> None:
        run_result = {}
        for name in sorted(self.pipeline.outputs()):
            dataset = self.catalog.get(name, fallback_to_runtime_pattern=True)
            if name in values:
                dataset.save(values[name])
            run_result[name] = dataset
        self.hooks.after_pipeline_run(run_result=run_result, **self._kwargs())

    def error(self, error: BaseException) -> None:
        self.hooks.on_pipeline_error(error=error, **self._kwargs())


def _kedro_runs(plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan) -> list[_KedroRun]:
    """One :class:`_KedroRun` per Kedro project with steps to execute in this plan."""
    selection = plan_context.dagster_run.asset_selection
    nodes_by_target: dict[KedroTarget, list[str]] = {}
    for step_key in execution_plan.step_keys_to_execute:
        ref = STEP_REGISTRY.get(execution_plan.get_step_by_key(step_key).node_handle.root.name)
        if ref is None:
            continue
        selected = {d for d, k in ref.keys.items() if selection is None or k in selection}
        nodes_by_target.setdefault(ref.target, []).extend(ref.plan.nodes_to_run(ref.step, selected))
    runs = []
    for target, node_names in nodes_by_target.items():
        if node_names:
            runs.append(_KedroRun(plan_context, target, node_names))
    return runs


_WRAPPED: dict[int, dg.ExecutorDefinition] = {}


def kedro_executor(inner: dg.ExecutorDefinition) -> dg.ExecutorDefinition:
    """``inner`` with Kedro's pipeline hooks around every run (same name, config and requirements)."""
    if id(inner) not in _WRAPPED:
        _WRAPPED[id(inner)] = dg.ExecutorDefinition(
            name=inner.name,
            config_schema=inner.config_schema,
            requirements=inner._requirements_fn,
            executor_creation_fn=lambda init_context: KedroRunExecutor(
                inner.executor_creation_fn(init_context)
            ),
            description=inner.description,
        )
    return _WRAPPED[id(inner)]


def _create_default_executor(init_context: Any) -> dg.Executor:
    # a component-level `executor:` in YAML takes runs whose ops all belong to such components
    from dagster_kedro.executors import routed_default_executor

    routed = routed_default_executor(init_context)
    if routed is None:
        routed = dg.multi_or_in_process_executor.executor_creation_fn(init_context)
    return KedroRunExecutor(routed)


DEFAULT_EXECUTOR = dg.ExecutorDefinition(
    name=dg.multi_or_in_process_executor.name,
    config_schema=dg.multi_or_in_process_executor.config_schema,
    requirements=dg.multi_or_in_process_executor._requirements_fn,
    executor_creation_fn=_create_default_executor,
    description=dg.multi_or_in_process_executor.description,
)
_WRAPPED[id(dg.multi_or_in_process_executor)] = DEFAULT_EXECUTOR
