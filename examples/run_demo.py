#!/usr/bin/env python
"""Run the bundled Kedro example on Dagster, end to end.

    python examples/run_demo.py            # dg launch --job spaceflights__default, then fleet_ops__default
    python examples/run_demo.py --multiprocess   # the same jobs, each step in a process of its own

It launches the jobs with the `dg` CLI of this Python environment, in the dg project
examples/dagster_project, whose defs folder holds two KedroProjectComponents: one over the Kedro
project examples/kedro_projects/spaceflights (the main job), one over fleet_ops, a second
Kedro project that reads what spaceflights writes (a monorepo in one code location), and one over
company_ratings, a third project pinned to pandas 2 that runs in its own virtualenv
(``python_executable``), built first with uv when missing (``examples/build_venv.py``, ~5 s with a
warm cache). Runs are kept in examples/dagster_project/.dagster_home
(created on first use, telemetry off) so that `dg dev` shows them afterwards. At the end it lists
every file the run wrote under the Kedro project's data/ folder.

Needs: pip install -e '.[demo]' (from the repository root).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import build_venv

EXAMPLES = Path(__file__).resolve().parent
DG_PROJECT = EXAMPLES / "dagster_project"
KEDRO_PROJECTS = tuple(EXAMPLES / "kedro_projects" / name for name in ("spaceflights", "fleet_ops", "company_ratings"))
DATA = EXAMPLES / "kedro_projects"
DAGSTER_HOME = DG_PROJECT / ".dagster_home"
# the main job, then the jobs of the projects that read what the first one wrote and read
JOBS = ("spaceflights__default", "fleet_ops__default", "company_ratings__default")
TAIL_LINES = 40
LOG_FILE = DAGSTER_HOME / "run_demo.log"  # dg's full stdout + stderr of the last demo run

# "2026-11-22 03:24:25 +0000 - dagster - DEBUG - <job> - <run id> - <rest>"
LOG_LINE = re.compile(
    r"^\S+ \S+ \S+ - dagster - (?P<level>[A-Z]+) - (?P<job>\S+) - "
    r"(?P<run_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) - (?P<rest>.*)$"
)
EVENT = re.compile(r"^(?:\d+ - )?(?:(?P<step>[\w.]+) - )?(?P<event>[A-Z][A-Z_]+) - (?P<message>.*)$")
# "KedroComponentError: ...", "dagster_kedro.errors.KedroNodeError: ...", "  Fix: ..."
ERROR_LINE = re.compile(r"^[│\s]*(?:[\w.]+(?:Error|Exception)\b:|Fix:)")
STEP_MESSAGE = re.compile(r"^(?P<step>[\w.]+) - (?P<message>.*)$")


def fail(message: str, code: int = 1) -> None:
    print(f"\nDEMO FAILED: {message}", file=sys.stderr)
    sys.exit(code)


def find_dg() -> Path:
    """The `dg` installed next to this interpreter (the same virtualenv)."""
    bin_dir = Path(sys.executable).parent
    found = shutil.which("dg", path=str(bin_dir))
    if not found:
        fail(
            f"no `dg` next to {sys.executable}. Install the demo into this environment first:\n"
            f"  {sys.executable} -m pip install -e '.[demo]'   (from the repository root)"
        )
    return Path(found)


def prepare_dagster_home() -> None:
    DAGSTER_HOME.mkdir(parents=True, exist_ok=True)
    config = DAGSTER_HOME / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")


def error_messages(lines: list[str]) -> list[str]:
    """Exception messages in dg's output (each up to the next blank line), without duplicates."""
    messages: dict[str, None] = {}
    for index, line in enumerate(lines):
        if ERROR_LINE.search(line) and not line.lstrip(" │").startswith("Fix:"):
            block = []
            for follow in lines[index : index + 12]:
                if not follow.strip(" │"):
                    break
                block.append(follow.strip(" │"))
            messages.setdefault("\n".join(block))
    return list(messages)


def data_files() -> dict[Path, tuple[int, int]]:
    """Every file under data/ (but .gitkeep), with (mtime_ns, size)."""
    files = {}
    for path in sorted(DATA.glob("*/data/**/*")):
        if path.is_file() and path.name != ".gitkeep":
            stat = path.stat()
            files[path] = (stat.st_mtime_ns, stat.st_size)
    return files


def human_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


