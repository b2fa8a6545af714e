"""``run_params`` of Kedro's pipeline hooks, as ``kedro run`` records them for the same nodes.

Shared by the run executor's pipeline hooks (``run_hooks``) and by those fired in a project's
own interpreter (``pipes_runner``), so it imports neither dagster nor, until it is called, Kedro.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def kedro_run_params(
    *,
    run_id: str,
    project_path: str,
    env: str | None,
    runtime_params: dict[str, Any],
    load_versions: dict[str, str],
    component_pipelines: list[str],
    node_names: list[str],
    registered: dict[str, list[str]],
) -> dict[str, Any]:
    """``run_params`` exactly as ``kedro run`` (Kedro 1.7's CLI) records them for the same run.

    A run of every node of a registered pipeline is ``kedro run --pipelines <name>`` (``kedro
    run`` for ``__default__``): empty filters, so hooks that only track whole runs (kedro-viz)
    do. Any other run is ``kedro run --nodes <its nodes>``. ``runner`` is what Kedro records for
    its ``SequentialRunner``: each step runs its nodes one after the other through Kedro's
    ``Task``, and kedro-viz tracks only runs of that runner. ``run_id`` is the Dagster run id.
    """
    from kedro import __version__ as kedro_version
    from kedro.runner import SequentialRunner

    pipeline_names, partial = _kedro_run_selection(component_pipelines, node_names, registered)
    return {
        "run_id": run_id,
        "project_path": Path(project_path).as_posix(),
        "env": env,
        "kedro_version": kedro_version,
        "tags": (),
        "from_nodes": [],
        "to_nodes": [],
        "node_names": tuple(node_names) if partial else (),
        "from_inputs": [],
        "to_outputs": [],
        "load_versions": load_versions,
        "runtime_params": runtime_params,
        "pipeline_names": pipeline_names,
        "namespaces": [],
        "runner": str(SequentialRunner()),
        "only_missing_outputs": False,
    }


def _kedro_run_selection(
    component_pipelines: list[str], node_names: list[str], registered_nodes: dict[str, list[str]]
) -> tuple[list[str], bool]:
    """``pipeline_names`` for ``kedro run`` and whether ``--nodes`` is needed: the component's
    pipelines when the run covers all their nodes, else a registered pipeline it covers exactly.
    The registered pipelines' nodes come from the snapshot: the run worker imports no pipeline."""
    as_cli = lambda names: [] if names == ["__default__"] else names  # noqa: E731
    wanted = set(node_names)
    registered = {name: set(nodes) for name, nodes in registered_nodes.items()}
    if set().union(*(registered[name] for name in component_pipelines)) == wanted:
        return as_cli(component_pipelines), False
    for name in sorted(registered, key=lambda name: name != "__default__"):
        if registered[name] == wanted:
            return as_cli([name]), False
    return as_cli(component_pipelines), True
