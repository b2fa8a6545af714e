"""Kedro's pipeline hooks for one Dagster run: what ``kedro run`` would pass them.

``before_pipeline_run``, ``after_pipeline_run`` (with ``run_result``) and ``on_pipeline_error``
belong to a whole run, which no single step sees. The run executor (``run_executor``) sees every
event of the run; it asks :func:`kedro_runs` for one :class:`KedroRun` per Kedro project with
steps in the run and calls it at the run's start, end or failure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan

from dagster_kedro.execution import KedroTarget, run_params_and_versions, run_save_version
from dagster_kedro.pipeline_run_params import kedro_run_params
from dagster_kedro.mlflow_runs import pipeline_run
from dagster_kedro.process_state import PROCESS
from dagster_kedro.project_scope import in_project
from dagster_kedro.step_logs import events_level, kedro_logs_to_dagster


class KedroRun:
    """The pipeline hooks of one Kedro project within one Dagster run.

    They run in the project's environment, as under ``kedro run`` (working directory = project
    root, the project's logging config; see ``project_scope``), with Kedro's log records from
    INFO up (or the run's lower ``log_level``) forwarded to the run's Dagster event log: the run
    worker's output is no step's compute logs, and a run has only a handful of such records.
    """

    def __init__(
        self, plan_context: PlanOrchestrationContext, target: KedroTarget, snapshot: Any, step_nodes: dict[str, list[str]]
    ):
        from kedro.pipeline import Pipeline

        from dagster_kedro.kedro_runtime import session_catalog, session_hook_manager

        self._log = plan_context.log
        self._instance = plan_context.instance
        self._dagster_run = plan_context.dagster_run
        self._level = min(events_level(target.log_level, plan_context.dagster_run.tags), logging.INFO)
        self.target = target
        self.step_nodes = step_nodes
        node_names = [name for nodes in step_nodes.values() for name in nodes]
        # the run's load_versions are checked here, before any step starts
        params, load_versions = run_params_and_versions(plan_context, target)
        with self._in_project():
            self.pipeline = Pipeline(PROCESS.kedro.nodes.load(target, snapshot, node_names, plan_context.log))
            session, context = PROCESS.kedro.session(plan_context.run_id, target, snapshot, params)
            save_version = run_save_version(plan_context.instance, plan_context.run_id)
            self.catalog = session_catalog(context, save_version, load_versions)
            self._hook_manager = session_hook_manager(session)
            self.hooks = self._hook_manager.hook
            self.run_params = kedro_run_params(
                run_id=plan_context.run_id,
                project_path=target.project_path,
                env=context.env,
                runtime_params=params,
                load_versions=load_versions,
                component_pipelines=list(target.pipelines),
                node_names=node_names,
                registered=snapshot.registered,
            )

    @contextmanager
    def _in_project(self) -> Iterator[None]:
        with in_project(self.target.project_path, self.target.package_name):
            with kedro_logs_to_dagster(self._log, self._level):
                yield

    def _kwargs(self) -> dict[str, Any]:
        return {"run_params": self.run_params, "pipeline": self.pipeline, "catalog": self.catalog}

    def before(self) -> None:
        self._log.info(
            f"Kedro before_pipeline_run: {len(self.pipeline.nodes)} node(s) of {self.run_params['project_path']}"
        )
        with self._in_project(), pipeline_run(self._instance, self._dagster_run, self._hook_manager):
            self.hooks.before_pipeline_run(**self._kwargs())

    def after(self, values: dict[str, Any]) -> None:
        with self._in_project():
            run_result = {}
            for name in sorted(self.pipeline.outputs()):
                dataset = self.catalog.get(name, fallback_to_runtime_pattern=True)
                if name in values:
                    dataset.save(values[name])
                run_result[name] = dataset
            self.hooks.after_pipeline_run(run_result=run_result, **self._kwargs())

    def error(self, error: BaseException) -> None:
        with self._in_project():
            self.hooks.on_pipeline_error(error=error, **self._kwargs())


def kedro_runs(plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan) -> list[Any]:
    """One :class:`KedroRun` per Kedro project with steps to execute in this plan (an
    ``isolated_runs.IsolatedKedroRun`` for a project with its own interpreter)."""
    from dagster_kedro.isolated_runs import IsolatedKedroRun

    selection = plan_context.dagster_run.asset_selection
    steps_by_target: dict[KedroTarget, dict[str, list[str]]] = {}
    snapshots = {}
    for step_key in execution_plan.step_keys_to_execute:
        ref = PROCESS.steps.get(execution_plan.get_step_by_key(step_key).node_handle.root.name)
        if ref is None:
            continue
        selected = {d for d, k in ref.keys.items() if selection is None or k in selection}
        nodes = ref.plan.nodes_to_run(ref.step, selected)
        if nodes:
            steps_by_target.setdefault(ref.target, {})[step_key] = list(nodes)
            snapshots[ref.target] = ref.plan.snapshot
    return [
        (IsolatedKedroRun if target.python_executable else KedroRun)(plan_context, target, snapshots[target], step_nodes)
        for target, step_nodes in steps_by_target.items()
    ]
