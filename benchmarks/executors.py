"""Wall time of the example job under each executor, as ratios to `kedro run`.

Copies examples/kedro_projects/spaceflights to a temp folder, times `kedro run` there, then
`dg launch --job spaceflights__default` in a throw-away dg project under in_process,
multiprocess and celery (a redis-server and a `dagster-celery` worker with two processes are
started on 127.0.0.1 for it, and stopped at the end). Prints a table:

- launch s: wall time of the whole `dg launch` command (CLI start, loading definitions, the run);
- run s: RUN_START to RUN_SUCCESS/FAILURE in the run's event log (the run itself);
- ratios to the wall time of `kedro run` (the whole command, so like for like with launch s).

    python benchmarks/executors.py                       # all three, best of 1
    python benchmarks/executors.py --repeat 3 --executors in_process multiprocess
    python benchmarks/executors.py --group-by node --json /tmp/executors.json

Celery is skipped (with a note) when dagster-celery or redis-server is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "kedro_projects" / "spaceflights"
sys.path.insert(0, str(REPO / "tests"))
from dg_projects import BIN, DgProject  # noqa: E402  (the tests' dg project helper)
from processes import free_port, stop, wait_for  # noqa: E402  (shared with tests/test_celery.py)
JOB = "spaceflights__default"
EXECUTORS = ("in_process", "multiprocess", "celery")

RUN_SECONDS = """
import json
from dagster import DagsterEventType, DagsterInstance
instance = DagsterInstance.get()
run = instance.get_runs(limit=1)[0]
kinds = {DagsterEventType.RUN_START: "RUN_START", DagsterEventType.RUN_SUCCESS: "RUN_SUCCESS",
         DagsterEventType.RUN_FAILURE: "RUN_FAILURE"}
times = {kinds[e.dagster_event.event_type]: e.timestamp for e in instance.all_logs(run.run_id)
         if e.dagster_event and e.dagster_event.event_type in kinds}
end = times.get("RUN_SUCCESS", times.get("RUN_FAILURE"))
print(json.dumps({"status": run.status.value, "seconds": end - times["RUN_START"]}))
"""


def copy_project(dest: Path) -> Path:
    def ignore(directory: str, names: list[str]) -> list[str]:
        folder = Path(directory)
        if folder.parent.name == "data" and folder.name != "01_raw":
            return [n for n in names if n != ".gitkeep"]
        return [n for n in names if n in ("__pycache__", "sessions", "logs")]

    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(EXAMPLE, dest, ignore=ignore)
    return dest


def clean_outputs(project: Path) -> None:
    for folder in (project / "data").iterdir():
        if folder.is_dir() and folder.name != "01_raw":
            for path in folder.iterdir():
                if path.name != ".gitkeep":
                    shutil.rmtree(path) if path.is_dir() else path.unlink()


def new_dg_project(root: Path, attributes: dict) -> DgProject:
    """A fresh dg project of the tests' kind whose defs hold one component over the example."""
    if root.exists():
        shutil.rmtree(root)
    project = DgProject(root, "bench_defs")
    project.add_component("spaceflights", attributes)
    return project


