"""Multiprocess runs of Kedro jobs fork their step processes from one server that has already
imported Kedro and the job's node modules, built the job's definitions and bootstrapped the Kedro
project (``step_processes``): each is done once per run, not once per step process; an explicit
``start_method: spawn`` keeps Dagster's default, all of it in every step process."""

from __future__ import annotations

import pytest

from conftest import read_records

IMPORT_RECORD = '''

from hooked.hooks import _record as _record_import

_record_import("module_import", module=__name__)
'''

SETTINGS_RECORD = '''

from hooked.hooks import _record as _record_settings

_record_settings("settings_read")  # Kedro's bootstrap_project executes settings.py
'''

DEFS_RECORD = '''
import json, os

with open(os.environ["HOOKED_RECORD_FILE"], "a") as records:  # on each load of the defs folder
    records.write(json.dumps({"hook": "defs_loaded", "pid": os.getpid()}) + "\\n")
'''


@pytest.fixture
def import_recording_project(kedro_project):
    """A copy of `hooked` whose node modules record the pid of each process that imports them."""
    project = kedro_project("hooked")
    for pipeline in ("ingest", "report"):
        nodes = project / f"src/hooked/pipelines/{pipeline}/nodes.py"
        nodes.write_text(nodes.read_text() + IMPORT_RECORD)
    settings = project / "src/hooked/settings.py"
    settings.write_text(settings.read_text() + SETTINGS_RECORD)
    return project


@pytest.mark.parametrize("start_method", [None, "spawn"], ids=["default", "spawn"])
def test_step_processes_fork_from_a_server_that_imported_the_node_modules(
    import_recording_project, dg_project, tmp_path, start_method
):
    dg_project.add_component("hooked", {"project_path": str(import_recording_project), "group_by": "node"})
    dg_project.add_python("probe", DEFS_RECORD)
    records_file = tmp_path / "hooks.jsonl"
    dg_project.env.update(HOOKED_RECORD_FILE=str(records_file))
    multiprocess = {"max_concurrent": 2, **({"start_method": {start_method: {}}} if start_method else {})}
    dg_project.launch(job="hooked__default", config={"execution": {"config": {"multiprocess": multiprocess}}})

    records = read_records(records_file)
    step_pids = {r["pid"] for r in records if r["hook"] == "before_node_run"}
    (run_worker,) = {r["pid"] for r in records if r["hook"] == "before_pipeline_run"}
    importers = {r["pid"] for r in records if r["hook"] == "module_import"}
    bootstrappers = {r["pid"] for r in records if r["hook"] == "settings_read"}
    loaders = {r["pid"] for r in records if r["hook"] == "defs_loaded"}
    assert len(step_pids) == 5  # group_by node: one process per node, five nodes
    assert (import_recording_project / "data/08_reporting/summary.json").exists()
    if start_method == "spawn":
        assert step_pids <= importers and step_pids <= bootstrappers and step_pids <= loaders
    else:
        # the server built the job and bootstrapped the project before it forked the steps
        assert not (bootstrappers | loaders) & step_pids
        assert len(bootstrappers - {run_worker}) == len(loaders - {run_worker}) == 1
        # the run worker read the project; the forkserver imported both node modules once
        assert not importers & step_pids
        (server,) = importers - {run_worker}
        servers = [r for r in records if r["hook"] == "module_import" and r["pid"] == server]
        assert sorted(r["module"] for r in servers) == ["hooked.pipelines.ingest.nodes", "hooked.pipelines.report.nodes"]


TWO_RUNS_IN_ONE_PROCESS = """
import json, os
from dagster import DagsterInstance, execute_job
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

instance = DagsterInstance.get()
repo = ReconstructableRepository.for_module("kedro_defs.definitions", "defs", working_directory=os.getcwd())
config = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}
results = []
for records in os.environ["RECORD_FILES"].split(","):
    os.environ["HOOKED_RECORD_FILE"] = records  # what the next run's step processes must see
    results.append(execute_job(ReconstructableJob(repo, "hooked__default"), instance, run_config=config).success)
print(json.dumps(results))
"""


def test_each_run_in_one_process_gets_its_own_forkserver(kedro_project, dg_project, tmp_path):
    """A process that runs two jobs (a notebook, a script) starts a new server for the second:
    its step processes see the environment as it is at that run, not as it was at the first."""
    dg_project.add_component("hooked", {"project_path": str(kedro_project("hooked"))})
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    dg_project.env.update(RECORD_FILES=f"{first},{second}")

    assert dg_project.python(TWO_RUNS_IN_ONE_PROCESS).stdout.strip().splitlines()[-1] == "[true, true]"

    for records in (first, second):
        nodes = sorted(r["node"] for r in read_records(records) if r["hook"] == "before_node_run")
        assert nodes == ["count_rows", "double_numbers", "load_numbers", "maybe_fail", "summarise"], records
