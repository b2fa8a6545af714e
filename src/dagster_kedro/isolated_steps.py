"""A step of a project with its own interpreter (``python_executable``), run through Dagster Pipes.

The code location decides what an in-process step decides (which nodes the selected assets
need, the run's save version, the load versions pinned by earlier steps of the run, the
runtime params, the run's concurrency slot), then starts ``project_python.py run`` under the
project's interpreter with ``PipesSubprocessClient``: the nodes run there (``pipes_runner``)
and their materializations, asset check results and logs come back through Pipes. As in process:
the asset checks of the step's selected assets (``checks``) run on the value the node returned,
over there; each save of a persisted asset is marked in the event log before it starts
(``pipes_markers``); versioned outputs carry their version's ``dagster/uri``. Memory data that
crosses steps goes through files of the run's handoff folder (``handoff``), written and read
over there. A failing node's exception and traceback come back through a file the two sides
agree on, raised here as the step's error. The subprocess's output goes to the step's compute
logs. The run's pipeline hooks: ``isolated_runs``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.errors import DagsterPipesExecutionError

from dagster_kedro.concurrency import claim_run_slot
from dagster_kedro.errors import KedroNodeError, KedroPipelineError
from dagster_kedro.execution import StepRef, effective_runtime_params, run_save_version, version_metadata
from dagster_kedro.handoff import input_paths, output_paths
from dagster_kedro.isolated_env import ENTRY_POINT, interpreter
from dagster_kedro.pipeline_errors import rebuilt_exception
from dagster_kedro.pipes_markers import MarkingMessageReader
from dagster_kedro.versions import pinned_load_versions

# the code location's packages must not shadow the project's (empty means unset to Python)
_CHILD_ENV = {"PYTHONPATH": "", "PYTHONHOME": ""}


def execute_isolated_step(
    context: dg.AssetExecutionContext,
    ref: StepRef,
    runtime_params: Mapping[str, Any] | None,
    load_versions: Mapping[str, str] | None = None,
) -> Iterator[dg.MaterializeResult]:
    """Run the nodes that the selected assets of ``ref``'s step need in the project's interpreter.
    ``load_versions`` (the job's and the run config's) win over the versions pinned from the run
    chain, as in :func:`execution.execute_step`."""
    target, plan, step = ref.target, ref.plan, ref.step
    selected = [d for d in step.assets if ref.keys[d] in context.selected_asset_keys]
    node_names = plan.nodes_to_run(step, set(selected))
    save_version = run_save_version(context.instance, context.run_id)
    claim_run_slot(context, target.concurrency, plan.snapshot.package_name)
    pins = pinned_load_versions(context.instance, context.run, plan, node_names, save_version)
    python = interpreter(target.python_executable, target.project_path)
    read = {d for name in node_names for d in plan.snapshot.nodes[name].inputs}
    extras = {
        "snapshot": plan.snapshot.model_dump(mode="json"),
        "env": target.env,
        "conf_source": target.conf_source,
        "pipelines": list(target.pipelines),
        "nodes": node_names,
        "run_id": context.run_id,
        "save_version": save_version,
        "load_versions": {**pins.load_versions, **(load_versions or {})},
        "runtime_params": effective_runtime_params(target, runtime_params),
        "assets": {d: ref.keys[d].to_user_string() for d in selected},
        "checks": _selected_checks(context, ref, selected),
        "version_metadata": {d: version_metadata(plan, d, save_version) for d in selected},
        "handoff": {  # memory data crossing steps, as files of the run (handoff)
            "inputs": input_paths(context, [d for d in step.stored_inputs if d in read], ref.input_keys),
            "outputs": output_paths(context, [d for d in selected if d in plan.stored_memory]),
        },
    }
    with tempfile.TemporaryDirectory(prefix="dagster-kedro-step-") as folder:
        failure = Path(folder) / "failure.json"
        extras["failure_file"] = str(failure)
        reader = MarkingMessageReader(context, plan, ref.keys, save_version, Path(folder, "markers"))
        reader.acknowledgements.mkdir()
        extras["markers"] = {  # a marker before each save of a persisted asset (pipes_markers)
            "datasets": [d for d in selected if plan.snapshot.dataset(d).is_persisted],
            "acknowledgements": str(reader.acknowledgements),
        }
        client = dg.PipesSubprocessClient(env=_CHILD_ENV, cwd=target.project_path, message_reader=reader)
        try:
            invocation = client.run(context=context, command=[python, str(ENTRY_POINT), "run"], extras=extras)
        except DagsterPipesExecutionError:
            if failure.exists():
                error = _node_error(json.loads(failure.read_text()))
                raise error from error.__cause__  # not from Pipes' "process failed with code 1"
            raise
    yield from invocation.get_results()


def _selected_checks(context: dg.AssetExecutionContext, ref: StepRef, datasets: list[str]) -> dict[str, list[dict]]:
    """dataset -> the checks (``checks.DatasetCheck``) of it that the run selected, as plain data."""
    chosen = context.selected_asset_check_keys
    return {
        dataset: [
            {"name": check.name, "kind": check.kind, "argument": check.argument}
            for check in ref.checks.get(dataset, [])
            if dg.AssetCheckKey(ref.keys[dataset], check.name) in chosen
        ]
        for dataset in datasets
        if dataset in ref.checks
    }


def _node_error(failure: Mapping[str, Any]) -> Exception:
    """The node's exception (or the step's, outside its nodes) as the step's error, with its
    traceback in the project's interpreter as a note (Python prints notes with the message).
    A node's exception is rebuilt here when its type is importable (builtins, most often) and
    chained, as in-process steps chain the original, for ``on_pipeline_error``."""
    if failure["node"] is None:
        error: Exception = KedroPipelineError(
            f"the step failed in the project's interpreter: {failure['type']}: {failure['message']}"
        )
    else:
        original = rebuilt_exception(f"{failure['module']}.{failure['type']}", failure["message"])
        error = KedroNodeError(failure["node"], original, error_type=failure["type"], error_message=failure["message"])
        error.__cause__ = original  # raised from it
    error.add_note(f"Traceback in the project's interpreter ({failure['python']}):\n{failure['traceback']}")
    return error
