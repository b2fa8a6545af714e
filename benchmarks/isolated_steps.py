"""The cost of a step run by the project's own interpreter (``python_executable``) against the
same step in the code location's interpreter.

The project is the test fixture ``iso_b`` (two nodes in one step, pandas 3, as the code location
has, so it can run both ways); its venv is the tests' cached one (tests/isolated_envs.py). Each
way gets a dg project of its own with the snapshot state written first, then ``--repeat``
``dg launch --job iso_b__default`` runs on the in-process executor. From each run's event log:
the step's wall time (STEP_START to STEP_SUCCESS) and the run's (RUN_START to RUN_SUCCESS: an
isolated run adds its two pipeline-hook calls), and the CPU seconds of the whole ``dg launch``
process tree (load from state, run worker, the project interpreters), which a loaded machine
distorts less than wall times. Reported: best and all, with the 1-minute load average before and
after each way (the machine is shared: read the figures against it).

    PYTHONPATH=src python benchmarks/isolated_steps.py --out /tmp/isolated_bench [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
from dg_projects import DgProject  # noqa: E402  (the tests' dg project helper)
from isolated_envs import project_venv  # noqa: E402
from run import base_env, clean_outputs  # noqa: E402

FIXTURE = HERE.parent / "tests" / "fixtures" / "kedro_projects" / "iso_b"
JOB = "iso_b__default"
WITH_STATE = {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False}

RUN_TIMES = """
import json
from dagster import DagsterEventType, DagsterInstance
instance = DagsterInstance.get()
times = []
for run in reversed(instance.get_runs()):
    marks = {}
    for record in instance.all_logs(run.run_id):
        event = record.dagster_event
        if event is not None and event.event_type in (
            DagsterEventType.RUN_START, DagsterEventType.RUN_SUCCESS,
            DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
        ):
            marks[event.event_type.name] = record.timestamp
    times.append({
        "status": run.status.value,
        "step_s": round(marks["STEP_SUCCESS"] - marks["STEP_START"], 2),
        "run_s": round(marks["RUN_SUCCESS"] - marks["RUN_START"], 2),
    })
print(json.dumps(times))
"""


def measure(out: Path, isolated: bool, repeat: int) -> dict:
    """``repeat`` runs of the iso_b job, in its own venv when ``isolated``."""
    name = "isolated" if isolated else "in_process"
    project = out / name / "kedro" / "iso_b"
    shutil.rmtree(out / name, ignore_errors=True)
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__", "logs", "sessions"))
    dg = DgProject(out / name / "dg", "bench_defs")
    attributes = {"project_path": str(project), "defs_state": WITH_STATE}
    if isolated:
        attributes["python_executable"] = str(project_venv("iso_b"))
    dg.add_component("iso_b", attributes)
    dg.dg("utils", "refresh-defs-state")
    load_before = os.getloadavg()[0]
    cpu = []
    for _ in range(repeat):
        clean_outputs(project)
        before = _children_cpu()
        dg.launch(job=JOB)
        cpu.append(round(_children_cpu() - before, 2))
    runs = json.loads(dg.python(RUN_TIMES).stdout.strip().splitlines()[-1])
    assert all(r["status"] == "SUCCESS" for r in runs), runs
    for run, seconds in zip(runs, cpu):
        run["launch_cpu_s"] = seconds
    return {
        "way": name,
        "best_step_s": min(r["step_s"] for r in runs),
        "best_run_s": min(r["run_s"] for r in runs),
        "best_launch_cpu_s": min(cpu),
        "runs": runs,
        "load_1m_before": round(load_before, 2),
        "load_1m_after": round(os.getloadavg()[0], 2),
    }


def _children_cpu() -> float:
    """CPU seconds of every finished child process tree of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.update({k: v for k, v in base_env().items() if k in ("KEDRO_DISABLE_TELEMETRY", "DO_NOT_TRACK")})
    results = [measure(args.out, isolated, args.repeat) for isolated in (False, True)]
    for result in results:
        print(json.dumps(result))
    in_process, isolated = results
    print(
        f"isolated step {isolated['best_step_s']} s against {in_process['best_step_s']} s in process "
        f"(+{isolated['best_step_s'] - in_process['best_step_s']:.2f} s); run {isolated['best_run_s']} s "
        f"against {in_process['best_run_s']} s; dg launch CPU {isolated['best_launch_cpu_s']} s against "
        f"{in_process['best_launch_cpu_s']} s; best of {args.repeat}, load "
        f"{in_process['load_1m_before']}-{isolated['load_1m_after']}"
    )


if __name__ == "__main__":
    main()
