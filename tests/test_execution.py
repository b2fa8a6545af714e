"""Materializing through Dagster writes what `kedro run` writes, for every group_by and executor."""

from __future__ import annotations

import json
import logging
import pickle
import re

import pandas as pd
import pytest
from dagster import AssetKey

from conftest import IN_PROCESS, MULTIPROCESS, copy_kedro_project, kedro_outputs, latest_run_logs, run_kedro


def assert_same_outputs(expected_project, actual_project):
    expected, actual = kedro_outputs(expected_project), kedro_outputs(actual_project)
    assert sorted(actual) == sorted(expected)
    for name, path in expected.items():
        other = actual[name]
        if path.suffix == ".parquet":
            pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(other))
        elif path.suffix == ".pickle":
            assert pickle.loads(path.read_bytes()) == pickle.loads(other.read_bytes()), name
        else:
            assert path.read_bytes() == other.read_bytes(), name


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The spaceflights outputs of a plain `kedro run`, on a copy of its own: one run for the
    module, which only reads them."""
    project = copy_kedro_project("spaceflights", tmp_path_factory.mktemp("reference"))
    run_kedro(project)
    return project


@pytest.mark.parametrize(
    "group_by,executor",
    [
        ("memory", IN_PROCESS),
        ("memory", MULTIPROCESS),
        ("namespace", IN_PROCESS),
        ("namespace", MULTIPROCESS),
        ("node", IN_PROCESS),
        ("node", MULTIPROCESS),
        ("pipeline", IN_PROCESS),
        ("pipeline", MULTIPROCESS),
    ],
    ids=lambda v: v if isinstance(v, str) else next(iter(v["execution"]["config"])),
)
def test_materializing_all_assets_writes_what_kedro_run_writes(
    group_by, executor, reference, kedro_project, dg_project
):
    project = kedro_project("spaceflights")
    dg_project.add_component("spaceflights", {"project_path": str(project), "group_by": group_by})
    dg_project.launch(job="spaceflights__default", config=executor)
    assert_same_outputs(reference, project)


def test_versioned_datasets_of_one_run_share_one_save_version(kedro_project, dg_project):
    project = kedro_project("spaceflights")
    dg_project.add_component("spaceflights", {"project_path": str(project), "group_by": "node"})
    dg_project.launch(job="spaceflights__default", config=MULTIPROCESS)
    versions = [p.name for p in (project / "data/06_models/regressor.pickle").iterdir()]
    assert len(versions) == 1
    with dg_project.instance() as instance:
        event = instance.get_latest_materialization_event(AssetKey(["data_science", "regressor"]))
    assert event.asset_materialization.metadata["kedro/save_version"].value == versions[0]


def test_run_config_overrides_kedro_params_like_kedro_run_params(kedro_project, dg_project):
    expected = kedro_project("spaceflights", "expected")
    run_kedro(expected, "--params", "model_options.test_size=0.3")
    project = kedro_project("spaceflights")
    dg_project.add_component("spaceflights", {"project_path": str(project)})
    config = {
        **IN_PROCESS,
        "resources": {"kedro_spaceflights": {"config": {"runtime_params": {"model_options.test_size": 0.3}}}},
    }
    dg_project.launch(job="spaceflights__default", config=config)
    metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
    assert metrics == json.loads((expected / "data/08_reporting/metrics.json").read_text())
    assert metrics["n_test"] == 12


def test_yaml_runtime_params_apply_to_every_run(kedro_project, dg_project):
    project = kedro_project("spaceflights")
    dg_project.add_component(
        "spaceflights", {"project_path": str(project), "runtime_params": {"model_options.test_size": 0.3}}
    )
    dg_project.launch(job="spaceflights__default", config=IN_PROCESS)
    assert json.loads((project / "data/08_reporting/metrics.json").read_text())["n_test"] == 12


def test_subset_runs_only_the_needed_nodes_and_rereads_upstream_from_disk(kedro_project, dg_project, tmp_path):
    from conftest import read_records

    project = kedro_project("hooked")
    records_file = tmp_path / "records.jsonl"
    dg_project.env["HOOKED_RECORD_FILE"] = str(records_file)
    dg_project.add_component("hooked", {"project_path": str(project), "group_by": "pipeline"})
    dg_project.launch(job="hooked__default", config=IN_PROCESS)
    doubled = project / "data/02_intermediate/doubled.csv"
    doubled.write_text("a,b\n1,1\n")  # a marker: the subset must read this back, not recompute it
    records_file.unlink()

    dg_project.launch(assets="summary", config=IN_PROCESS)

    records = read_records(records_file)
    assert [r["node"] for r in records if r["hook"] == "before_node_run"] == ["summarise"]
    assert {"doubled"} <= {r["dataset"] for r in records if r["hook"] == "after_dataset_loaded"}
    assert doubled.read_text() == "a,b\n1,1\n"
    assert json.loads((project / "data/08_reporting/summary.json").read_text()) == {"rows": 1, "sum_a": 1, "sum_b": 1}


def squeezed(text: str) -> str:
    """``text`` without whitespace: Kedro's rich console handler wraps long records."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("executor", [IN_PROCESS, MULTIPROCESS], ids=["in_process", "multiprocess"])
