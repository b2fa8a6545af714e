"""The project virtualenvs of the isolated-environment tests, built once and cached.

Each Kedro project of ``tests/fixtures/kedro_projects/iso_*`` runs in its own interpreter, with a
pandas that conflicts with the other's (2.2 against 3.1) and without dagster: only Kedro, the
datasets it reads, ``dagster-pipes`` and pydantic (what the project side of dagster-kedro needs).
The projects themselves are not installed anywhere: Kedro puts their ``src`` on ``sys.path``.
The monorepo example's ``company_ratings`` (pandas 2.2) gets its venv here too, from its own
``requirements.txt`` (tests/example_location.py links it into a copy of the example).

A venv is built under ``$DAGSTER_KEDRO_VENV_CACHE`` (default ``~/.cache/dagster-kedro-venvs``) in
a folder named by a hash of its requirements and of the base Python, so a change to the
requirements builds a new one and test runs reuse it. Builds hold a file lock, so parallel test
workers wait for one build. ``python tests/isolated_envs.py`` builds them all (``.ci/run`` does,
before the tests).
"""

from __future__ import annotations

import fcntl
import json
import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import copy_kedro_project, kedro_outputs

COMMON = ["kedro==1.7.0", "kedro-datasets[pandas-csvdataset]==9.6.0", "dagster-pipes==1.13.27", "pydantic>=2,<3"]
REQUIREMENTS = {
    "iso_a": [*COMMON, "pandas==2.2.3", "pandera==0.35.0"],  # iso_b has no pandera (its checks' error)
    "iso_b": [*COMMON, "pandas==3.1.1"],
    # the example's third project: its own requirements.txt, as examples/build_venv.py installs it
    "company_ratings": [
        line.strip()
        for line in (Path(__file__).resolve().parents[1] / "examples/kedro_projects/company_ratings/requirements.txt")
        .read_text()
        .splitlines()
        if line.strip() and not line.startswith("#")
    ],
}


def cache_dir() -> Path:
    return Path(os.environ.get("DAGSTER_KEDRO_VENV_CACHE") or Path.home() / ".cache" / "dagster-kedro-venvs")


def venv_path(name: str) -> Path:
    """Where the venv of ``name`` lives (built or not)."""
    identity = "\n".join([sys.version, *sorted(REQUIREMENTS[name])])
    return cache_dir() / f"{name}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


def project_venv(name: str) -> Path:
    """The venv of ``name``, built now if the cache has none."""
    venv = venv_path(name)
    if (venv / ".complete").exists():
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building it
        if not (venv / ".complete").exists():
            _build(venv, REQUIREMENTS[name])
    return venv


def _build(venv: Path, requirements: list[str]) -> None:
    """uv when it is installed (much faster), else ``python -m venv`` and pip."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if importlib.util.find_spec("uv"):
        uv = [sys.executable, "-m", "uv"]
        subprocess.run([*uv, "venv", "--clear", "--python", sys.executable, str(venv)], check=True, env=env)
        install = [*uv, "pip", "install", "--python", str(venv / "bin" / "python")]
    else:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, env=env)
        install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*install, *requirements], check=True, env=env)
    (venv / ".complete").write_text("\n".join(requirements) + "\n")


def kedro_run_in_venv(project: Path, venv: Path) -> None:
    """``kedro run`` of ``project`` by its own venv's interpreter: the reference outputs."""
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "kedro", "run"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def assert_ran_in_own_interpreters(projects: dict, venvs: dict, run_id: str, tmp_path: Path) -> tuple[set[int], set[int]]:
    """Each project's outputs equal its own ``kedro run``'s and its hooks fired in its own
    interpreter, pipeline hooks once with the run's id; returns the parent pids of the node
    hooks' and of the pipeline hooks' processes."""
    step_parents, run_parents = set(), set()
    for name, project in projects.items():
        hooks = [json.loads(line) for line in (project / "logs" / "hooks.jsonl").read_text().splitlines()]
        assert [h["node"] for h in hooks if h["hook"] == "before_node_run"] == ["check_pandas", "summarise"]
        pipeline_hooks = [h for h in hooks if h["hook"].endswith("pipeline_run")]
        assert [h["hook"] for h in pipeline_hooks] == ["before_pipeline_run", "after_pipeline_run"]
        assert {h["run_id"] for h in pipeline_hooks} == {run_id}
        assert {h["python"] for h in hooks} == {str(venvs[name] / "bin" / "python")}
        step_parents |= {h["ppid"] for h in hooks if h["hook"] == "before_node_run"}
        run_parents |= {h["ppid"] for h in pipeline_hooks}
        reference = copy_kedro_project(name, tmp_path / "reference")
        kedro_run_in_venv(reference, venvs[name])
        ours, theirs = kedro_outputs(project), kedro_outputs(reference)
        assert sorted(ours) == sorted(theirs) == ["08_reporting/summary.csv"]
        assert ours["08_reporting/summary.csv"].read_text() == theirs["08_reporting/summary.csv"].read_text()
    assert "object" in (projects["iso_a"] / "data/08_reporting/summary.csv").read_text()  # pandas 2
    assert ",str,3." in (projects["iso_b"] / "data/08_reporting/summary.csv").read_text()  # pandas 3
    return step_parents, run_parents


if __name__ == "__main__":
    for project in REQUIREMENTS:
        started = time.monotonic()
        print(f"{project}: {project_venv(project)} ({time.monotonic() - started:.1f} s)", flush=True)
