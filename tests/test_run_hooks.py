"""Kedro hooks fire under Dagster as under `kedro run`: node and dataset hooks around every node,
pipeline hooks once per Dagster run (jobs and ad-hoc materializations, in- and multi-process)."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import IN_PROCESS, MULTIPROCESS, copy_kedro_project, read_records, run_kedro

PIPELINE_HOOKS = {"before_pipeline_run", "after_pipeline_run", "on_pipeline_error"}


def node_and_dataset_calls(records):
    return Counter((r["hook"], r["node"], r["dataset"]) for r in records if r["hook"] not in PIPELINE_HOOKS)


def pipeline_calls(records):
    return [r for r in records if r["hook"] in PIPELINE_HOOKS]


def comparable(run_params):
    return {k: v for k, v in run_params.items() if k not in ("run_id", "project_path", "runner")}


@pytest.fixture
def hooked(kedro_project, dg_project, tmp_path):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project)})
    dg_project.env["HOOKED_RECORD_FILE"] = str(tmp_path / "dagster_records.jsonl")
    return project, dg_project, tmp_path / "dagster_records.jsonl"


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    """The hook records of a plain `kedro run` of the project, on a copy of its own: one run for
    the module, whose tests only read them."""
    folder = tmp_path_factory.mktemp("reference")
    records = folder / "kedro_records.jsonl"
    run_kedro(copy_kedro_project("hooked", folder), env={"HOOKED_RECORD_FILE": str(records)})
    return read_records(records)


@pytest.mark.parametrize("executor", [IN_PROCESS, MULTIPROCESS], ids=["in_process", "multiprocess"])
def test_job_run_fires_the_same_hooks_as_kedro_run(executor, hooked, expected):
    project, dg_project, records_file = hooked

    dg_project.launch(job="hooked__default", config=executor)
    records = read_records(records_file)

    assert node_and_dataset_calls(records) == node_and_dataset_calls(expected)
    pipeline = pipeline_calls(records)
    assert [r["hook"] for r in pipeline] == ["before_pipeline_run", "after_pipeline_run"]
    after = pipeline[1]
    assert after["run_result_keys"] == ["checked", "row_count", "summary"]
    assert after["pipeline_nodes"] == ["count_rows", "double_numbers", "load_numbers", "maybe_fail", "summarise"]
    # run_params as `kedro run` records them (run id, path and runner object address aside)
    run_params, reference_params = pipeline[0]["run_params"], pipeline_calls(expected)[0]["run_params"]
    assert comparable(run_params) == comparable(reference_params)
    assert run_params["project_path"] == project.as_posix()
    assert run_params["runner"].startswith("<kedro.runner.sequential_runner.SequentialRunner object at ")
    # hooks see the project root as working directory, as under `kedro run`
    assert {r["cwd"] for r in records if "cwd" in r} == {str(project)}


@pytest.mark.parametrize("executor", [IN_PROCESS, MULTIPROCESS], ids=["in_process", "multiprocess"])
def test_adhoc_materialization_of_two_assets_fires_pipeline_hooks_once(executor, hooked):
    project, dg_project, records_file = hooked
    dg_project.launch(assets="doubled,summary", config=executor)
    records = read_records(records_file)
    ran = sorted(r["node"] for r in records if r["hook"] == "before_node_run")
    assert ran == ["double_numbers", "load_numbers", "summarise"]
    assert sorted(r["node"] for r in records if r["hook"] == "after_node_run") == ran
    pipeline = pipeline_calls(records)
    assert [r["hook"] for r in pipeline] == ["before_pipeline_run", "after_pipeline_run"]
    assert pipeline[0]["pipeline_nodes"] == ["double_numbers", "load_numbers", "summarise"]
    # a partial run is `kedro run --nodes ...`: truthful filters
    assert sorted(pipeline[0]["run_params"]["node_names"]) == ["double_numbers", "load_numbers", "summarise"]
    assert pipeline[0]["run_params"]["pipeline_names"] == []
    assert pipeline[1]["run_result_keys"] == ["summary"]
    saved = {r["dataset"] for r in records if r["hook"] == "after_dataset_saved"}
    assert saved == {"clean_numbers", "doubled", "summary"}
    assert (project / "data/08_reporting/summary.json").exists()
    assert not (project / "data/03_primary/checked.csv").exists()


def test_materializing_exactly_a_registered_pipeline_is_kedro_run_of_that_pipeline(hooked):
    project, dg_project, records_file = hooked
    dg_project.launch(assets="doubled", config=IN_PROCESS)  # needs exactly the ingest pipeline's nodes
    before = pipeline_calls(read_records(records_file))[0]
    assert before["pipeline_nodes"] == ["double_numbers", "load_numbers"]
    assert before["run_params"]["pipeline_names"] == ["ingest"]
    assert before["run_params"]["node_names"] == []
