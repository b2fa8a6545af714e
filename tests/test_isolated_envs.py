"""Kedro projects with conflicting requirements in one code location, each read by its own
interpreter (``python_executable``): iso_a pins pandas 2, iso_b pandas 3 (tests/isolated_envs.py
builds their venvs once; the projects are installed nowhere). The code location's interpreter
imports no Kedro module, whether it loads from state or has the projects read live."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import pytest
import yaml
from conftest import MULTIPROCESS, copy_kedro_project, error_text, kedro_outputs, latest_run_logs, loaded_in_process
from isolated_envs import assert_ran_in_own_interpreters, kedro_run_in_venv, project_venv

LOAD = """
import json, sys, warnings
from pathlib import Path
from dagster import load_from_defs_folder
from dagster._utils.test.definitions import scoped_definitions_load_context

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with scoped_definitions_load_context():
        defs = load_from_defs_folder(project_root=Path.cwd())
        graph = {
            key.to_user_string(): sorted(d.to_user_string() for d in deps)
            for key, deps in defs.resolve_asset_graph().asset_dep_graph["upstream"].items()
        }
print(json.dumps({
    "graph": graph,
    "jobs": sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__")),
    "kedro_modules": sorted(m for m in sys.modules if m.split(".")[0] in ("kedro", "kedro_datasets", "iso_a", "iso_b")),
    "warnings": [str(w.message) for w in caught if "dagster-kedro" in str(w.message)],
}))
"""


MATERIALIZATIONS = """
import json
from dagster import AssetKey, DagsterInstance
instance = DagsterInstance.get()
found = {}
for key in ([n, "summary"] for n in ("iso_a", "iso_b")):
    metadata = instance.get_latest_materialization_event(AssetKey(key)).asset_materialization.metadata
    found["/".join(key)] = {
        name: [[c.name, c.type] for c in value.value.columns] if name == "dagster/column_schema" else value.value
        for name, value in metadata.items()
    }
print(json.dumps(found, default=str))
"""


@pytest.fixture(scope="module")
def venvs():
    return {name: project_venv(name) for name in ("iso_a", "iso_b")}


def test_conflicting_projects_load_in_one_location_importing_no_kedro(venvs, kedro_project, dg_project):
    for name in ("iso_a", "iso_b"):
        dg_project.add_component(
            name,
            {
                "project_path": str(kedro_project(name)),
                "python_executable": str(venvs[name]),  # a venv folder: its bin/python
                "key_prefix": [name],
                "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False},
            },
        )

    def load():
        return json.loads(dg_project.python(LOAD).stdout.strip().splitlines()[-1])

    live = load()  # no state yet: each project is read live, by its own interpreter
    assert sorted(w.split(";")[0] for w in live["warnings"]) == [
        f"dagster-kedro: no snapshot state for the Kedro project at {dg_project.root.parent / 'kedro' / n}"
        for n in ("iso_a", "iso_b")
    ]
    dg_project.dg("utils", "refresh-defs-state")
    from_state = load()

    for result in (live, from_state):
        assert result["kedro_modules"] == []
        assert result["graph"] == {
            f"{n}/{d}": deps
            for n in ("iso_a", "iso_b")
            for d, deps in (("readings", []), ("summary", [f"{n}/readings"]))
        }
        assert result["jobs"] == ["iso_a__default", "iso_b__default"]
    assert from_state["warnings"] == []


def test_a_missing_project_interpreter_is_one_error_with_the_create_command(kedro_project, tmp_path):
    with pytest.raises(Exception) as raised:
        with loaded_in_process({"project_path": str(kedro_project("iso_a")), "python_executable": "../no_venv"}):
            pass
    text = error_text(raised.value)
    assert "attributes.python_executable" in text and "no_venv" in text
    assert "no Python interpreter at" in text
    assert "Fix: create the project's environment: python3 -m venv" in text
    assert "no_venv/bin/pip install -e " in text and "dagster-pipes" in text


def test_an_interpreter_without_kedro_is_one_error_with_the_install_command(kedro_project, tmp_path):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    with pytest.raises(Exception) as raised:
        with loaded_in_process({"project_path": str(kedro_project("iso_a")), "python_executable": str(bare)}):
            pass
    text = error_text(raised.value)
    assert "attributes.python_executable" in text
    assert "lacks kedro, dagster_pipes, pydantic" in text
    assert f"Fix: install them into it: {bare}/bin/python -m pip install kedro dagster-pipes 'pydantic>=2,<3'" in text


def test_an_error_found_by_the_project_interpreter_keeps_its_field_and_fix(venvs, kedro_project):
    attributes = {"project_path": str(kedro_project("iso_a")), "python_executable": str(venvs["iso_a"]), "env": "prd"}
    with pytest.raises(Exception) as raised:
        with loaded_in_process(attributes):
            pass
    text = error_text(raised.value)
    assert "defs.yaml: attributes.env = 'prd'" in text
    assert "Kedro env 'prd' has no folder" in text and "Available envs: ['base', 'local']" in text


def test_both_projects_materialize_in_one_run_each_in_its_own_interpreter(venvs, kedro_project, dg_project, tmp_path):
    projects = {name: kedro_project(name) for name in ("iso_a", "iso_b")}
    for name, project in projects.items():
        dg_project.add_component(
            name, {"project_path": str(project), "python_executable": str(venvs[name]), "key_prefix": [name]}
        )
    dg_project.launch(assets="*", config=MULTIPROCESS)  # the failure test below runs in process
    run_id = latest_run_logs(dg_project)["run_id"]

    assert_ran_in_own_interpreters(projects, venvs, run_id, tmp_path)  # outputs, hooks, pandas majors
    materializations = json.loads(dg_project.python(MATERIALIZATIONS).stdout.strip().splitlines()[-1])
    for name, dtype in (("iso_a", "object"), ("iso_b", "str")):
        metadata = materializations[f"{name}/summary"]
        assert (metadata["kedro/node"], metadata["dagster/row_count"]) == ("summarise", 3)
        assert metadata["dagster/column_schema"][:3] == [["city", dtype], ["temp", "float64"], ["city_dtype", dtype]]
    assert ",str,3." in (projects["iso_b"] / "data/08_reporting/summary.csv").read_text()  # pandas 3


REEXECUTE_FROM_FAILURE = """
import json, os
from dagster import DagsterInstance, ReexecutionOptions, execute_job
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

