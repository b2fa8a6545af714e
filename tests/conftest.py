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
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from dg_projects import BIN, DgProject  # noqa: F401  (re-exported: tests import both from conftest)

from processes import needs, needs_extra

REPO = Path(__file__).resolve().parents[1]
KEDRO_PROJECTS = {
    "spaceflights": REPO / "examples" / "kedro_projects" / "spaceflights",
    "fleet_ops": REPO / "examples" / "kedro_projects" / "fleet_ops",
    "company_ratings": REPO / "examples" / "kedro_projects" / "company_ratings",  # pandas 2, own venv
    "hooked": REPO / "tests" / "fixtures" / "kedro_projects" / "hooked",
    "downstream": REPO / "tests" / "fixtures" / "kedro_projects" / "downstream",
    "validated": REPO / "tests" / "fixtures" / "kedro_projects" / "validated",
    "iso_a": REPO / "tests" / "fixtures" / "kedro_projects" / "iso_a",  # pandas 2, own venv (isolated_envs)
    "iso_b": REPO / "tests" / "fixtures" / "kedro_projects" / "iso_b",  # pandas 3, own venv
    "tracked": REPO / "tests" / "fixtures" / "kedro_projects" / "tracked",
}
POSTGRES_URL = "DAGSTER_KEDRO_TEST_POSTGRES_URL"

os.environ.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
MULTIPROCESS = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}


# The longest tests (a browser, servers, many step processes, venv builds), longest first.
LONGEST_FIRST = (
    "test_ui.py::",
    "test_mlflow.py::test_one_mlflow_run",
    "test_isolated_envs.py::",
    "test_isolated_executors.py::",
    "test_monorepo_example.py::",
    "test_faults.py::",
    "test_kedro_first.py::test_dev_serves",
    "test_mlflow.py::test_in_process",
    "test_celery.py::",
    "test_dask.py::",
    "test_postgres.py::",
    "test_execution.py::test_materializing_all_assets",
)


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist (`pytest -n 2`), hand a worker one test at a time (``--maxschedchunk 1``):
    the default hands each worker a quarter of its share at once, so a worker can sit on a queue
    of long tests while the other runs out of work; with the order below, the workers take the
    longest tests first and the short ones fill in at the end."""
    if getattr(config.option, "maxschedchunk", 0) is None:
        config.option.maxschedchunk = 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: the tests of ``LONGEST_FIRST`` in its order, then those that drive `dg` in
    subprocesses (the ``dg_project`` fixture), then the in-process rest; otherwise as collected."""

    def rank(item: pytest.Item) -> int:
        where = f"{item.path.name}::{item.name}"
        listed = next((i for i, prefix in enumerate(LONGEST_FIRST) if where.startswith(prefix)), None)
        if listed is not None:
            return listed
        return len(LONGEST_FIRST) + (0 if "dg_project" in getattr(item, "fixturenames", ()) else 1)

    items.sort(key=rank)


def copy_kedro_project(name: str, dest: Path) -> Path:
    """A fresh copy of a bundled Kedro project, without outputs of earlier runs or caches."""

    def ignore(directory: str, names: list[str]) -> list[str]:
        folder = Path(directory)
        if folder.parent.name == "data" and folder.name != "01_raw":
            return [n for n in names if n != ".gitkeep"]
        return [n for n in names if n in ("__pycache__", "sessions", "logs", ".venv")]

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
def loaded_in_process(
    attributes: dict[str, Any],
    name: str = "kedro",
    component_type: str = "dagster_kedro.KedroProjectComponent",
    sandbox: Any = None,
) -> Iterator[Any]:
    """Dagster's own component loader on a defs.yaml with ``attributes``, in this process
    (``dagster.components.testing``): what every `dg` command does first, without a subprocess.
    Yields the Definitions; a load error propagates as Dagster raises it. Pass a ``sandbox``
    (the ``defs_sandbox`` fixture) to load many variants from one defs.yaml path: the asset keys
    a component claims in this process belong to that path, so loads of it replace each other."""
    from dagster.components.testing import create_defs_folder_sandbox

    with nullcontext(sandbox) if sandbox is not None else create_defs_folder_sandbox() as box:
        folder = box.defs_folder_path / name
        folder.mkdir(exist_ok=True)
        (folder / "defs.yaml").write_text(yaml.safe_dump({"type": component_type, "attributes": attributes}))
        with box.load_component_and_build_defs(defs_path=folder) as (_component, defs):
            yield defs


@pytest.fixture(scope="module")
def defs_sandbox() -> Iterator[Any]:
    """One ``dagster.components.testing`` defs folder for a test module's in-process loads."""
    from dagster.components.testing import create_defs_folder_sandbox

    with create_defs_folder_sandbox() as sandbox:
        yield sandbox


def error_text(error: BaseException) -> str:
    """The messages of ``error`` and of every exception it was raised from."""
    return "\n".join(str(e) for e in error_chain(error))


def error_chain(error: BaseException | None) -> list[BaseException]:
    """``error`` and every exception it was raised from, each once (a chain may loop)."""
    chain: list[BaseException] = []
    while error is not None and all(error is not seen for seen in chain):
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


@pytest.fixture
def postgres_db():
    """``postgres_db`` storage settings of a fresh database on the test server (created through
    $DAGSTER_KEDRO_TEST_POSTGRES_URL, whose role may create databases; dropped at the end)."""
    needs_extra("dagster_postgres", "postgres")
    url = os.environ.get(POSTGRES_URL)
    needs(
        bool(url),
        f"needs a PostgreSQL server: set {POSTGRES_URL}=postgresql://user:password@127.0.0.1:port/db "
        "(a role that may create databases; `source .ci/services.sh` starts one)",
    )
    import psycopg2

    name = f"dagster_kedro_{uuid.uuid4().hex[:12]}"
    server = psycopg2.connect(url)
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    try:
        yield {
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "hostname": parts.hostname,
            "port": parts.port or 5432,
            "db_name": name,
            # SQLAlchemy 2.1 would map plain postgresql:// to psycopg 3 (see docs/orchestration.md)
            "scheme": "postgresql+psycopg2",
        }
    finally:
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def latest_run_logs(dg_project: DgProject) -> dict[str, Any]:
    """The newest run's log events (``messages``: step key, level, message; structured events
    are left out), the errors its events carry (event type, step key, error with causes and
    stacks) and its captured compute logs (stdout and stderr of every capture, ``compute_logs``)."""
    with dg_project.instance() as instance:
        run = instance.get_runs()[0]
        logs = instance.all_logs(run.run_id)
        manager = instance.compute_log_manager
        file_keys = dict.fromkeys(
            e.dagster_event.logs_captured_data.file_key
            for e in logs
            if e.dagster_event and e.dagster_event.event_type_value == "LOGS_CAPTURED"
        )
        captured = [manager.get_log_data(manager.build_log_key_for_run(run.run_id, key)) for key in file_keys]
        return {
            "run_id": run.run_id,
            "messages": [[e.step_key, e.level, e.user_message] for e in logs if e.dagster_event is None],
            "errors": [
                [e.dagster_event.event_type_value, e.step_key, e.dagster_event.event_specific_data.error.to_string()]
                for e in logs
                if e.dagster_event and getattr(e.dagster_event.event_specific_data, "error", None)
            ],
            "compute_logs": "".join((c.stdout or b"").decode() + (c.stderr or b"").decode() for c in captured),
        }


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
