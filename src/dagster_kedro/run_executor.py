"""The executor every Kedro job runs on: the engine the YAML chose, wrapped to fire Kedro's
pipeline hooks once per run, and the one Definitions-level executor of a code location.

An executor runs in the run worker and its ``execute`` yields every event of the run, which no
step sees. :func:`kedro_executor` wraps any Dagster executor definition (same name, same config
schema) so that, around the wrapped executor's events, the pipeline hooks of every Kedro project
with steps in the run fire (``run_hooks``).

A component's jobs run on its YAML ``executor``, else on :data:`KEDRO_JOB_EXECUTOR`: Dagster's
multiprocess-or-in-process executor with in-process as the default, because for typical Kedro
projects a process per step costs more than any parallelism gains (``docs/performance.md``:
the default executor), and ``kedro run`` itself runs nodes one after the other. The run config
(Launchpad, ``--config-json``) can still select ``multiprocess`` for one run.

Ad-hoc asset materializations run on the Definitions-level executor, which must be one shared
object, :data:`DEFAULT_EXECUTOR`, for every component of a code location; when it is created for
a run whose ops are all Kedro steps it routes to their component's executor
(:func:`routed_default_executor`), else it is Dagster's own default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster._config import process_config
from dagster._core.events import DagsterEvent
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode
from dagster._core.execution.step_dependency_config import StepDependencyConfig

from dagster_kedro.concurrency import release_run_slot
from dagster_kedro.executors import ResolvedExecutor
from dagster_kedro.pipeline_errors import StepFailures
from dagster_kedro.process_state import PROCESS
from dagster_kedro.run_hooks import kedro_runs
from dagster_kedro.step_processes import stop_forkserver, warm_forkserver, with_kedro_start_method


class KedroRunExecutor(dg.Executor):
    """Runs the wrapped executor, with Kedro's pipeline hooks around its events."""

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
        # a forkserver starts first: it boots while the pipeline hooks below run (step_processes)
        with warm_forkserver(self._inner, plan_context, execution_plan):
            yield from self._execute(plan_context, execution_plan)

    def _execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        runs = kedro_runs(plan_context, execution_plan)
        for run in runs:
            run.before()
        failures = StepFailures()
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
                failures.see(event)
                yield event
        except BaseException as error:
            outcome = PROCESS.pop_outcome(plan_context.run_id)
            for run in runs:
                run.error(failures.error(run.step_nodes, outcome.node_errors) if failures else error)
            raise
        finally:
            stop_forkserver()  # the server's exit is part of the run's cleanup: before the pool slot is freed
            release_run_slot(plan_context.instance, plan_context.run_id, [run.target.concurrency for run in runs])
            PROCESS.kedro.end_run(plan_context.run_id)  # each KedroRun keeps what it uses
        outcome = PROCESS.pop_outcome(plan_context.run_id)
        for run in runs:
            if failures:
                run.error(failures.error(run.step_nodes, outcome.node_errors))
            else:
                run.after(outcome.values)


def kedro_executor(inner: dg.ExecutorDefinition) -> dg.ExecutorDefinition:
    """``inner`` with Kedro's pipeline hooks around every run (same name, config and requirements);
    the same ``inner`` always gives the same object."""
    return _wrapped(id(inner), inner)


def job_executor(executor: ResolvedExecutor) -> dg.ExecutorDefinition:
    """The executor definition of a job on ``executor``: configured as the YAML says, wrapped;
    one object per definition and config, whichever component asks."""
    return _wrapped(executor.key, executor.definition.configured(dict(executor.raw_config)))


def _wrapped(key: Any, inner: dg.ExecutorDefinition) -> dg.ExecutorDefinition:
    if key not in PROCESS.wrapped_executors:
        PROCESS.wrapped_executors[key] = dg.ExecutorDefinition(
            name=inner.name,
            config_schema=inner.config_schema,
            requirements=inner._requirements_fn,
            executor_creation_fn=lambda init_context: KedroRunExecutor(
                inner.executor_creation_fn(with_kedro_start_method(init_context, inner.name))
            ),
            description=inner.description,
        )
    return PROCESS.wrapped_executors[key]


def routed_default_executor(init_context: Any) -> dg.Executor | None:
    """The executor a run on the Definitions-level executor should use, or None for Dagster's own.

    A run routes to a component's default ``executor`` when every op it runs belongs to
    components whose default is that same executor, and the run config gives no explicit
    ``execution:`` (an explicit one always wins).
    """
    routes = PROCESS.default_routes
    untouched = process_config(dg.multi_or_in_process_executor.config_schema.config_type, {"multiprocess": {}})
    if not routes or dict(init_context.executor_config) != dict(untouched.value or {}):
        return None
    try:
        job_def = init_context.job.get_definition()
    except Exception:  # pragma: no cover - defensive: never fail a run for routing
        return None
    chosen = {None if r is None else r.key: r for r in (routes.get(node.name) for node in job_def.nodes)}  # None: not ours
    if len(chosen) != 1:
        return None
    executor = next(iter(chosen.values()))
    return None if executor is None else executor.create(init_context)


def _create_default_executor(init_context: Any) -> dg.Executor:
    # a component-level `executor:` in YAML takes runs whose ops all belong to such components
    routed = routed_default_executor(init_context)
    if routed is None:
        routed = dg.multi_or_in_process_executor.executor_creation_fn(init_context)
    return KedroRunExecutor(routed)


def _in_process_first() -> dg.ExecutorDefinition:
    """Dagster's ``multi_or_in_process_executor`` (same name, config keys and engine) whose
    config defaults to ``{in_process: {}}`` instead of ``{multiprocess: {}}``."""
    base = dg.multi_or_in_process_executor
    return dg.ExecutorDefinition(
        name=base.name,
        config_schema=dg.Field(dg.Selector(base.config_schema.config_type.fields), default_value={"in_process": {}}),
        requirements=base._requirements_fn,
        executor_creation_fn=base.executor_creation_fn,
        description="Runs the steps in the run worker's process, unless the run config selects multiprocess.",
    )


KEDRO_JOB_EXECUTOR = kedro_executor(_in_process_first())


DEFAULT_EXECUTOR = dg.ExecutorDefinition(
    name=dg.multi_or_in_process_executor.name,
    config_schema=dg.multi_or_in_process_executor.config_schema,
    requirements=dg.multi_or_in_process_executor._requirements_fn,
    executor_creation_fn=_create_default_executor,
    description=dg.multi_or_in_process_executor.description,
)
PROCESS.wrapped_executors[id(dg.multi_or_in_process_executor)] = DEFAULT_EXECUTOR