instance = DagsterInstance.get()
failed = [r for r in instance.get_runs() if r.status.value == "FAILURE"][0]
repo = ReconstructableRepository.for_module("kedro_defs.definitions", "defs", working_directory=os.getcwd())
result = execute_job(  # without the failing run's bad parameter, as edited in the Launchpad
    ReconstructableJob(repo, failed.job_name), instance, run_config={},
    reexecution_options=ReexecutionOptions.from_failure(failed.run_id, instance),
)
steps = sorted(e.step_key for e in result.all_events if e.event_type_value == "STEP_START")
print(json.dumps({"success": result.success, "steps": steps}))
"""


def test_a_failing_node_names_itself_with_the_remote_traceback_then_reexecution_works(venvs, kedro_project, dg_project):
    project = kedro_project("iso_a")
    dg_project.add_component("iso_a", {"project_path": str(project), "python_executable": str(venvs["iso_a"])})
    bad = {"resources": {"kedro_iso_a": {"config": {"runtime_params": {"expected_pandas_major": 9}}}}}

    failed = dg_project.launch(job="iso_a__default", config=bad, check=False)

    assert failed.returncode != 0
    logs = latest_run_logs(dg_project)
    failures = [error for kind, _step, error in logs["errors"] if kind == "STEP_FAILURE"]
    assert len(failures) == 1
    for fragment in (
        "Kedro node 'check_pandas' failed: RuntimeError: this project needs pandas 9.x, the interpreter has 2.2.3",
        "in check_pandas",  # the traceback of the node's own code, in the project's interpreter
        'raise RuntimeError(f"this project needs pandas',
    ):
        assert fragment in failures[0], fragment
    assert not (project / "data/08_reporting/summary.csv").exists()
    hooks = [json.loads(line) for line in (project / "logs" / "hooks.jsonl").read_text().splitlines()]
    assert [h["hook"] for h in hooks if "pipeline" in h["hook"]] == ["before_pipeline_run", "on_pipeline_error"]
    # the node's exception, as `kedro run` passes it, rebuilt in the project's interpreter
    assert hooks[-1]["error"] == "this project needs pandas 9.x, the interpreter has 2.2.3"

    result = json.loads(dg_project.python(REEXECUTE_FROM_FAILURE).stdout.strip().splitlines()[-1])

    assert result["success"] is True
    assert "2.2.3" in (project / "data/08_reporting/summary.csv").read_text()


HANDED_OFF = """
import json
from pathlib import Path
from dagster import AssetKey, DagsterInstance
instance = DagsterInstance.get()
folder = Path(instance.storage_directory()) / "dagster_kedro" / "handoff"
print(json.dumps({
    "files": sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()),
    "storage": sorted(str(p.relative_to(instance.storage_directory())) for p in Path(instance.storage_directory()).iterdir()),
}))
"""


def test_memory_data_crosses_steps_as_files_of_the_run_and_reexecution_reads_the_parents(
    venvs, kedro_project, dg_project, tmp_path
):
    """group_by: node makes 'checked' (a MemoryDataset, a DataFrame of the venv's pandas 2) cross
    from check_pandas's step to summarise's, pickled and unpickled in the project's interpreter."""
    project = kedro_project("iso_a")
    attributes = {"project_path": str(project), "python_executable": str(venvs["iso_a"]), "group_by": "node"}
    dg_project.add_component("iso_a", attributes)
    failing = {"resources": {"kedro_iso_a": {"config": {"runtime_params": {"fail_summary": True}}}}, **MULTIPROCESS}

    failed = dg_project.launch(job="iso_a__default", config=failing, check=False)

    assert failed.returncode != 0
    logs = latest_run_logs(dg_project)
    failures = [(step, error) for kind, step, error in logs["errors"] if kind == "STEP_FAILURE"]
    assert [step for step, _ in failures] == ["iso_a__summarise"]
    assert "summarise was asked to fail (fail_summary)" in failures[0][1]
    handed = json.loads(dg_project.python(HANDED_OFF).stdout.strip().splitlines()[-1])
    assert handed["files"] == [f"{logs['run_id']}/checked.pickle"]
    assert "checked" not in handed["storage"]  # not through the IO manager's pickles
    assert not (project / "data/08_reporting/summary.csv").exists()

    # summarise's step alone, reading 'checked' from the failed run's folder
    result = json.loads(dg_project.python(REEXECUTE_FROM_FAILURE).stdout.strip().splitlines()[-1])

    assert result == {"success": True, "steps": ["iso_a__summarise"]}
    reference = copy_kedro_project("iso_a", tmp_path / "reference")
    kedro_run_in_venv(reference, venvs["iso_a"])
    ours, theirs = kedro_outputs(project), kedro_outputs(reference)
    assert sorted(ours) == sorted(theirs) == ["08_reporting/summary.csv"]
    assert ours["08_reporting/summary.csv"].read_text() == theirs["08_reporting/summary.csv"].read_text()

    # a new run of summarise alone reads the value of the newest materialization of 'checked'
    (project / "data/08_reporting/summary.csv").unlink()
    dg_project.launch(assets="summary", config=MULTIPROCESS)
    assert ours["08_reporting/summary.csv"].read_text() == theirs["08_reporting/summary.csv"].read_text()


SUMMARY_SCHEMA = """
import pandera.pandas as pa


class Summary(pa.DataFrameModel):
    city: str
    temp: float = pa.Field(ge=-50, le=60)
"""


def _with_summary_schema(project):
    """The project's catalog names a pandera schema for `summary`, in a module of the project."""
    package = project.name
    (project / "src" / package / "schemas.py").write_text(SUMMARY_SCHEMA)
    catalog = project / "conf" / "base" / "catalog.yml"
    entries = yaml.safe_load(catalog.read_text())
    entries["summary"]["metadata"] = {"pandera": {"schema": f"{package}.schemas.Summary"}}
    catalog.write_text(yaml.safe_dump(entries))
    return project


def test_checks_of_the_yaml_and_the_catalog_run_in_the_project_interpreter(venvs, kedro_project):
    project = _with_summary_schema(kedro_project("iso_a"))
    attributes = {
        "project_path": str(project),
        "python_executable": str(venvs["iso_a"]),
        "checks": {
            "summary": [{"row_count": {"max": 2}, "name": "at_most_two_cities"}, {"not_null": ["city"]}, {"unique": ["pandas_version"]}]
        },
    }
    with loaded_in_process(attributes) as defs, tempfile.TemporaryDirectory() as home:
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=dg.DagsterInstance.local_temp(home), raise_on_error=False)

    assert result.success  # no check is blocking
    found = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert sorted(found) == ["at_most_two_cities", "not_null", "pandera", "unique"]
    # iso_a.schemas is importable only in the project's interpreter: the schema was validated there
    assert found["pandera"].passed, found["pandera"].metadata
    assert found["not_null"].passed and found["not_null"].metadata["failing_rows"].value == 0
    assert not found["at_most_two_cities"].passed
    assert found["at_most_two_cities"].metadata["row_count"].value == 3
    assert found["at_most_two_cities"].asset_key == dg.AssetKey("summary")
    assert not found["unique"].passed and found["unique"].metadata["failing_rows"].value == 3
    assert found["unique"].metadata["sample"].value == [{"pandas_version": "2.2.3"}] * 3  # JSON through Pipes


