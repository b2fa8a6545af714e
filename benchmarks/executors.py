"""Wall and CPU time of a Kedro project's default job under each executor and group_by, against `kedro run`.

Copies a Kedro project (default examples/kedro_projects/spaceflights; ``--project`` for another,
e.g. one from ``generate_project.py``) to a work folder, times ``kedro run`` there (and ``kedro run
--runner ParallelRunner`` with ``--parallel-runner``), then ``dg launch --job <package>__default`` in
a throw-away dg project per group_by, under each executor asked:

- ``in_process``; ``multiprocess`` (``{multiprocess: {}}``); ``multiprocess:N`` (max_concurrent N);
  ``default`` (no ``--config-json``: the job's default executor, i.e. what a user gets);
  ``celery`` (a redis-server and a ``dagster-celery`` worker with two processes are started on
  127.0.0.1 for it, and stopped at the end).

Every command is a cold process measured like ``run.py`` does (``run.Runner``): wall time, CPU
seconds of the process tree (user + sys, including the step processes), peak RSS and the
1-minute load average at its start. Prints a table:

- launch s / cpu s: the whole ``dg launch`` command (CLI start, loading definitions, the run);
- run s: RUN_START to RUN_SUCCESS/FAILURE in the run's event log (the run itself); steps: the
  run's STEP_START count;
- ratios to the wall time of ``kedro run`` (the whole command, so like for like with launch s).

    python benchmarks/executors.py                       # all executors, group_by memory, best of 1
    python benchmarks/executors.py --repeat 3 --executors in_process multiprocess
    python benchmarks/executors.py --group-by memory namespace pipeline --parallel-runner \
        --executors in_process multiprocess:2 default --json /tmp/executors.json
    python benchmarks/executors.py --project /tmp/synth10 --executors in_process multiprocess:2

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
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "kedro_projects" / "spaceflights"
sys.path[:0] = [str(REPO / "benchmarks"), str(REPO / "tests")]
from dg_projects import BIN, DgProject  # noqa: E402  (the tests' dg project helper)
from processes import free_port, stop, wait_for  # noqa: E402  (shared with tests/test_celery.py)
from run import Runner  # noqa: E402  (cold process: wall, CPU of the tree, peak RSS, load average)
EXECUTORS = ("in_process", "multiprocess", "default", "celery")

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
steps = sum(1 for e in instance.all_logs(run.run_id)
            if e.dagster_event and e.dagster_event.event_type == DagsterEventType.STEP_START)
print(json.dumps({"status": run.status.value, "seconds": end - times["RUN_START"], "steps": steps}))
"""


def copy_project(source: Path, dest: Path) -> Path:
    def ignore(directory: str, names: list[str]) -> list[str]:
        folder = Path(directory)
        if folder.parent.name == "data" and folder.name != "01_raw":
            return [n for n in names if n != ".gitkeep"]
        return [n for n in names if n in ("__pycache__", "sessions", "logs")]

    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=ignore)
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


def package_of(project: Path) -> str:
    """The Kedro package name (``[tool.kedro] package_name``): the default job is ``<package>__default``."""
    import tomllib

    return tomllib.loads((project / "pyproject.toml").read_text())["tool"]["kedro"]["package_name"]


def executor_config(executor: str) -> dict | None:
    """Run config selecting the executor; None for ``default`` (no ``--config-json``) and celery
    (the component's ``executor:`` selects it)."""
    if executor in ("default", "celery"):
        return None
    if executor.startswith("multiprocess:"):
        return {"execution": {"config": {"multiprocess": {"max_concurrent": int(executor.split(":")[1])}}}}
    return {"execution": {"config": {executor: {}}}}


def timed_launch(runner: Runner, label: str, project: DgProject, job: str, config: dict | None) -> dict:
    """A cold ``dg launch --job``: the runner's measurement plus the run's own RUN_START to
    RUN_SUCCESS seconds and its step count (from the event log)."""
    args = [str(BIN / "dg"), "launch", "--job", job]
    if config:
        args += ["--config-json", json.dumps(config)]
    m = runner.measure(label, args, project.root, project.process_env())
    if not m.ok:
        raise RuntimeError(f"dg launch failed: see {m.log}")
    run = json.loads(project.python(RUN_SECONDS).stdout.strip().splitlines()[-1])
    if run["status"] != "SUCCESS":
        raise RuntimeError(f"run ended {run['status']}")
    return {**asdict(m), "run_s": run["seconds"], "steps": run["steps"]}


