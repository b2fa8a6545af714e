"""A Kedro job on a real dask.distributed cluster: the dask executor with a local cluster of two
worker processes, started by the run on 127.0.0.1 (scheduler, workers and dashboard on loopback).

With group_by: node every node is a step, submitted to the cluster as a dask task; the memory
dataset clean_numbers crosses steps, and so worker processes, through Dagster's filesystem IO
manager in the persistent DAGSTER_HOME. Outputs must equal `kedro run`'s, the Kedro node hooks
must fire in the two long-lived dask workers (a multiprocess run would show one process per step),
the pipeline hooks once in the run worker.
"""

from __future__ import annotations

import sys

import pytest

from conftest import read_records, run_kedro
from processes import needs_extra
from test_execution import assert_same_outputs

LOCAL_CLUSTER = {
    "n_workers": 2,
    "threads_per_worker": 1,
    "processes": True,
    "host": "127.0.0.1",  # scheduler and workers listen on loopback only
    # the scheduler's HTTP server (dashboard, /health) always starts: loopback, a free port (":0"
    # would mean every interface; the default 8787 would collide between parallel tests)
    "dashboard_address": "127.0.0.1:0",
}


def test_kedro_job_on_a_local_dask_cluster(kedro_project, dg_project, tmp_path):
    needs_extra("dagster_dask", "dask")
    reference = kedro_project("hooked", "reference")
    run_kedro(reference)
    project = kedro_project("hooked")
    records_file = tmp_path / "records.jsonl"
    dg_project.env["HOOKED_RECORD_FILE"] = str(records_file)
    dg_project.add_component(
        "hooked",
        {
            "project_path": str(project),
            "group_by": "node",
            "executors": {"cluster": {"type": "dask", "config": {"cluster": {"local": LOCAL_CLUSTER}}}},
            "executor": "cluster",
        },
    )

    launched = dg_project.launch(job="hooked__default")

    assert "RUN_SUCCESS" in launched.stdout + launched.stderr
    assert_same_outputs(reference, project)
    records = read_records(records_file)
    ran = sorted(r["node"] for r in records if r["hook"] == "after_node_run")
    assert ran == ["count_rows", "double_numbers", "load_numbers", "maybe_fail", "summarise"]
    node_pids = {r["pid"] for r in records if r["hook"] == "before_node_run"}
    pipeline_pids = {r["pid"] for r in records if r["hook"] in ("before_pipeline_run", "after_pipeline_run")}
    # five steps ran in the cluster's (at most) two worker processes, none in the run worker
    assert 1 <= len(node_pids) <= 2, node_pids
    assert len(pipeline_pids) == 1 and not pipeline_pids & node_pids
    assert [r["hook"] for r in records if r["hook"].endswith("pipeline_run")] == [
        "before_pipeline_run", "after_pipeline_run"
    ]
    # the memory dataset crossed workers through the filesystem IO manager in DAGSTER_HOME
    assert (dg_project.home / "storage" / "clean_numbers").is_file()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