def test_kedro_info_records_go_to_the_compute_logs_once_and_the_step_logs_one_summary_event(
    executor, kedro_project, dg_project
):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project)})
    dg_project.launch(assets="doubled", config=executor)
    logs = latest_run_logs(dg_project)
    step = [(level, message) for key, level, message in logs["messages"] if key == "hooked__double_numbers"]
    # no event per Kedro record (the old code wrote 8 here, 4 per node), one summary of the step
    assert len(step) == 1, step
    assert step[0][0] == logging.INFO
    assert re.fullmatch(
        r"Kedro ran 2 node\(s\) in [0-9.]+ s: load_numbers, double_numbers; saved 1 dataset\(s\): doubled", step[0][1]
    )
    # Kedro's records are in the step's captured stdout/stderr once each, in Kedro's (rich) format
    compute = squeezed(logs["compute_logs"])
    for record in ("INFOLoadingdatafromnumbers", "INFORunningnode:double_numbers", "INFOSavingdatatodoubled"):
        assert compute.count(record) == 1, record
    assert compute.count("Kedroran2node(s)") == 1  # the event, printed by Dagster's console logger


LAUNCH_WITH_LOG_LEVEL_TAG = """
import os
from dagster import AssetKey, DagsterInstance, execute_job
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

instance = DagsterInstance.get()
repo = ReconstructableRepository.for_module("kedro_defs.definitions", "defs", working_directory=os.getcwd())
result = execute_job(
    ReconstructableJob(repo, "hooked__default"),
    instance,
    run_config={"execution": {"config": {"in_process": {}}}},
    tags={"dagster-kedro/log_level": %r},
    asset_selection=[AssetKey("doubled")],
    raise_on_error=False,
)
print(result.success)
"""


def launch_with_log_level_tag(dg_project, level: str) -> bool:
    """Run the `doubled` asset in process with the run tag dagster-kedro/log_level = ``level``."""
    return dg_project.python(LAUNCH_WITH_LOG_LEVEL_TAG % level).stdout.strip().splitlines()[-1] == "True"


def test_log_level_field_and_run_tag_bring_kedro_info_records_back_as_events(kedro_project, dg_project):
    project = kedro_project("hooked")
    yaml_file = dg_project.add_component("hooked", {"project_path": str(project)})
    record = "[kedro.io.data_catalog] Loading data from numbers (CSVDataset)..."

    def step_messages(logs):
        return [message for key, _, message in logs["messages"] if key == "hooked__double_numbers"]

    assert launch_with_log_level_tag(dg_project, "INFO")
    by_tag = latest_run_logs(dg_project)
    assert record in step_messages(by_tag)
    # an event now, so the console handlers leave it out: still once in the compute logs
    assert squeezed(by_tag["compute_logs"]).count("Loadingdatafromnumbers") == 1

    assert not launch_with_log_level_tag(dg_project, "LOUD")
    errors = "\n".join(error for _, _, error in latest_run_logs(dg_project)["errors"])
    assert "run tag dagster-kedro/log_level = 'LOUD'" in errors
    assert "Fix: use one of DEBUG, INFO, WARNING, ERROR, CRITICAL" in errors

    dg_project.add_component("hooked", {"project_path": str(project), "log_level": "INFO"}, yaml_file.name)
    dg_project.launch(assets="doubled", config=IN_PROCESS)
    assert record in step_messages(latest_run_logs(dg_project))
