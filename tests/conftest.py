"""Real Kedro projects in real dg projects, driven through the `dg` CLI in subprocesses.

Each test gets copies of the Kedro projects it uses (so outputs never leak between tests), a
throw-away dg project whose defs folder holds KedroProjectComponent YAML, and a DAGSTER_HOME
of its own. Telemetry is off everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from dg_projects import BIN, DgProject  # noqa: F401  (re-exported: tests import both from conftest)

REPO = Path(__file__).resolve().parents[1]
KEDRO_PROJECTS = {
    "spaceflights": REPO / "examples" / "kedro_projects" / "spaceflights",
    "hooked": REPO / "tests" / "fixtures" / "kedro_projects" / "hooked",
    "downstream": REPO / "tests" / "fixtures" / "kedro_projects" / "downstream",
}

os.environ.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
MULTIPROCESS = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}


def copy_kedro_project(name: str, dest: Path) -> Path:
    """A fresh copy of a bundled Kedro project, without outputs of earlier runs or caches."""

    def ignore(directory: str, names: list[str]) -> list[str]:
        folder = Path(directory)
        if folder.parent.name == "data" and folder.name != "01_raw":
            return [n for n in names if n != ".gitkeep"]
        return [n for n in names if n in ("__pycache__", "sessions", "logs")]

    target = dest / name
    shutil.copytree(KEDRO_PROJECTS[name], target, ignore=ignore)
    return target


def kedro_outputs(project: Path) -> dict[str, Path]:
    """Every file a run wrote under data/, keyed by its path relative to data/ (version folders
    collapsed to 'V', so two runs with different save versions compare equal)."""
    found = {}
    for path in sorted((project / "data").rglob("*")):
        if path.is_file() and path.parent.name != "01_raw" and path.name != ".gitkeep":
            parts = list(path.relative_to(project / "data").parts)
            if len(parts) >= 3 and parts[-3] == parts[-1]:
                parts[-2] = "V"
            found["/".join(parts)] = path
    return found


def run_kedro(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN / "kedro"), "run", *args],
        cwd=project,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture
def dg_project(tmp_path: Path) -> DgProject:
    return DgProject(tmp_path / "dg_project")


@pytest.fixture
def kedro_project(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str, folder: str = "kedro") -> Path:
        return copy_kedro_project(name, tmp_path / folder)

    return make


@contextmanager
def loaded_in_process(attributes: dict[str, Any], name: str = "kedro") -> Iterator[Any]:
    """Dagster's own component loader on a defs.yaml with ``attributes``, in this process
    (``dagster.components.testing``): what every `dg` command does first, without a subprocess.
    Yields the Definitions; a load error propagates as Dagster raises it."""
    from dagster.components.testing import create_defs_folder_sandbox

    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / name
        folder.mkdir()
        (folder / "defs.yaml").write_text(
            yaml.safe_dump({"type": "dagster_kedro.KedroProjectComponent", "attributes": attributes})
        )
        with sandbox.load_component_and_build_defs(defs_path=folder) as (_component, defs):
            yield defs


def error_text(error: BaseException) -> str:
    """The messages of ``error`` and of every exception it was raised from."""
    texts = []
    while error is not None:
        texts.append(str(error))
        error = error.__cause__ or error.__context__
    return "\n".join(texts)


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