def test_a_catalog_schema_in_a_project_env_without_pandera_is_one_error_with_the_install_line(venvs, kedro_project):
    project = _with_summary_schema(kedro_project("iso_b"))
    with pytest.raises(Exception) as raised:
        with loaded_in_process({"project_path": str(project), "python_executable": str(venvs["iso_b"])}):
            pass
    text = error_text(raised.value)
    python = venvs["iso_b"] / "bin" / "python"
    assert f"pandera is not installed in the project's Python ({python})" in text
    assert "summary.metadata.pandera.schema" in text
    assert f"Fix: install it there: {python} -m pip install pandera" in text


FEATURES_URI = """
from dagster import AssetKey, DagsterInstance
metadata = DagsterInstance.get().get_latest_materialization_event(AssetKey("features")).asset_materialization.metadata
print(metadata["dagster/uri"].value)
"""


def test_kill_9_of_both_processes_mid_save_leaves_the_marker_and_versioned_outputs_carry_their_uri(
    venvs, kedro_project, dg_project, tmp_path
):
    """The `faults` project (kedro and its json datasets: iso_a's venv has them) in its own
    interpreter: the save held half-way is in that interpreter, and killing the step process
    first, then the project's, leaves the marker the step wrote before the save began."""
    from test_faults import by_label, facts, finish, launch_in_background, run_config, saving_step, wait_for_file

    project = kedro_project("faults")
    dg_project.add_component("faults", {"project_path": str(project), "python_executable": str(venvs["iso_a"])})
    halt = tmp_path / "halt"
    dg_project.env["FAULTS_HALT_FILE"] = str(halt)
    run_a = launch_in_background(dg_project, run_config(label="A"))
    wait_for_file(Path(f"{halt}.pid"), run_a, timeout=400)  # features saved by step 1; half of table.txt written
    _step, step_pid = saving_step(dg_project)
    saving_pid = int(Path(f"{halt}.pid").read_text())
    assert saving_pid != step_pid  # the project's interpreter saves, a child of the step process
    os.kill(step_pid, signal.SIGKILL)  # from now on this step writes nothing to the event log
    os.kill(saving_pid, signal.SIGKILL)
    code, output = finish(run_a)

    assert code != 0
    assert not (project / "data/03_primary/table.txt").read_text().endswith("END\n")  # truncated
    known = facts(dg_project)
    (run,) = by_label(known["runs"]).values()
    assert run["status"] == "FAILURE"
    table = known["latest"]["table"]
    assert table["materialization"] is None and table["observation"]["run_id"] == run["run_id"]
    assert table["observation"]["metadata"] == {  # as in-process steps write it (test_faults)
        "kedro/partial_save": True, "kedro/node": "build_table", "kedro/dataset": "table",
        "kedro/filepath": "data/03_primary/table.txt",
    }
    # written before the save began: the project's interpreter waited for it (pipes_markers)
    assert table["observation"]["ts"] < (project / "data/03_primary/table.txt").stat().st_mtime
    features = known["latest"]["features"]  # every save is marked first; a complete one superseded
    assert features["observation"]["ts"] < features["materialization"]["ts"]
    version = run["materialized"]["features"]["kedro/save_version"]
    assert features["observation"]["metadata"]["kedro/save_version"] == version
    assert run["materialized"]["features"]["kedro/dataset"] == "features"
    uri = dg_project.python(FEATURES_URI).stdout.strip().splitlines()[-1]
    assert uri == f"file://{project}/data/02_intermediate/features.json/{version}/features.json"
    assert (project / "data/02_intermediate/features.json" / version / "features.json").exists()
