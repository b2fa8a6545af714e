"""A failing node: clear error, on_node_error and on_pipeline_error, outputs kept, re-execution."""

from __future__ import annotations

import json
import logging

import pytest
from dagster import AssetKey

from conftest import IN_PROCESS, MULTIPROCESS, latest_run_logs, read_records, run_kedro

REEXECUTE_FROM_FAILURE = """
import json, os
from dagster import DagsterInstance, ReexecutionOptions, execute_job
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

instance = DagsterInstance.get()
failed = [r for r in instance.get_runs() if r.status.value == "FAILURE"][0]
repo = ReconstructableRepository.for_module("kedro_defs.definitions", "defs", working_directory=os.getcwd())
result = execute_job(
    ReconstructableJob(repo, failed.job_name),
    instance,
    run_config=failed.run_config,  # as the UI's re-execution does
    reexecution_options=ReexecutionOptions.from_failure(failed.run_id, instance),
)
steps = sorted(e.step_key for e in result.all_events if e.event_type_value == "STEP_START")
print(json.dumps({"success": result.success, "steps": steps, "run_id": result.run_id}))
"""


@pytest.mark.parametrize("executor", [IN_PROCESS, MULTIPROCESS], ids=["in_process", "multiprocess"])
def test_failing_node_in_the_event_log_then_reexecution_from_failure(executor, kedro_project, dg_project, tmp_path):
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
    # on_pipeline_error gets the node's exception, as under `kedro run`, naming the node in a note
    error = [r for r in records if r["hook"] == "on_pipeline_error"][0]
    assert (error["error_type"], error["error"]) == ("builtins.RuntimeError", "boom: asked to fail")
    assert error["error_notes"] == ["Kedro node 'maybe_fail' failed in Dagster step 'hooked__maybe_fail'"]
    # the very object the node raised when the step ran in the run worker, else rebuilt
    assert error["error_has_traceback"] is (executor is IN_PROCESS)
    # with the default log_level, what a user needs to debug it is in the run's event log: the
    # failing node, its exception and traceback, and what the error hooks logged
    logs = latest_run_logs(dg_project)
    failure = [error for kind, step, error in logs["errors"] if (kind, step) == ("STEP_FAILURE", "hooked__maybe_fail")]
    assert len(failure) == 1
    for fragment in (
        "KedroNodeError: Kedro node 'maybe_fail' failed: RuntimeError: boom: asked to fail",
        "RuntimeError: boom: asked to fail",
        "in maybe_fail",  # the traceback of the node's own code
        'raise RuntimeError("boom: asked to fail")',
    ):
        assert fragment in failure[0], fragment
    messages = [tuple(entry) for entry in logs["messages"]]
    node_error = "[hooked.hooks] on_node_error saw node maybe_fail fail: boom: asked to fail"
    assert ("hooked__maybe_fail", logging.WARNING, node_error) in messages
    pipeline_error = "[hooked.hooks] on_pipeline_error saw RuntimeError: boom: asked to fail"
    assert (None, logging.ERROR, pipeline_error) in messages  # an event of the run, not of a step
    kedro_error = [m for step, level, m in messages if (step, level) == ("hooked__maybe_fail", logging.ERROR)]
    assert any(m.startswith("[kedro.pipeline.node] Node maybe_fail") and "boom: asked to fail" in m for m in kedro_error)
    # outputs persisted before the failure stay on disk
    assert (project / "data/02_intermediate/doubled.csv").exists()
    assert not (project / "data/03_primary/checked.csv").exists()

    flag.unlink()
    records_file.unlink()
    result = json.loads(dg_project.python(REEXECUTE_FROM_FAILURE).stdout.strip().splitlines()[-1])

    assert (result["success"], result["steps"]) == (True, ["hooked__maybe_fail"])
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
    with dg_project.instance() as instance:
        recorded = [instance.get_latest_materialization_event(AssetKey(name)) is not None for name in ("doubled", "checked")]
    assert recorded == [True, False]


def test_on_pipeline_error_gets_what_kedro_run_passes(kedro_project, tmp_path):
    project = kedro_project("hooked", "reference")
    records_file = tmp_path / "kedro_records.jsonl"
    env = {"HOOKED_RECORD_FILE": str(records_file), "HOOKED_FAIL_FLAG": str(project / "pyproject.toml")}
    with pytest.raises(AssertionError):
        run_kedro(project, env=env)
    error = [r for r in read_records(records_file) if r["hook"] == "on_pipeline_error"][0]
    assert (error["error_type"], error["error"]) == ("builtins.RuntimeError", "boom: asked to fail")


def test_a_killed_step_process_names_the_step_and_its_nodes_to_on_pipeline_error(kedro_project, dg_project, tmp_path):
    project = kedro_project("hooked")
    records_file = tmp_path / "records.jsonl"
    dg_project.env.update(HOOKED_RECORD_FILE=str(records_file), HOOKED_KILL_FLAG=str(project / "pyproject.toml"))
    dg_project.add_component("hooked", {"project_path": str(project)})
    assert dg_project.launch(job="hooked__default", config=MULTIPROCESS, check=False).returncode != 0
    error = [r for r in read_records(records_file) if r["hook"] == "on_pipeline_error"][0]
    assert error["error_type"] == "dagster_kedro.errors.KedroPipelineError"
    assert error["error"].startswith(
        "The process of Dagster step 'hooked__maybe_fail' died while running Kedro node(s) maybe_fail: "
    )
    assert "terminated by signal 9 (SIGKILL)" in error["error"]
