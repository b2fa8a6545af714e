"""State-backed loading: the project snapshot is component state; loads from it import no project code."""

from __future__ import annotations

import json

import pytest

LOAD_FROM_STATE = """
import json, sys
from pathlib import Path
import warnings
from dagster import load_from_defs_folder
from dagster._utils.test.definitions import scoped_definitions_load_context
from dagster_kedro import KedroProjectComponent

specs_made = []
original = KedroProjectComponent.get_asset_spec
KedroProjectComponent.get_asset_spec = lambda self, *args: specs_made.append(1) or original(self, *args)
builds = []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for load in range(2):  # Dagster loads a location several times per command
        with scoped_definitions_load_context():
            defs = load_from_defs_folder(project_root=Path.cwd())
            graph = {
                key.to_user_string(): sorted(d.to_user_string() for d in deps)
                for key, deps in defs.resolve_asset_graph().asset_dep_graph["upstream"].items()
            }
        builds.append(len(specs_made))
print(json.dumps({
    "graph": graph,
    "imported_project": sorted(m for m in sys.modules if m == "hooked" or m.startswith("hooked.")),
    "imported_omegaconf": "omegaconf" in sys.modules,
    "specs_made": builds,
    "warnings": [str(w.message) for w in caught if "dagster-kedro" in str(w.message)],
}))
"""


@pytest.fixture
def stateful(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component(
        "hooked",
        {"project_path": str(project), "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False}},
    )
    return project, dg_project


def load(dg_project):
    return json.loads(dg_project.python(LOAD_FROM_STATE).stdout.strip().splitlines()[-1])


def test_loading_from_state_imports_no_project_code_and_matches_a_live_read(stateful):
    project, dg_project = stateful
    live = load(dg_project)
    assert live["imported_project"]  # without state the project is read (and imported)
    assert "no snapshot state" in live["warnings"][0]
    assert "dg utils refresh-defs-state" in live["warnings"][0]
    first, second = live["specs_made"]
    assert first > 0 and second == first  # the second load reuses the first build

    dg_project.dg("utils", "refresh-defs-state")
    from_state = load(dg_project)

    assert from_state["imported_project"] == []
    assert from_state["imported_omegaconf"] is False  # nor Kedro's config machinery
    assert from_state["specs_made"] == [first, first]
    assert from_state["warnings"] == []
    assert from_state["graph"] == live["graph"]
    assert from_state["graph"]["summary"] == ["doubled"]


@pytest.mark.parametrize(
    "change",
    [
        ("src/hooked/pipelines/report/nodes.py", "\n\ndef added_later():\n    return 1\n"),
        ("conf/base/catalog.yml", "\nextra:\n  type: pandas.CSVDataset\n  filepath: data/extra.csv\n"),
        ("conf/base/parameters.yml", "\nanother: 3\n"),
    ],
    ids=["node_code", "catalog", "conf"],
)
def test_a_changed_project_marks_state_stale_until_refreshed(change, stateful):
    project, dg_project = stateful
    dg_project.dg("utils", "refresh-defs-state")
    assert load(dg_project)["warnings"] == []

    relative, text = change
    (project / relative).write_text((project / relative).read_text() + text)
    stale = load(dg_project)
    assert set(stale["warnings"]) == {  # once per load
        f"dagster-kedro: the Kedro project at {project} changed since its snapshot state was written; "
        "reading the project instead (run `dg utils refresh-defs-state` to refresh it)."
    }
    assert stale["imported_project"]

    dg_project.dg("utils", "refresh-defs-state")
    assert load(dg_project)["warnings"] == []


def test_dg_commands_refresh_state_in_development(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project)})
    dg_project.list_defs()  # refresh_if_dev defaults to true: dg writes the state itself
    states = list((dg_project.root).rglob("state"))
    assert any("KedroProjectComponent" in str(p) for p in states)
    assert load(dg_project)["warnings"] == []


def test_a_moved_deployment_finds_its_state_and_runs_only_the_project_beside_it(tmp_path):
    """A dg project and its Kedro project copied elsewhere together with the state (an image built
    at another path): the state is found under its default key, and runs read and write the copy
    the YAML names, never the original checkout."""
    import shutil

    from conftest import DgProject, copy_kedro_project, kedro_outputs

    original = tmp_path / "checkout"
    copy_kedro_project("hooked", original / "kedro")
    built = DgProject(original / "dg_project")
    built.add_component(
        "hooked",
        {"project_path": "../../../../../kedro/hooked",
         "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False}},
    )
    built.dg("utils", "refresh-defs-state")
    moved_root = tmp_path / "image" / "app"
    shutil.copytree(original, moved_root)
    moved = DgProject(moved_root / "dg_project", existing=True)

    loaded = load(moved)
    assert loaded["warnings"] == []  # the state was found after the move: no live read
    assert loaded["imported_project"] == []

    moved.launch(job="hooked__default", config={"execution": {"config": {"in_process": {}}}})
    assert set(kedro_outputs(moved_root / "kedro" / "hooked")) == {
        "02_intermediate/doubled.csv", "03_primary/checked.csv", "08_reporting/summary.json"}
    assert kedro_outputs(original / "kedro" / "hooked") == {}
