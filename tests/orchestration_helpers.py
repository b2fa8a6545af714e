"""Shared helpers of the orchestration tests: fixture projects and event-log queries."""

from __future__ import annotations

from pathlib import Path

import conftest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kedro_projects"
for _name in ("chores", "orders"):
    conftest.KEDRO_PROJECTS.setdefault(_name, FIXTURES / _name)

IN_PROCESS = conftest.IN_PROCESS

STEP_KINDS = ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_UP_FOR_RETRY", "STEP_RESTARTED")


def runs(dg_project) -> list[dict]:
    """Every run of the project's instance (newest first) with its steps' [event, timestamp] lists."""
    out = []
    with dg_project.instance() as instance:
        for run in instance.get_runs():
            steps: dict[str, list] = {}
            for entry in instance.all_logs(run.run_id):
                event = entry.dagster_event
                if event is not None and entry.step_key and event.event_type_value in STEP_KINDS:
                    steps.setdefault(entry.step_key, []).append([event.event_type_value, entry.timestamp])
            out.append({"run_id": run.run_id, "job": run.job_name, "status": run.status.value,
                        "tags": dict(run.tags), "steps": steps})
    return out
