"""What a step pays for its Kedro nodes, session and catalog, in a fresh process (as a
multiprocess step is), without the Dagster parts around it.

    PYTHONPATH=src python benchmarks/step_node_loading.py --nodes 1000 --out /tmp/bench_nodes

Prints [wall, CPU] seconds of: making the project active, getting the step's nodes (two nodes of
the first chain), opening the session and building the step's catalog; with ``--steps K``, the
same K times in one process (as the in-process executor runs steps), the later steps summed. Run it against two
checkouts (``PYTHONPATH``) to compare: a checkout without the process's Kedro runtime
(``process_state.PROCESS.kedro``, earlier ``execution.RUNTIME``) is measured the old way
(``load_nodes``: the project's ``register_pipelines()``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

STEP = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from dagster_kedro import execution
from dagster_kedro.kedro_runtime import activate_project, open_session, session_catalog
from dagster_kedro.project_scope import in_project
project, package, names, snapshot_file = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
steps = int(sys.argv[5])
target = execution.KedroTarget(project, package, None, None, ("__default__",))
try:
    from dagster_kedro.process_state import PROCESS
    runtime = PROCESS.kedro
except ImportError:  # a checkout from before process_state
    runtime = getattr(execution, "RUNTIME", None)
marks = {"imports": (time.perf_counter() - t0, time.process_time() - c0)}
def mark(label, since):
    wall, cpu = marks.get(label, (0, 0))
    marks[label] = (wall + time.perf_counter() - since[0], cpu + time.process_time() - since[1])
    return time.perf_counter(), time.process_time()
now = time.perf_counter(), time.process_time()
with in_project(project, package):
    activate_project(project)
    now = mark("activate_project", now)
    for step in range(steps):  # the in-process executor runs every step in one process
        if runtime is not None:
            from dagster_kedro.snapshot import ProjectSnapshot
            snapshot = ProjectSnapshot.from_json(open(snapshot_file).read()) if step == 0 else snapshot
            nodes = runtime.nodes.load(target, snapshot, names)
            now = mark("nodes" if step == 0 else "nodes_later_steps", now)
            session, context = runtime.session("run", target, snapshot, {})
        else:
            nodes = execution.load_nodes(target, names)
            now = mark("nodes" if step == 0 else "nodes_later_steps", now)
            session = open_session(project, None, None, {})
            context = session.load_context()
        session_catalog(context, "2026-01-01T00.00.00.000Z")
        now = mark("session_and_catalog" if step == 0 else "session_and_catalog_later_steps", now)
assert [n.name for n in nodes] == names
print(json.dumps({k: [round(w, 3), round(c, 3)] for k, (w, c) in marks.items()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1, help="steps per process (in-process executor: all)")
    parser.add_argument("--snapshot", type=Path, help="snapshot JSON (new code); written when missing")
    args = parser.parse_args()
    from generate_project import generate

    project = args.out / f"synth_{args.nodes}"
    if not project.exists():
        generate(project, args.nodes)
    snapshot_file = args.snapshot or args.out / f"snapshot_{args.nodes}.json"
    names = ["ns_0.c0_n0", "ns_0.c0_n1"]
    if not snapshot_file.exists():
        try:
            from dagster_kedro.project import read_project

            snapshot_file.write_text(read_project(project).to_json())
        except Exception:  # the old code's snapshot is not used by the old code path
            snapshot_file.write_text("{}")
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}
    for _ in range(args.repeat):
        result = subprocess.run(
            [sys.executable, "-c", STEP, str(project), f"synth_{args.nodes}", json.dumps(names), str(snapshot_file), str(args.steps)],
            env=env, capture_output=True, text=True, check=True,
        )
        print(result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
