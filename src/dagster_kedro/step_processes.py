"""Step processes of Kedro runs: forked from one server that has Kedro and the projects imported.

Dagster's multiprocess executor starts each step in a new process. With Python's ``spawn``
start method (Dagster's default) every step process imports Dagster, Kedro, pandas and the
project again before its first node: a step process of a Kedro run cost 2.4 s of CPU more than
a plain-Dagster one (``docs/performance.md``). With ``start_method: forkserver`` the step
processes fork from a server process that imported the ``preload_modules`` once.

So, for the jobs of Kedro components:

* a multiprocess config that names no ``start_method`` gets ``forkserver`` where the platform
  has it (Linux, macOS), as Kedro's own ``ParallelRunner`` forks its workers on Linux; an
  explicit ``start_method: spawn`` keeps spawn;
* a ``forkserver`` that names no ``preload_modules`` preloads what Dagster would (the job's
  module, else ``dagster``) plus Kedro's session and runner, dagster_kedro's step code, and the
  modules of the job's node functions, which import the project's libraries (pandas...); not
  those of projects with their own ``python_executable``, whose nodes never run in this
  interpreter. A module that fails to
  import is skipped by Python's forkserver, and the step imports it itself as before;
* the server also builds the job's definitions before it forks (:func:`warm_forkserver`), as
  a step process would: in the run's instance, from the same ``ReconstructableJob`` and load
  data, so the step finds them in Dagster's own cache (``ReconstructableJob.get_definition``
  is an ``lru_cache`` keyed by value) and skips the component tree, the state and the
  storage imports. That was 1.2 s of CPU per step process (profile in docs/performance.md);
* the server starts when the run does, before the run's pipeline hooks, rather than at the first
  step: it imports and builds while the run worker runs ``before_pipeline_run``;
* the server stops when the run ends (:func:`stop_forkserver`): a run worker is a new process
  per run anyway, and a process that runs several jobs (``execute_job`` in a notebook or a
  test) gets a new server for each, with that run's preload, environment and code.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module, metadata
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.executor.base import Executor
from dagster._core.executor.init import InitExecutorContext
from dagster._core.instance import DagsterInstance

from dagster_kedro.kedro_runtime import activate_project
from dagster_kedro.process_state import PROCESS
from dagster_kedro.project_scope import working_directory

WARM_START_ENV = "DAGSTER_KEDRO_FORKSERVER_WARM_START"
"""Names the file that tells a starting forkserver which job to build (read by ``step_preload``).
The forkserver inherits the run worker's environment when :func:`warm_forkserver` starts it."""

KEDRO_PRELOAD = ("dagster_kedro.step_preload",)
"""What every Kedro step process needs, whatever the project: Kedro's session and runner and
dagster-kedro's step code, imported without Kedro's logging setup (see ``step_preload``)."""


def with_kedro_start_method(init_context: InitExecutorContext, executor_name: str) -> InitExecutorContext:
    """``init_context`` with the start method and preload above filled in where its config
    leaves them open; unchanged for other executors (in_process, celery, dask, k8s...)."""
    config = dict(init_context.executor_config)
    if executor_name == "multi_or_in_process_executor" and "multiprocess" in config:
        multiprocess = _filled(dict(config["multiprocess"] or {}), init_context)
        new = {**config, "multiprocess": multiprocess}
    elif executor_name == "multiprocess":
        new = _filled(config, init_context)
    else:
        return init_context
    if new == config:
        return init_context
    return InitExecutorContext(
        job=init_context.job,
        executor_def=init_context.executor_def,
        executor_config=new,
        instance=init_context.instance,
    )


def _filled(config: dict[str, Any], init_context: InitExecutorContext) -> dict[str, Any]:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return config
    start = dict(config.get("start_method") or {"forkserver": {}})
    if "forkserver" in start and not (start["forkserver"] or {}).get("preload_modules"):
        start["forkserver"] = {**(start["forkserver"] or {}), "preload_modules": preload_modules(init_context)}
    return {**config, "start_method": start}


def preload_modules(init_context: InitExecutorContext) -> list[str]:
    """Dagster's own preload (the job's module, else ``dagster``), then Kedro's and the projects'."""
    module = init_context.job.get_module()
    return [module or "dagster", *KEDRO_PRELOAD, *_node_modules(init_context.job)]