def timed_launch(project: DgProject, config: dict | None) -> tuple[float, float]:
    """Wall time of ``dg launch --job`` and the run's own RUN_START to RUN_SUCCESS seconds."""
    args = [str(BIN / "dg"), "launch", "--job", JOB]
    if config:
        args += ["--config-json", json.dumps(config)]
    started = time.perf_counter()
    result = subprocess.run(args, cwd=project.root, env=project.process_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"dg launch failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    run = json.loads(project.python(RUN_SECONDS).stdout.strip().splitlines()[-1])
    if run["status"] != "SUCCESS":
        raise RuntimeError(f"run ended {run['status']}")
    return wall, run["seconds"]


def time_kedro_run(project: Path) -> float:
    clean_outputs(project)
    started = time.perf_counter()
    subprocess.run([str(BIN / "kedro"), "run"], cwd=project, check=True, capture_output=True)
    return time.perf_counter() - started


class CeleryCluster:
    """redis-server on a free port plus one dagster-celery worker (two processes)."""

    def __init__(self, workdir: Path, dg_project: DgProject, url: str, port: int):
        self.processes: list[subprocess.Popen] = []
        redis = shutil.which("redis-server")
        self.processes.append(
            subprocess.Popen(
                [redis, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                 "--dir", str(workdir)],
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        wait_for(lambda: _pong(port), 20, "redis-server")
        config = workdir / "celery.yaml"
        config.write_text(f"execution:\n  config:\n    broker: '{url}'\n    backend: '{url}'\n")
        self.log = workdir / "celery_worker.log"
        with self.log.open("w") as log:
            self.processes.append(
                subprocess.Popen(
                    [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app", "-y", str(config),
                     "--", "--concurrency=2"],
                    cwd=dg_project.root,
                    env=dg_project.process_env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        wait_for(lambda: "ready." in self.log.read_text(), 120, "the celery worker")

    def close(self) -> None:
        for process in reversed(self.processes):
            stop(process)


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def celery_available() -> str | None:
    try:
        import dagster_celery  # noqa: F401
    except ImportError:
        return "dagster-celery is not installed (pip install 'dagster-kedro[celery]')"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executors", nargs="+", choices=EXECUTORS, default=list(EXECUTORS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per executor; the best is kept")
    parser.add_argument("--group-by", default="memory", choices=["memory", "namespace", "node", "pipeline"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    os.environ.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dagster_kedro_executors_"))
    workdir.mkdir(parents=True, exist_ok=True)
    project = copy_project(workdir / "spaceflights")
    kedro = min(time_kedro_run(project) for _ in range(args.repeat))
    rows = [{"executor": "kedro run", "launch_s": kedro, "run_s": None}]
    notes = []
    for executor in args.executors:
        attributes: dict = {"project_path": str(project), "group_by": args.group_by}
        config = None
        cluster = None
        if executor == "celery":
            missing = celery_available()
            if missing:
                notes.append(f"celery skipped: {missing}")
                continue
            port = free_port()
            url = f"redis://127.0.0.1:{port}/0"
            attributes["executors"] = {"workers": {"type": "celery", "config": {"broker": url, "backend": url}}}
            attributes["executor"] = "workers"
            dg_project = new_dg_project(workdir / f"dg_{executor}", attributes)
            cluster = CeleryCluster(workdir, dg_project, url, port)
        else:
            dg_project = new_dg_project(workdir / f"dg_{executor}", attributes)
            config = {"execution": {"config": {executor: {}}}}
        try:
            best = None
            for _ in range(args.repeat):
                clean_outputs(project)
                measured = timed_launch(dg_project, config)
                best = measured if best is None or measured[0] < best[0] else best
        finally:
            if cluster:
                cluster.close()
        rows.append({"executor": executor, "launch_s": best[0], "run_s": best[1]})

    header = f"{'executor':<14}{'launch s':>10}{'run s':>9}{'launch / kedro run':>20}{'run / kedro run':>17}"
    print(f"spaceflights__default (group_by: {args.group_by}), best of {args.repeat}, {os.cpu_count()} CPUs")
    print(header)
    print("-" * len(header))
    for row in rows:
        run = f"{row['run_s']:.2f}" if row["run_s"] is not None else "-"
        run_ratio = f"{row['run_s'] / kedro:.2f}x" if row["run_s"] is not None else "-"
        print(f"{row['executor']:<14}{row['launch_s']:>10.2f}{run:>9}{row['launch_s'] / kedro:>19.2f}x{run_ratio:>17}")
    for note in notes:
        print(note)
    if args.json:
        args.json.write_text(json.dumps({"group_by": args.group_by, "rows": rows, "notes": notes}, indent=1))


if __name__ == "__main__":
    main()
