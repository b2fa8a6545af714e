"""Materializing through Dagster writes what `kedro run` writes, for every group_by and executor."""

from __future__ import annotations

import json
import pickle

import pandas as pd
import pytest

from conftest import IN_PROCESS, MULTIPROCESS, kedro_outputs, run_kedro


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


@pytest.fixture
def reference(kedro_project):
    """The spaceflights outputs of a plain `kedro run`, on a copy of its own."""
    project = kedro_project("spaceflights", "reference")
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
    materializations = dg_project.python(
        """
        import json
        from dagster import AssetKey, DagsterInstance
        instance = DagsterInstance.get()
        event = instance.get_latest_materialization_event(AssetKey(["data_science", "regressor"]))
        print(json.dumps(event.asset_materialization.metadata["kedro/save_version"].value))
        """
    )
    assert json.loads(materializations.stdout) == versions[0]


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


def test_kedro_log_records_reach_the_dagster_event_log(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project)})
    dg_project.launch(assets="doubled", config=IN_PROCESS)
    logs = dg_project.python(
        """
        from dagster import DagsterInstance
        instance = DagsterInstance.get()
        run = instance.get_runs()[0]
        for entry in instance.all_logs(run.run_id):
            if entry.step_key and entry.user_message:
                print(entry.step_key, "|", entry.user_message)
        """
    ).stdout
    assert "hooked__double_numbers | [kedro.io.data_catalog] Loading data from numbers" in logs
    assert "Kedro node 2/2: double_numbers" in logs