def time_kedro_run(runner: Runner, project: Path, *args: str) -> dict:
    clean_outputs(project)
    m = runner.measure(" ".join(["kedro run", *args]), [str(BIN / "kedro"), "run", *args], project, dict(os.environ))
    if not m.ok:
        raise RuntimeError(f"kedro run failed: see {m.log}")
    return {**asdict(m), "run_s": None, "steps": None}


def best(measurements: list[dict]) -> dict:
    """The shortest wall time, with the range of load averages its repeats started at."""
    chosen = min(measurements, key=lambda m: m["wall_s"])
    loads = [m["load_at_start"] for m in measurements]
    return {**chosen, "cpu_s": min(m["cpu_s"] for m in measurements), "load_min": min(loads), "load_max": max(loads)}


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
    parser.add_argument("--executors", nargs="+", default=list(EXECUTORS),
                        help=f"{EXECUTORS} or multiprocess:N (max_concurrent N)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the best is kept")
    parser.add_argument("--group-by", nargs="+", default=["memory"], choices=["memory", "namespace", "node", "pipeline"])
    parser.add_argument("--project", type=Path, default=EXAMPLE, help="the Kedro project to copy and run")
    parser.add_argument("--parallel-runner", action="store_true", help="also time kedro run --runner ParallelRunner")
    parser.add_argument("--max-load", type=float, default=100.0, help="wait for the 1-min load average to drop under this")
    parser.add_argument("--quiet-timeout", type=float, default=0.0, help="longest wait for --max-load, seconds")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    bad = [e for e in args.executors if e not in EXECUTORS and not e.startswith("multiprocess:")]
    if bad:
        parser.error(f"--executors: {bad} are not one of {EXECUTORS} or multiprocess:N")
    os.environ.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")
    os.environ.pop("DAGSTER_IS_DEV_CLI", None)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dagster_kedro_executors_"))
    workdir.mkdir(parents=True, exist_ok=True)
    runner = Runner(workdir / "logs", args.max_load, args.quiet_timeout)
    package = package_of(args.project)
    job = f"{package}__default"
    project = copy_project(args.project, workdir / package)
    rows = [{"group_by": None, "executor": "kedro run",
             **best([time_kedro_run(runner, project) for _ in range(args.repeat)])}]
    if args.parallel_runner:
        rows.append({"group_by": None, "executor": "kedro run --runner ParallelRunner", **best(
            [time_kedro_run(runner, project, "--runner", "ParallelRunner") for _ in range(args.repeat)])})
    notes = []
    for group_by in args.group_by:
        for executor in args.executors:
            attributes: dict = {"project_path": str(project), "group_by": group_by}
            config = executor_config(executor)
            cluster = None
            name = f"dg_{group_by}_{executor.replace(':', '_')}"
            if executor == "celery":
                missing = celery_available()
                if missing:
                    notes.append(f"celery skipped: {missing}")
                    continue
                port = free_port()
                url = f"redis://127.0.0.1:{port}/0"
                attributes["executors"] = {"workers": {"type": "celery", "config": {"broker": url, "backend": url}}}
                attributes["executor"] = "workers"
                dg_project = new_dg_project(workdir / name, attributes)
                cluster = CeleryCluster(workdir, dg_project, url, port)
            else:
                dg_project = new_dg_project(workdir / name, attributes)
            try:
                measured = []
                for _ in range(args.repeat):
                    clean_outputs(project)
                    measured.append(timed_launch(runner, f"launch {group_by} {executor}", dg_project, job, config))
            finally:
                if cluster:
                    cluster.close()
            rows.append({"group_by": group_by, "executor": executor, **best(measured)})

    kedro = rows[0]["wall_s"]
    header = (f"{'group_by':<10}{'executor':<34}{'steps':>6}{'launch s':>10}{'cpu s':>8}{'run s':>8}"
              f"{'launch/kedro':>14}{'load':>10}")
    print(f"{job}, best of {args.repeat}, {os.cpu_count()} CPUs")
    print(header)
    print("-" * len(header))
    for row in rows:
        run = f"{row['run_s']:.2f}" if row["run_s"] is not None else "-"
        loads = f"{row['load_min']:.1f}-{row['load_max']:.1f}"
        print(f"{row['group_by'] or '-':<10}{row['executor']:<34}{row['steps'] or '-':>6}{row['wall_s']:>10.2f}"
              f"{row['cpu_s']:>8.2f}{run:>8}{row['wall_s'] / kedro:>13.2f}x{loads:>10}")
    for note in notes:
        print(note)
    if args.json:
        args.json.write_text(json.dumps({"project": str(args.project), "job": job, "repeat": args.repeat,
                                         "rows": rows, "notes": notes}, indent=1))


if __name__ == "__main__":
    main()
