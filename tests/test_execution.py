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
def reference(kedro_project, tmp_path_factory):
    """The spaceflights outputs of a plain `kedro run` (computed once per test, on its own copy)."""
    from conftest import copy_kedro_project

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


def test_run_config_overrides_kedro_params_like_kedro_run_params(kedro_project, dg_project, tmp_path):
    from conftest import copy_kedro_project

    expected = copy_kedro_project("spaceflights", tmp_path / "expected")
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
