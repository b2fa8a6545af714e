"""A failing node: clear error, on_node_error and on_pipeline_error, outputs kept, re-execution."""

from __future__ import annotations

import json

import pytest

from conftest import IN_PROCESS, MULTIPROCESS, read_records

REEXECUTE_FROM_FAILURE = """
import json, os, sys
from dagster import DagsterInstance, ReexecutionOptions, execute_job
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

instance = DagsterInstance.get()
failed = [r for r in instance.get_runs() if r.status.value == "FAILURE"][0]
repo = ReconstructableRepository.for_module("kedro_defs.definitions", "defs", working_directory=os.getcwd())
result = execute_job(
    ReconstructableJob(repo, failed.job_name),
    instance,
    reexecution_options=ReexecutionOptions.from_failure(failed.run_id, instance),
)
steps = sorted(e.step_key for e in result.all_events if e.event_type_value == "STEP_START")
print(json.dumps({"success": result.success, "steps": steps}))
"""


@pytest.mark.parametrize("executor", [IN_PROCESS, MULTIPROCESS], ids=["in_process", "multiprocess"])
def test_failing_node_then_reexecution_from_failure(executor, kedro_project, dg_project, tmp_path):
    project = kedro_project("hooked")
    flag = tmp_path / "fail.flag"
    flag.write_text("fail")
    records_file = tmp_path / "records.jsonl"
    dg_project.env.update(HOOKED_RECORD_FILE=str(records_file), HOOKED_FAIL_FLAG=str(flag))
    dg_project.add_component("hooked", {"project_path": str(project)})

    failed = dg_project.launch(job="hooked__default", config=executor, check=False)

    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "Kedro node 'maybe_fail' failed: RuntimeError: boom: asked to fail" in output
    records = read_records(records_file)
    assert [r["node"] for r in records if r["hook"] == "on_node_error"] == ["maybe_fail"]
    hooks = [r["hook"] for r in records if r["hook"].endswith("pipeline_run") or r["hook"] == "on_pipeline_error"]
    assert hooks == ["before_pipeline_run", "on_pipeline_error"]
    assert "maybe_fail" in [r for r in records if r["hook"] == "on_pipeline_error"][0]["error"]
    # outputs persisted before the failure stay on disk
    assert (project / "data/02_intermediate/doubled.csv").exists()
    assert not (project / "data/03_primary/checked.csv").exists()

    flag.unlink()
    records_file.unlink()
    result = json.loads(dg_project.python(REEXECUTE_FROM_FAILURE).stdout.strip().splitlines()[-1])

    assert result == {"success": True, "steps": ["hooked__maybe_fail"]}
    assert (project / "data/03_primary/checked.csv").exists()
    ran = [r["node"] for r in read_records(records_file) if r["hook"] == "before_node_run"]
    assert ran == ["maybe_fail"]


def test_a_failure_late_in_a_step_keeps_the_materializations_of_earlier_nodes(kedro_project, dg_project, tmp_path):
    project = kedro_project("hooked")
    flag = tmp_path / "fail.flag"
    flag.write_text("fail")
    dg_project.env["HOOKED_FAIL_FLAG"] = str(flag)
    dg_project.add_component("hooked", {"project_path": str(project), "group_by": "pipeline"})
    assert dg_project.launch(job="hooked__default", config=IN_PROCESS, check=False).returncode != 0
    recorded = dg_project.python(
        """
        from dagster import AssetKey, DagsterInstance
        instance = DagsterInstance.get()
        print(instance.get_latest_materialization_event(AssetKey("doubled")) is not None)
        print(instance.get_latest_materialization_event(AssetKey("checked")) is not None)
        """
    ).stdout.split()
    assert recorded == ["True", "False"]
