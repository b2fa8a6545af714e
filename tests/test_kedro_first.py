"""The Kedro-first path: `kedro new` (offline), `kedro dagster-kedro init`, then Dagster runs it.

`kedro` finds plugin commands through the `kedro.project_commands` entry points of installed
distributions. So that the test exercises what pyproject.toml declares (and not whatever an older
editable install registered), the `kedro` subprocesses see a dist-info written from this
checkout's pyproject.toml first on their path (importlib.metadata takes the first distribution
of a name).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tomllib
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
from conftest import BIN, REPO
from dagster._utils.test.definitions import scoped_definitions_load_context

from processes import free_port, stop, wait_for

from dagster_kedro.dg_project import dev_command, write_dg_project
from dagster_kedro.kedro_cli import DEFAULT_FOLDER

KEDRO_NEW = ("new", "--name", "my-kedro", "--tools", "none", "--example", "n", "--telemetry", "no")  # README
REGISTRY = '''
from kedro.pipeline import Pipeline, node


def greet(name: str) -> dict:
    """Say hello."""
    return {"greeting": f"hello {name}"}


def register_pipelines():
    return {"__default__": Pipeline([node(greet, "params:name", "greeting", name="greet")])}
'''


def _plugin_metadata(folder: Path) -> Path:
    """A dist-info of dagster-kedro holding the entry points pyproject.toml declares."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    info = folder / f"dagster_kedro-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: dagster-kedro\nVersion: {project['version']}\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
        for group, points in project["entry-points"].items()
    ))
    return folder


@contextmanager
def dg_project_loaded(root: Path, module: str) -> Iterator[dg.Definitions]:
    """The Definitions of the dg project at ``root``, loaded in this process the way `dg` does
    (the project folder importable), its modules forgotten afterwards."""
    sys.path.insert(0, str(root))
    try:
        with scoped_definitions_load_context():
            yield dg.load_from_defs_folder(project_root=root)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == module]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def kedro_env(tmp_path_factory) -> dict[str, str]:
    shim = _plugin_metadata(tmp_path_factory.mktemp("plugin"))
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(shim), str(REPO / "src"), os.environ.get("PYTHONPATH")) if p),
        "DAGSTER_HOME": str(tmp_path_factory.mktemp("dagster_home")),
    }