class Progress:
    """Turns dg's event log lines into one short line per event worth showing."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.run_id: str | None = None

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)

    def line(self, line: str) -> None:
        match = LOG_LINE.match(line)
        if not match:
            return
        if self.run_id is None:
            self.run_id = match["run_id"]
            self.say(f"run {self.run_id} of job {match['job']}")
        rest = match["rest"]
        event = EVENT.match(rest)
        if event:
            kind, step, message = event["event"], event["step"], event["message"]
            if kind == "RUN_START":
                self.say("run started")
            elif kind == "STEP_START":
                self.say(f"step {step}")
            elif kind == "STEP_FAILURE":
                self.say(f"step {step} FAILED")
            elif kind == "ASSET_MATERIALIZATION":
                # "Materialized value data_science regressor." -> data_science/regressor
                asset = re.sub(r"^Materialized value (.*?)\.?$", r"\1", message).replace(" ", "/")
                self.say(f"  materialized {asset}")
            elif kind in ("RUN_SUCCESS", "RUN_FAILURE"):
                self.say("run succeeded" if kind == "RUN_SUCCESS" else f"run FAILED: {message}")
            return
        step_message = STEP_MESSAGE.match(rest)
        message = step_message["message"] if step_message else rest
        if message.startswith("Kedro node "):
            self.say(f"  {message}")
        elif message.startswith("Kedro before_pipeline_run"):
            self.say(message.split(" of ")[0].replace("Kedro before_pipeline_run: ", "Kedro pipeline: "))


def launch(dg: Path, env: dict[str, str], job: str, multiprocess: bool) -> tuple[str, float]:
    """`dg launch --job <job>` with a progress line per step and node; exits on failure."""
    command = [str(dg), "launch", "--job", job]
    if multiprocess:
        command += ["--config-json", '{"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}']

    print(f"$ cd {DG_PROJECT.relative_to(EXAMPLES.parent)} && dg {shlex.join(command[1:])}")
    progress = Progress()
    progress.say("loading the definitions (reads the Kedro project)")

    stdout_lines: list[str] = []
    stderr_lines: list[str] = []
    process = subprocess.Popen(
        command,
        cwd=DG_PROJECT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
    )

    def drain_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stdout_lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=drain_stdout, daemon=True)
    reader.start()
    assert process.stderr is not None
    for line in process.stderr:
        line = line.rstrip("\n")
        stderr_lines.append(line)
        progress.line(line)
    code = process.wait()
    reader.join(timeout=10)
    elapsed = time.monotonic() - progress.started
    LOG_FILE.write_text(
        "\n".join(["$ " + " ".join(command), "--- stderr ---", *stderr_lines, "--- stdout ---", *stdout_lines])
        + "\n"
    )

    if code != 0:
        tail = stderr_lines[-TAIL_LINES:]
        print(f"\n--- last {len(tail)} lines of dg's stderr ---", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr)
        errors = error_messages(stderr_lines)
        if errors:
            print("--- errors reported by dg ---", file=sys.stderr)
            print("\n".join(errors), file=sys.stderr)
        fail(
            f"`dg {shlex.join(command[1:])}` exited with code {code}. "
            f"Full output: {LOG_FILE.relative_to(EXAMPLES.parent)}",
            code,
        )
    if progress.run_id is None:
        fail("dg exited 0 but printed no run id: did the run start?")
    return progress.run_id, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--multiprocess", action="store_true",
        help="run each step in a process of its own (the jobs' default is one process, as `kedro run`)",
    )
    args = parser.parse_args(argv)

    dg = find_dg()
    prepare_dagster_home()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(DAGSTER_HOME),
        "KEDRO_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(DG_PROJECT / "src"), os.environ.get("PYTHONPATH")) if p
        ),
        "PYTHONUNBUFFERED": "1",
    }
    print("dagster-kedro demo: Kedro projects " + ", ".join(sorted(p.name for p in KEDRO_PROJECTS)))
    for project in build_venv.ISOLATED_PROJECTS:
        if not build_venv.is_built(project):
            started = time.monotonic()
            print(f"building the venv of {project.name} with uv (once): python examples/build_venv.py")
            build_venv.build(project)
            print(f"  {project.name}/.venv built in {time.monotonic() - started:.1f}s")
    before = data_files()
    runs = [launch(dg, env, job, args.multiprocess) for job in JOBS]
    elapsed = sum(seconds for _, seconds in runs)

    after = data_files()
    written = [path for path, info in after.items() if before.get(path) != info]
    if not written:
        fail(f"the run wrote no file under {DATA}")
    rows = [(path.relative_to(EXAMPLES.parent).as_posix(), human_size(after[path][1])) for path in written]
    width = max(len(r[0]) for r in rows)
    print(f"\n{len(rows)} files written by the run under {DATA.relative_to(EXAMPLES.parent).as_posix()}:")
    print(f"  {'path'.ljust(width)}  {'size':>10}")
    for path, size in rows:
        print(f"  {path.ljust(width)}  {size:>10}")

    home = DAGSTER_HOME.relative_to(DG_PROJECT)
    on_path = Path(sys.executable).parent == Path(shutil.which("dg") or "").parent
    dg_bin = "dg" if on_path else str(dg)
    here = Path.cwd()
    folder = DG_PROJECT.relative_to(here) if DG_PROJECT.is_relative_to(here) else DG_PROJECT
    print(f"\nRuns {', '.join(run_id for run_id, _ in runs)} succeeded in {elapsed:.0f}s.\nOpen them in the Dagster UI:")
    if importlib.util.find_spec("dagster_webserver") is None:
        print(f"  {sys.executable} -m pip install dagster-webserver   # `dg dev` needs it")
    print(
        f"  cd {folder} && DAGSTER_HOME=$PWD/{home} {dg_bin} dev\n"
        f"  then http://localhost:3000/runs/{runs[0][0]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
