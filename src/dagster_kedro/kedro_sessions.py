"""The Kedro objects one process keeps across the steps and pipeline hooks it runs.

Opening a Kedro session (settings, config loader, hook manager with its plugins) and building
nodes are the costly parts of a step that do not depend on the step. A process that runs several
steps of one run (the in-process executor, a threaded dask or celery worker) or the pipeline
hooks next to steps (in-process runs) makes them once. The single instance lives in
:data:`dagster_kedro.process_state.PROCESS`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from dagster_kedro.kedro_runtime import open_session, validate_parameters_with
from dagster_kedro.node_loading import NodeLoader, rebuild_parameter_types


class KedroProcessRuntime:
    """The Kedro objects a process keeps across the steps (and pipeline hooks) it runs.

    * nodes: rebuilt from the snapshot; the project's ``register_pipelines()`` runs at most once
      per process and project version, and only for nodes that cannot be rebuilt
      (:class:`~dagster_kedro.node_loading.NodeLoader`);
    * one Kedro session, with its context and hook manager, per Dagster run, project, runtime
      params and thread: ``after_context_created`` fires once per process and run, as under
      ``kedro run`` (the in-process executor's steps and pipeline hooks share one). The catalog
      stays per step (``after_catalog_created`` per step, as before): each step pins its own
      load versions and feeds other steps' memory data into it, which must not leak into the
      next step.

    * the run's save version, read from the run's record once per process and run;
    * the project logging configurations read (``kedro_runtime.configure_project_logging``), applied
      again at each step's start without reading their YAML.

    Sessions of ended runs are dropped by the run's executor; a long-lived worker (dask, celery)
    that never sees the end keeps only the ``keep`` most recent.
    """

    def __init__(self, keep: int = 8):
        self.nodes = NodeLoader()
        self._keep = keep
        self._sessions: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()
        self._save_versions: OrderedDict[str, str] = OrderedDict()
        self.logging_configs: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def save_version(self, run_id: str, read: Callable[[], str]) -> str:
        """The save version of ``run_id``: ``read()`` the first time (a run storage read, about
        15 ms on sqlite, which ``group_by: memory`` would otherwise pay once per step)."""
        with self._lock:
            if run_id in self._save_versions:
                return self._save_versions[run_id]
        version = read()
        with self._lock:
            self._save_versions[run_id] = version
            while len(self._save_versions) > self._keep:
                self._save_versions.popitem(last=False)
        return version

    def session(self, run_id: str, target: Any, snapshot: Any, params: dict) -> tuple[Any, Any]:
        """``(KedroSession, KedroContext)`` of the run on ``target``'s (already active) project.

        Parameters are validated against the types the snapshot recorded, so reading them
        imports no pipeline; when a type has no import path Kedro validates them itself, against
        the registered pipelines."""
        # per thread too: concurrent steps of a threaded worker must not share a hook manager
        key = (run_id, target, json.dumps(params, sort_keys=True, default=str), threading.get_ident())
        with self._lock:
            if key in self._sessions:
                self._sessions.move_to_end(key)
                return self._sessions[key]
        session = open_session(target.project_path, target.env, target.conf_source, params)
        context = session.load_context()
        types = snapshot.parameter_types
        requirements = None if types is None else rebuild_parameter_types(types)
        if requirements is not None:
            validate_parameters_with(context, requirements)
        with self._lock:
            self._sessions[key] = (session, context)
            while len(self._sessions) > self._keep:
                self._sessions.popitem(last=False)
        return session, context

    def end_run(self, run_id: str) -> None:
        """Forget the sessions of a finished run."""
        with self._lock:
            for key in [key for key in self._sessions if key[0] == run_id]:
                del self._sessions[key]
            self._save_versions.pop(run_id, None)
