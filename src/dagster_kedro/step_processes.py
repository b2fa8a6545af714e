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
* the server stops when the run ends (:func:`stop_forkserver`): a run worker is a new process
  per run anyway, and a process that runs several jobs (``execute_job`` in a notebook or a
  test) gets a new server for each, with that run's preload, environment and code.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver
from typing import Any

from dagster._core.executor.init import InitExecutorContext

from dagster_kedro.process_state import PROCESS

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
        nodes = job.get_definition().nodes
    except Exception:  # pragma: no cover - defensive: preloading is an optimisation only
        return []
    modules: dict[str, None] = {}
    for node in nodes:
        ref = PROCESS.steps.get(node.name)
        if ref is None or ref.target.python_executable:
            continue
        for name in ref.step.nodes:
            call = ref.plan.snapshot.nodes[name].call
            if call is not None:
                modules[call.func_module] = None
    return list(modules)


def stop_forkserver() -> None:
    """Stop this process's forkserver, if one runs (Python starts it again on its next use)."""
    stop = getattr(forkserver._forkserver, "_stop", None)  # stdlib private: no public way to stop it
    if stop is not None:
        stop()
