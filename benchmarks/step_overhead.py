"""Per-step overhead of a multiprocess run from fresh component state.

Generates a project (``generate_project.py``), writes its snapshot state, launches one
multiprocess run (``max_concurrent`` 2) with ``dg launch`` and reports, from the run's event
log, each step's in-process wall time (STEP_START to STEP_SUCCESS: node loading, session and
catalog, the nodes) and, from the kernel, the CPU seconds of the whole process tree (the run
worker and every step process).

    PYTHONPATH=src python benchmarks/step_overhead.py --nodes 100 --group-by memory --out /tmp/bench
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate_project import generate  # noqa: E402
from run import DgProject, base_env, clean_outputs  # noqa: E402

BIN = Path(sys.executable).parent

STEP_TIMES = """
import json
from collections import defaultdict
from dagster import DagsterInstance, DagsterEventType
instance = DagsterInstance.get()
run = instance.get_runs(limit=1)[0]
starts, ends = {}, {}
for record in instance.all_logs(run.run_id):
    event = record.dagster_event
    if event is None:
        continue
    if event.event_type == DagsterEventType.STEP_START:
        starts[event.step_key] = record.timestamp
    elif event.event_type == DagsterEventType.STEP_SUCCESS:
        ends[event.step_key] = record.timestamp
print(json.dumps({"status": run.status.value, "steps": {k: ends[k] - starts[k] for k in ends if k in starts}}))
"""


def measure(out: Path, nodes: int, group_by: str, timeout: float = 1800) -> dict:
    project = generate(out / "kedro", nodes)
    dg = DgProject(out / "dg", "bench_defs")
    dg.add_component(
        "synth",
        {
            "project_path": str(project),
            "group_by": group_by,
            "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False},
        },
    )
    env = dg.env(out / "homes")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env["PYTHONPATH"], os.environ.get("PYTHONPATH")) if p)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run([str(BIN / "dg"), "utils", "refresh-defs-state"], cwd=dg.root, env=env, check=True, capture_output=True)
    clean_outputs(project)
    config = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}
    started = time.perf_counter()
    log = (out / "launch.log").open("w")  # a file, not a pipe: dg launch writes every event there
    process = subprocess.Popen(
        [str(BIN / "dg"), "launch", "--assets", "*", "--config-json", json.dumps(config)],
        cwd=dg.root, env=env, stdout=log, stderr=log,
    )
    timer = threading.Timer(timeout, process.kill)  # a hung run must not hang the benchmark
    timer.start()
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"dg launch failed: {(out / 'launch.log').read_text()[-4000:]}")
    report = json.loads(
        subprocess.run([sys.executable, "-c", STEP_TIMES], cwd=dg.root, env=env, check=True, capture_output=True, text=True)
        .stdout.strip().splitlines()[-1]
    )
    steps = list(report["steps"].values())
    return {
        "nodes": nodes,
        "group_by": group_by,
        "status": report["status"],
        "steps": len(steps),
        "run_wall_s": round(wall, 1),
        "tree_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "cpu_per_step_s": round((usage.ru_utime + usage.ru_stime) / max(1, len(steps)), 2),
        "step_wall_median_s": round(statistics.median(steps), 2),
        "step_wall_mean_s": round(statistics.mean(steps), 2),
        "load_avg_1m": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--group-by", default="memory")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    os.environ.update({k: v for k, v in base_env().items() if k in ("KEDRO_DISABLE_TELEMETRY", "DO_NOT_TRACK")})
    print(json.dumps(measure(args.out, args.nodes, args.group_by)))


if __name__ == "__main__":
    main()
