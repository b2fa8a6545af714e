"""What runs inside a project's own interpreter for a Dagster run: steps, and pipeline hooks.

A step's Kedro nodes run here and are reported through Dagster Pipes (:func:`run_step`); the
run's pipeline hooks fire here too (:func:`fire_pipeline_hook`, for ``isolated_runs``).

The project side of ``isolated_steps``: ``project_python.py run`` calls :func:`run_step` in a
subprocess that ``PipesSubprocessClient`` started. What the step needs arrives as the Pipes
context's extras (the snapshot, the nodes to run, the run's save version and pinned load
versions, the runtime params and the asset key of each dataset to report); the nodes then run as
in-process steps run them (``execution``): a Kedro session on the project, its catalog with the
run's save version, ``kedro.runner.Task`` for each node, so the dataset and node hooks fire here,
in the project's interpreter. Before each save of a persisted asset, the step asks the code
location for its partial-save marker and waits until it is in the event log (``pipes_markers``).
Each persisted output is reported as a materialization as soon as its node has finished, with
the rows and columns of the value the node returned (as in-process steps report them:
``run_metadata``) and the version metadata the code location computed, then by the results of its
selected asset checks (``check_evaluation``, as in-process steps evaluate them). Memory data
crossing steps is unpickled from, and pickled to, the files of the run's handoff folder that the
extras name (``handoff``). A node's exception is raised as a :class:`KedroNodeError` naming the
node (Pipes reports it as an engine event) and written, with its traceback, to the file the code
location named, which raises it as the step's error.

Imports neither dagster nor anything that does: only ``dagster_pipes``, Kedro and the
dagster-free modules of this package.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from dagster_kedro.check_evaluation import CHUNKED, run_check
from dagster_kedro.errors import KedroNodeError, KedroPipelineError
from dagster_kedro.pipes_protocol import PARTIAL_SAVE_MESSAGE
from dagster_kedro.kedro_runtime import session_catalog, session_hook_manager
from dagster_kedro.kedro_sessions import KedroProcessRuntime
from dagster_kedro.pipeline_errors import rebuilt_exception
from dagster_kedro.pipeline_run_params import kedro_run_params
from dagster_kedro.project_scope import in_project
from dagster_kedro.run_metadata import value_facts
from dagster_kedro.saved_values import SavedValues, replace_step_plugin
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
    """Run the nodes the Pipes context's extras name, reporting each persisted output."""
    from dagster_pipes import open_dagster_pipes

    with open_dagster_pipes() as pipes:
        extras = pipes.extras
        try:
            _run_nodes(pipes, extras)
        except KedroNodeError:
            raise
        except Exception as error:  # not a node's: opening the project, its session or catalog
            _write_failure(extras["failure_file"], None, error)
            raise


def _run_nodes(pipes: Any, extras: dict[str, Any]) -> None:
    """Each node through Kedro's ``Task``; each persisted output reported once its node is done."""
    from kedro.runner import Task

    assets: dict[str, str] = extras["assets"]  # dataset -> asset key (user string) to report
    with _project_session(extras) as (snapshot, nodes, session, context):
        catalog = session_catalog(context, extras["save_version"], extras["load_versions"])
        hook_manager = session_hook_manager(session)
        saved = SavedValues(assets)
        saved.replace_in(hook_manager)
        replace_step_plugin(hook_manager, _MARKERS_PLUGIN, _SaveMarkers(pipes, **extras["markers"]))
        handoff = extras["handoff"]
        for dataset, path in handoff["inputs"].items():  # memory data of other steps (handoff)
            catalog[dataset] = _unpickled(path)
        for node in nodes:
            for dataset in [*node.inputs, *node.outputs]:
                catalog.get(dataset, fallback_to_runtime_pattern=True)
        for node in nodes:
            started = time.perf_counter()
            try:
                Task(node, catalog, is_async=False, hook_manager=hook_manager, run_id=extras["run_id"]).execute()
            except Exception as error:
                _write_failure(extras["failure_file"], node.name, error)
                raise KedroNodeError(node.name, error) from error
            metadata: dict[str, Any] = {
                "kedro/node": node.name,
                "kedro/node_seconds": round(time.perf_counter() - started, 4),
            }
            for dataset in (d for d in node.outputs if d in handoff["outputs"]):
                _pickle(catalog.load(dataset), handoff["outputs"][dataset])
            for dataset in (d for d in node.outputs if d in assets):
                value, whole = saved.pop(dataset)
                about = {**metadata, **extras["version_metadata"][dataset]}
                about.update(_pipes_metadata(value_facts(value)) if whole else {})
                pipes.report_asset_materialization(asset_key=assets[dataset], metadata=about)
                for check in extras["checks"].get(dataset, []):
                    _report_check(pipes, assets[dataset], check, value, whole, snapshot.project_path)
        pipes.log.info(f"Kedro ran {len(nodes)} node(s) in the project's interpreter: {[n.name for n in nodes]}")


_MARKERS_PLUGIN = "dagster_kedro.pipes_save_markers"


