"""Reading a Kedro project into a snapshot: complete, serializable, and leaving Kedro's globals alone."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from dagster_kedro.project import read_project
from dagster_kedro.snapshot import ProjectSnapshot


def test_snapshot_holds_pipelines_nodes_and_catalog(kedro_project):
    snapshot = read_project(kedro_project("spaceflights"), pipelines=["__default__", "data_science"])
    assert snapshot.package_name == "spaceflights"
    assert set(snapshot.pipelines) == {"__default__", "data_science"}
    train = snapshot.nodes["data_science.train_model"]
    assert train.namespace == "data_science"
    assert train.outputs == ["data_science.regressor"]
    assert train.source_file == "src/spaceflights/pipelines/data_science/nodes.py"
    assert train.docstring
    assert train.registered_in == ["data_science"]
    regressor = snapshot.datasets["data_science.regressor"]
    assert (regressor.type, regressor.versioned, regressor.is_persisted) == ("pickle.PickleDataset", True, True)
    assert snapshot.datasets["companies"].metadata["description"].startswith("Raw")
    assert not snapshot.datasets["data_science.X_train"].is_persisted
    assert "params:model_options" not in snapshot.datasets
    assert "model_options" in snapshot.parameters
    assert ProjectSnapshot.from_json(snapshot.to_json()) == snapshot


def test_reading_leaves_kedro_globals_as_they_were(kedro_project):
    import kedro.framework.project as kedro_project_module

    def kedro_globals():
        return kedro_project_module.PACKAGE_NAME, list(sys.path), kedro_project_module.pipelines._pipelines_module

    before = kedro_globals()  # an earlier test's in-process run may have activated a project
    read_project(kedro_project("hooked"))
    read_project(kedro_project("spaceflights"))
    assert kedro_globals() == before


def test_snapshot_from_another_interpreter_equals_the_in_process_one(kedro_project):
    project = kedro_project("hooked")
    printed = subprocess.run(
        [sys.executable, "-m", "dagster_kedro", "--project-path", str(project), "--pipeline", "report"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ProjectSnapshot.from_json(printed) == read_project(project, pipelines=["report"])


def test_wheel_ships_the_component_templates_and_the_dg_entry_point(tmp_path):
    from conftest import REPO

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("dagster_kedro-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "dagster_kedro/component_templates/defs.yaml" in names
    assert "[dagster_dg_cli.registry_modules]\ndagster_kedro = dagster_kedro" in entry_points