def kedro(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "kedro"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"kedro {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def new_project(tmp_path_factory, kedro_env) -> Path:
    """What `kedro new` makes without network, plus one node (a fresh project has none)."""
    workspace = tmp_path_factory.mktemp("workspace")
    kedro(workspace, kedro_env, *KEDRO_NEW)
    project = workspace / "my-kedro"
    (project / "src" / "my_kedro" / "pipeline_registry.py").write_text(REGISTRY)
    (project / "conf" / "base" / "parameters.yml").write_text("name: dagster\n")
    (project / "conf" / "base" / "catalog.yml").write_text(
        "greeting:\n  type: json.JSONDataset\n  filepath: data/02_intermediate/greeting.json\n"
    )
    return project


def test_init_writes_a_dg_project_whose_default_job_runs_the_kedro_nodes(new_project, kedro_env):
    out = kedro(new_project, kedro_env, "dagster-kedro", "init").stdout
    root = new_project / "dagster-project"
    assert "dagster-project" in out and "my_kedro__default" in out
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["tool"]["dg"] == {
        "directory_type": "project",
        "project": {"root_module": "my_kedro_dagster", "registry_modules": ["dagster_kedro"]},
    }
    defs_yaml = root / "my_kedro_dagster" / "defs" / "my_kedro" / "defs.yaml"
    text = defs_yaml.read_text()
    assert 'project_path: "../../../.."' in text  # relative to the defs.yaml folder
    assert "my_kedro__default" in text and "group_by:" in text and "executor:" in text
    assert (root / "my_kedro_dagster" / "definitions.py").is_file()

    with dg_project_loaded(root, "my_kedro_dagster") as defs:  # what `dg` loads from that folder
        job = defs.resolve_job_def("my_kedro__default")
        with dg.instance_for_test() as instance:
            assert job.execute_in_process(instance=instance).success
    written = new_project / "data" / "02_intermediate" / "greeting.json"
    assert json.loads(written.read_text()) == {"greeting": "hello dagster"}

    again = subprocess.run([str(BIN / "kedro"), "dagster-kedro", "init"], cwd=new_project, env=kedro_env,
                           capture_output=True, text=True)
    assert again.returncode != 0 and "exists already" in again.stderr and "--force" in again.stderr


def test_init_on_the_bundled_example_gives_its_jobs(kedro_project):
    project = kedro_project("spaceflights")
    layout = write_dg_project(project, "spaceflights", Path(DEFAULT_FOLDER), env=None, force=False)
    with dg_project_loaded(layout.root, layout.module) as defs:
        jobs = {job.name for job in defs.resolve_all_job_defs()}
        assets = {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()}
    assert "spaceflights__default" in jobs
    assert {"companies", "model_input_table", "data_science/regressor"} <= assets


def test_dev_serves_the_ui_on_127_0_0_1_and_stops(new_project, kedro_env, tmp_path):
    # a copy of its own: this test runs first (tests/conftest.py orders the longest first), and
    # test_init_writes_a_dg_project... must find the module's project not initialised yet
    project = Path(shutil.copytree(new_project, tmp_path / new_project.name))
    kedro(project, kedro_env, "dagster-kedro", "init")
    port = free_port()
    env = {k: v for k, v in kedro_env.items() if k != "DAGSTER_HOME"}  # the default home, beside
    process = subprocess.Popen(
        [str(BIN / "kedro"), "dagster-kedro", "dev", "--port", str(port)],
        cwd=project, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # a test run started in the background by a non-interactive shell (`cmd &`, as CI jobs
        # often are) ignores SIGINT, and an ignored signal stays ignored across exec: give
        # `dg dev` the default a user's terminal gives it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        def jobs() -> str:
            query = json.dumps({"query": "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }"})
            request = urllib.request.Request(f"{url}/graphql", query.encode(), {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.read().decode()
            except OSError:
                return ""

        wait_for(lambda: "my_kedro__default" in jobs(), timeout=180, what="dg dev serving the Kedro job")
        with urllib.request.urlopen(f"{url}/server_info", timeout=5) as response:
            assert response.status == 200
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: what a user stops `dg dev` with
            try:
                process.wait(timeout=60)  # about 6 s on an idle machine
            except subprocess.TimeoutExpired:
                pass
        stop(process)
    assert process.returncode == 0  # stopped by Ctrl-C, not killed
    assert (project / "dagster-project" / ".dagster_home" / "history").is_dir()  # runs kept beside the project


def test_dev_passes_host_port_and_extra_options_to_dg_dev(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.dg]\n")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    argv, env = dev_command(tmp_path, "0.0.0.0", 4000, ("--verbose",))
    assert Path(argv[0]).name == "dg" and argv[1:] == ["dev", "--host", "0.0.0.0", "--port", "4000", "--verbose"]
    assert env["DAGSTER_HOME"] == str(tmp_path / ".dagster_home")
    with pytest.raises(Exception, match="run `kedro dagster-kedro init` first"):
        dev_command(tmp_path / "nowhere", "127.0.0.1", 3000)


def test_a_project_fresh_from_kedro_new_loads_with_no_job(tmp_path, kedro_env):
    kedro(tmp_path, kedro_env, *KEDRO_NEW)
    project = tmp_path / "my-kedro"
    layout = write_dg_project(project, "my_kedro", Path("../beside"), env="local", force=False)
    assert layout.root == tmp_path / "beside" and "env: \"local\"" in layout.defs_yaml.read_text()
    with dg_project_loaded(layout.root, layout.module) as defs:
        assert {job.name for job in defs.resolve_all_job_defs()} <= {"__ASSET_JOB"}
        assert list(defs.resolve_all_asset_specs()) == []


def test_kedro_loads_the_plugin_command_without_importing_dagster(new_project, kedro_env):
    """Kedro imports every plugin's commands for every `kedro` command: ours must not cost `kedro run` dagster."""
    probe = ("import sys; from pathlib import Path; from kedro.framework.cli.cli import KedroCLI; "
             "groups = KedroCLI(Path.cwd()).project_groups; "
             "print('commands', sorted(c for g in groups for c in g.commands), 'dagster' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=new_project, env=kedro_env,
                         capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("commands"))
    assert "'dagster-kedro'" in line and line.endswith("False")