class _SaveMarkers:
    """Kedro hooks of one step: before each persisted asset's save, ask the code location for its
    partial-save marker and wait until it is in the event log (``pipes_markers``)."""

    def __init__(self, pipes: Any, datasets: list[str], acknowledgements: str, timeout: float = 120):
        self._pipes, self._datasets, self._timeout = pipes, set(datasets), timeout
        self._acknowledgements = Path(acknowledgements)
        self._sent = 0
        self._parent = os.getppid()

    @hook_impl
    def before_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        if dataset_name not in self._datasets:
            return
        self._sent += 1
        request = {"id": self._sent, "dataset": dataset_name, "node": node.name}
        self._pipes.report_custom_message({PARTIAL_SAVE_MESSAGE: request})
        acknowledged = self._acknowledgements / str(self._sent)
        deadline = time.monotonic() + self._timeout
        while not acknowledged.exists():
            if os.getppid() != self._parent or time.monotonic() > deadline:  # the step process is gone, or stuck
                sys.stderr.write(f"dagster-kedro: no acknowledgement of the partial-save marker {request}\n")
                return
            time.sleep(0.005)


def _report_check(pipes: Any, asset_key: str, check: dict[str, Any], value: Any, whole: bool, project_path: str) -> None:
    """One selected check on the value the node returned, as ``checks.evaluate`` runs it in process
    (a check function here returns a bool: there is no dagster for an ``AssetCheckResult``)."""
    passed, metadata = run_check(check["kind"], check["argument"], value, project_path) if whole else (False, {"error": CHUNKED})
    metadata = {name: {"raw_value": v, "type": "json"} if isinstance(v, (dict, list)) else v for name, v in metadata.items()}
    severity = "ERROR" if whole else "WARN"
    pipes.report_asset_check(check["name"], bool(passed), severity=severity, metadata=metadata, asset_key=asset_key)


def fire_pipeline_hook(request: dict[str, Any]) -> None:
    """``before_pipeline_run``, ``after_pipeline_run`` or ``on_pipeline_error`` (``request["hook"]``)
    for the run's nodes of this project, with what ``kedro run`` passes them (``isolated_runs``)."""
    from kedro.pipeline import Pipeline

    with _project_session(request) as (snapshot, nodes, session, context):
        pipeline = Pipeline(nodes)
        catalog = session_catalog(context, request["save_version"])
        run_params = kedro_run_params(
            run_id=request["run_id"],
            project_path=snapshot.project_path,
            env=context.env,
            runtime_params=request["runtime_params"],
            load_versions=request.get("load_versions", {}),
            component_pipelines=request["pipelines"],
            node_names=request["nodes"],
            registered=snapshot.registered,
        )
        hooks = session_hook_manager(session).hook
        kwargs = {"run_params": run_params, "pipeline": pipeline, "catalog": catalog}
        if request["hook"] == "before_pipeline_run":
            hooks.before_pipeline_run(**kwargs)
        elif request["hook"] == "after_pipeline_run":
            outputs = sorted(pipeline.outputs())
            run_result = {name: catalog.get(name, fallback_to_runtime_pattern=True) for name in outputs}
            hooks.after_pipeline_run(run_result=run_result, **kwargs)
        else:
            hooks.on_pipeline_error(error=_rebuilt_error(request["error"]), **kwargs)


def _rebuilt_error(described: dict[str, Any]) -> BaseException:
    """The run's error as ``isolated_runs`` described it: the original type when it imports here."""
    if described["node"] is not None:
        error: BaseException = KedroNodeError(
            described["node"], error_type=described["type"], error_message=described["message"]
        )
    else:
        qualified = f"{described['module']}.{described['type']}"
        error = rebuilt_exception(qualified, described["message"]) or KedroPipelineError(
            f"{described['type']}: {described['message']}"
        )
    for note in described["notes"]:
        error.add_note(note)
    return error


@contextmanager
def _project_session(request: dict[str, Any]) -> Iterator[tuple[ProjectSnapshot, list[Any], Any, Any]]:
    """The snapshot, the requested nodes and the run's Kedro session and context, inside the
    project (its working directory and logging, as ``kedro run`` has them)."""
    snapshot = ProjectSnapshot.model_validate(request["snapshot"])
    target = ProjectTarget(
        snapshot.project_path, snapshot.package_name, request["env"], request["conf_source"], tuple(request["pipelines"])
    )
    runtime = KedroProcessRuntime()
    with in_project(target.project_path, target.package_name):
        nodes = runtime.nodes.load(target, snapshot, request["nodes"])
        session, context = runtime.session(request["run_id"], target, snapshot, request["runtime_params"])
        yield snapshot, nodes, session, context


def _unpickled(path: str) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


def _pickle(value: Any, path: str) -> None:
    """Written whole or not at all: a step killed mid-write leaves no file a re-execution would read."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    with partial.open("wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, target)


def _write_failure(path: str, node_name: str | None, error: BaseException) -> None:
    """The failing node (None: the step failed outside its nodes), its exception and traceback,
    for the code location to raise as the step's error (Pipes reports the exception only as an
    engine event of the step)."""
    failure = {
        "node": node_name,
        "type": type(error).__name__,
        "module": type(error).__module__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(error)),
        "python": sys.executable,
    }
    Path(path).write_text(json.dumps(failure))


def _pipes_metadata(facts: dict[str, Any]) -> dict[str, Any]:
    """``run_metadata.value_facts`` as Pipes metadata: the columns as a table schema."""
    columns = facts.pop("dagster/column_schema", None)
    if columns is not None:
        schema = {"columns": [{"name": name, "type": dtype} for name, dtype in columns]}
        facts["dagster/column_schema"] = {"raw_value": schema, "type": "table_schema"}
    return facts
