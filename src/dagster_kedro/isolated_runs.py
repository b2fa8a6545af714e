"""Kedro's pipeline hooks of one Dagster run, fired in the project's own interpreter.

The counterpart of ``run_hooks.KedroRun`` for a project with ``python_executable``: the run
executor calls :meth:`before` at the run's start and :meth:`after` or :meth:`error` at its end,
and each call starts ``project_python.py pipeline-hook`` under the project's interpreter, the
request (snapshot, nodes, run id, save version, runtime params, the error) as JSON on its stdin
(``pipes_runner.fire_pipeline_hook`` answers it). The run executor has no op context to open a
Pipes session with, and a pipeline hook reports nothing but its failure: a plain subprocess is
enough. The child's stdout becomes a debug event of the run; a failing hook fails the run with
the child's stderr (its traceback).

``after_pipeline_run``'s ``run_result`` holds the run's persisted outputs: in-memory outputs
stayed in the steps' interpreters.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from dagster._core.execution.context.system import PlanOrchestrationContext

from dagster_kedro.errors import KedroNodeError
from dagster_kedro.execution import KedroTarget, run_params_and_versions, run_save_version
from dagster_kedro.isolated_env import ENTRY_POINT, child_environment, interpreter


class IsolatedKedroRun:
    """The pipeline hooks of one Kedro project, run by its own interpreter, within one Dagster run."""

    def __init__(
        self, plan_context: PlanOrchestrationContext, target: KedroTarget, snapshot: Any, step_nodes: dict[str, list[str]]
    ):
        self._log = plan_context.log
        self.target = target
        self.step_nodes = step_nodes
        runtime_params, load_versions = run_params_and_versions(plan_context, target)
        self._request = {
            "snapshot": snapshot.model_dump(mode="json"),
            "env": target.env,
            "conf_source": target.conf_source,
            "pipelines": list(target.pipelines),
            "nodes": [name for nodes in step_nodes.values() for name in nodes],
            "run_id": plan_context.run_id,
            "save_version": run_save_version(plan_context.instance, plan_context.run_id),
            "runtime_params": runtime_params,
            "load_versions": load_versions,
        }

    def before(self) -> None:
        self._log.info(
            f"Kedro before_pipeline_run: {len(self._request['nodes'])} node(s) of {self.target.project_path}, "
            "in the project's interpreter"
        )
        self._fire("before_pipeline_run")

    def after(self, values: dict[str, Any]) -> None:
        self._fire("after_pipeline_run")

    def error(self, error: BaseException) -> None:
        """``on_pipeline_error`` with ``error`` rebuilt over there: the node's exception type when
        it is importable there (as ``kedro run`` passes it), with its notes."""
        described: dict[str, Any] = {"notes": list(getattr(error, "__notes__", ()))}
        if isinstance(error, KedroNodeError):
            described.update(node=error.node_name, type=error.error_type, message=error.error_message)
        else:
            described.update(node=None, module=type(error).__module__, type=type(error).__name__, message=str(error))
        self._fire("on_pipeline_error", error=described)

    def _fire(self, hook: str, **extra: Any) -> None:
        python = interpreter(self.target.python_executable, self.target.project_path)
        result = subprocess.run(
            [python, str(ENTRY_POINT), "pipeline-hook"],
            input=json.dumps({**self._request, "hook": hook, **extra}, default=str),
            capture_output=True,
            text=True,
            env=child_environment(),
            cwd=self.target.project_path,
        )
        if result.stdout.strip():
            self._log.debug(result.stdout.strip())
        if result.returncode != 0:
            raise RuntimeError(
                f"Kedro {hook} failed in the project's interpreter ({python}):\n{result.stderr[-5000:]}"
            )
