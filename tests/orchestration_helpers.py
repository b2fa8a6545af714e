"""Shared helpers of the orchestration tests: fixture projects and event-log queries."""

from __future__ import annotations

import json
from pathlib import Path

import conftest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kedro_projects"
for _name in ("chores", "orders"):
    conftest.KEDRO_PROJECTS.setdefault(_name, FIXTURES / _name)

IN_PROCESS = conftest.IN_PROCESS

STEP_EVENTS = """
import json
from dagster import DagsterEventType, DagsterInstance
instance = DagsterInstance.get()
out = []
for run in instance.get_runs():
    steps = {}
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        kind = event.event_type_value
        if kind in ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_UP_FOR_RETRY", "STEP_RESTARTED"):
            steps.setdefault(entry.step_key, []).append([kind, entry.timestamp])
    out.append({"run_id": run.run_id, "job": run.job_name, "status": run.status.value,
                "tags": dict(run.tags), "steps": steps})
print(json.dumps(out))
"""


def runs(dg_project) -> list[dict]:
    """Every run of the project's instance with its steps' (event, timestamp) lists."""
    return json.loads(dg_project.python(STEP_EVENTS).stdout.strip().splitlines()[-1])