def _node_modules(job: Any) -> list[str]:
    """The modules of the node functions of the job's Kedro steps, as the snapshot names them
    (the steps import the same modules when they rebuild their nodes)."""
    try:
        refs = _in_interpreter_steps(job.get_definition())
    except Exception:  # pragma: no cover - defensive: preloading is an optimisation only
        return []
    modules: dict[str, None] = {}
    for ref in refs:
        for name in ref.step.nodes:
            call = ref.plan.snapshot.nodes[name].call
            if call is not None:
                modules[call.func_module] = None
    return list(modules)


def _in_interpreter_steps(job_def: Any) -> list[Any]:
    """The ``StepRef`` of each Kedro step of ``job_def`` whose nodes run in this interpreter."""
    refs = (PROCESS.steps.get(node.name) for node in job_def.nodes)
    return [ref for ref in refs if ref is not None and not ref.target.python_executable]


@contextmanager
def warm_forkserver(
    executor: Executor, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
) -> Iterator[None]:
    """While the run executes, a forkserver started for it builds the job's definitions first
    (see the module docstring); at the end the server stops. Other executors: only the stop."""
    path = None
    try:
        if getattr(executor, "_start_method", None) == "forkserver":  # MultiprocessExecutor's own fields
            warm = (plan_context.reconstructable_job, execution_plan.repository_load_data,
                    plan_context.instance.get_ref())
            fd, path = tempfile.mkstemp(prefix="dagster_kedro_warm_start_")
            with os.fdopen(fd, "wb") as out:
                pickle.dump(warm, out)
            os.environ[WARM_START_ENV] = path
            _start_forkserver(getattr(executor, "_explicit_forkserver_preload", None))
        yield
    finally:
        if path is not None:
            os.environ.pop(WARM_START_ENV, None)
            Path(path).unlink(missing_ok=True)
        stop_forkserver()  # the next run in this process preloads its own modules


def _start_forkserver(preload: list[str] | None) -> None:
    """Start the server now, with the preload ``MultiprocessExecutor.execute`` gives it (its
    config's modules after ``dagster._core.executor.multiprocess``); that call finds it running.
    Without a configured preload (no Kedro default filled in) the executor starts it as usual."""
    if preload is None:
        return
    first = "dagster._core.executor.multiprocess"
    multiprocessing.get_context("forkserver").set_forkserver_preload([first, *(m for m in preload if m != first)])
    forkserver.ensure_running()


def build_job_for_steps() -> None:
    """In a forkserver: build the definitions a step process of the run will ask for, the way
    the step does (``MultiprocessExecutorChildProcessCommand.execute`` and
    ``create_execution_plan``), so that they are in ``get_definition``'s cache when it forks."""
    path = os.environ.get(WARM_START_ENV)
    if not path:
        return
    try:
        job, load_data, instance_ref = pickle.loads(Path(path).read_bytes())
        if load_data is not None:
            job = job.with_repository_load_data(load_data)
        with DagsterInstance.from_ref(instance_ref):  # its storage and defs state, as in the step
            job_def = job.get_definition()
        _activate_projects(job_def)
    except Exception as error:  # an optimisation only: each step then builds them itself
        print(f"dagster-kedro: step processes build the job themselves ({type(error).__name__}: {error})",
              file=sys.stderr)


def _activate_projects(job_def: Any) -> None:
    """Make the job's Kedro project active (``bootstrap_project``: settings.py, 0.5 s of CPU) and
    import the plugins' hook modules (kedro-telemetry, kedro-viz...: what ``KedroSession.create``
    imports), from the project root as in a step; a step of the same project then finds it
    active and skips the bootstrap (``kedro_runtime.activate_project``)."""
    for path in {ref.target.project_path: None for ref in _in_interpreter_steps(job_def)}:
        with working_directory(path):
            activate_project(path)
    for entry_point in metadata.entry_points(group="kedro.hooks"):
        import_module(entry_point.module)


def stop_forkserver() -> None:
    """Stop this process's forkserver, if one runs (Python starts it again on its next use)."""
    stop = getattr(forkserver._forkserver, "_stop", None)  # stdlib private: no public way to stop it
    if stop is not None:
        stop()
