"""One step's Kedro nodes, run inside the project's own interpreter and reported through Dagster Pipes.

The project side of ``isolated_steps``: ``project_python.py run`` calls :func:`run_step` in a
subprocess that ``PipesSubprocessClient`` started. What the step needs arrives as the Pipes
context's extras (the snapshot, the nodes to run, the run's save version and pinned load
versions, the runtime params and the asset key of each dataset to report); the nodes then run as
in-process steps run them (``execution``): a Kedro session on the project, its catalog with the
run's save version, ``kedro.runner.Task`` for each node, so the dataset and node hooks fire here,
in the project's interpreter. Each persisted output is reported as a materialization as soon as
its node has finished; a node's exception is raised as a :class:`KedroNodeError` naming the node
(Pipes reports it as an engine event) and written, with its traceback, to the file the code
location named, which raises it as the step's error.

Imports neither dagster nor anything that does: only ``dagster_pipes``, Kedro and the
dagster-free modules of this package.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_kedro.errors import KedroNodeError
from dagster_kedro.kedro_runtime import session_catalog, session_hook_manager
from dagster_kedro.kedro_sessions import KedroProcessRuntime
from dagster_kedro.project_scope import in_project
from dagster_kedro.snapshot import ProjectSnapshot


@dataclass(frozen=True)
class ProjectTarget:
    """What ``KedroProcessRuntime`` reads of a target, here without the code location's
    ``KedroTarget`` (which needs dagster)."""

    project_path: str
    package_name: str
    env: str | None
    conf_source: str | None
    pipelines: tuple[str, ...]


def run_step() -> None:
    from dagster_pipes import open_dagster_pipes
    from kedro.runner import Task

    with open_dagster_pipes() as pipes:
        extras = pipes.extras
        snapshot = ProjectSnapshot.model_validate(extras["snapshot"])
        target = ProjectTarget(
            snapshot.project_path, snapshot.package_name, extras["env"], extras["conf_source"], tuple(extras["pipelines"])
        )
        assets: dict[str, str] = extras["assets"]  # dataset -> asset key (user string) to report
        run_id = extras["run_id"]
        runtime = KedroProcessRuntime()
        with in_project(target.project_path, target.package_name):
            nodes = runtime.nodes.load(target, snapshot, extras["nodes"])
            session, context = runtime.session(run_id, target, snapshot, extras["runtime_params"])
            catalog = session_catalog(context, extras["save_version"], extras["load_versions"])
            hook_manager = session_hook_manager(session)
            for node in nodes:
                for dataset in [*node.inputs, *node.outputs]:
                    catalog.get(dataset, fallback_to_runtime_pattern=True)
            for node in nodes:
                started = time.perf_counter()
                try:
                    Task(node, catalog, is_async=False, hook_manager=hook_manager, run_id=run_id).execute()
                except Exception as error:
                    _write_failure(extras["failure_file"], node.name, error)
                    raise KedroNodeError(node.name, error) from error
                metadata: dict[str, Any] = {
                    "kedro/node": node.name,
                    "kedro/node_seconds": round(time.perf_counter() - started, 4),
                }
                for dataset in (d for d in node.outputs if d in assets):
                    about = {**metadata, **_version_metadata(snapshot, dataset, extras["save_version"])}
                    pipes.report_asset_materialization(asset_key=assets[dataset], metadata=about)
            pipes.log.info(f"Kedro ran {len(nodes)} node(s) in the project's interpreter: {[n.name for n in nodes]}")


def _version_metadata(snapshot: ProjectSnapshot, dataset: str, save_version: str) -> dict[str, Any]:
    info = snapshot.dataset(dataset)
    return {"kedro/save_version": save_version, "kedro/dataset": dataset} if info.versioned else {}


def _write_failure(path: str, node_name: str, error: BaseException) -> None:
    """The failing node, its exception and traceback, for the code location to raise as the
    step's error (Pipes reports the exception only as an engine event of the step)."""
    failure = {
        "node": node_name,
        "type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(error)),
        "python": sys.executable,
    }
    Path(path).write_text(json.dumps(failure))
