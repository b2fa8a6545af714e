"""Several Kedro projects in one code location: side by side, one run, cross-project lineage.

The load errors of two components in one location come from the dg project's Definitions loaded
in this process (what every `dg` command loads first; tests/test_bad_inputs.py takes load errors
through each `dg` command)."""

from __future__ import annotations

import pytest

from conftest import IN_PROCESS, MULTIPROCESS, copy_kedro_project, error_text, read_records, run_kedro


@pytest.fixture
def two_projects(kedro_project, dg_project, tmp_path):
    hooked, downstream = kedro_project("hooked"), kedro_project("downstream")
    dg_project.add_component("hooked", {"project_path": str(hooked)})
    dg_project.add_component("downstream", {"project_path": str(downstream), "inputs": {"doubled_upstream": "doubled"}})
    dg_project.env.update(
        HOOKED_RECORD_FILE=str(tmp_path / "hooked.jsonl"), DOWNSTREAM_RECORD_FILE=str(tmp_path / "downstream.jsonl")
    )
    return hooked, downstream, dg_project


def test_cross_project_lineage_shows_in_the_asset_graph(two_projects):
    _, _, dg_project = two_projects
    defs = dg_project.list_defs()
    assets = {a["asset_key"]: a for a in defs["assets"]}
    assert assets["tripled"]["dependency_keys"] == ["doubled"]
    assert "doubled_upstream" not in assets
    assert {j["name"] for j in defs["jobs"]} >= {"hooked__default", "downstream__default"}


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """What `kedro run` writes in each of the two projects, on copies of their own: one run of
    each for the module, which only reads them."""
    folder = tmp_path_factory.mktemp("reference")
    projects = copy_kedro_project("hooked", folder), copy_kedro_project("downstream", folder)
    for project in projects:
        run_kedro(project)
    return projects


@pytest.mark.parametrize("executor", [IN_PROCESS, MULTIPROCESS], ids=["in_process", "multiprocess"])
def test_one_run_over_two_projects_fires_each_projects_hooks_for_its_own_nodes(executor, two_projects, references, tmp_path):
    hooked, downstream, dg_project = two_projects
    dg_project.launch(assets="doubled,tripled", config=executor)

    hooked_records = read_records(tmp_path / "hooked.jsonl")
    downstream_records = read_records(tmp_path / "downstream.jsonl")
    assert sorted(r["node"] for r in hooked_records if r["hook"] == "before_node_run") == ["double_numbers", "load_numbers"]
    assert [r["node"] for r in downstream_records if r["hook"] == "before_node_run"] == ["triple"]
    for records in (hooked_records, downstream_records):
        assert [r["hook"] for r in records if "pipeline_run" in r["hook"]] == ["before_pipeline_run", "after_pipeline_run"]

    ref_hooked, ref_downstream = references
    for ours, theirs, path in [
        (hooked, ref_hooked, "data/02_intermediate/doubled.csv"),
        (downstream, ref_downstream, "data/03_primary/tripled.csv"),
    ]:
        assert (ours / path).read_bytes() == (theirs / path).read_bytes()


def load_error(dg_project) -> str:
    """The text of the error loading the dg project's Definitions raises."""
    with pytest.raises(Exception) as raised:
        with dg_project.definitions():
            pass
    return error_text(raised.value)


def test_one_package_name_twice_is_a_load_error(kedro_project, dg_project, tmp_path):
    first, second = kedro_project("hooked", "one"), kedro_project("hooked", "two")
    dg_project.add_component("a", {"project_path": str(first)})
    dg_project.add_component("b", {"project_path": str(second), "key_prefix": ["b"]})
    output = load_error(dg_project)
    assert "Kedro package 'hooked' is already loaded from" in output
    assert "rename one project's package" in output


def test_asset_key_collision_between_components_suggests_key_prefix(kedro_project, dg_project):
    dg_project.add_component("hooked", {"project_path": str(kedro_project("hooked"))})
    dg_project.add_component(
        "downstream",
        {
            "project_path": str(kedro_project("downstream")),
            "translation": {"key": "{{ 'summary' if dataset.name == 'tripled' else dataset.name }}"},
        },
    )
    output = load_error(dg_project)
    assert "asset key 'summary' is also produced by the component at" in output
    assert "key_prefix" in output


def test_inputs_must_name_raw_inputs(kedro_project, dg_project):
    dg_project.add_component("downstream", {"project_path": str(kedro_project("downstream")), "inputs": {"tripled": "x"}})
    assert "attributes.inputs = 'tripled'" in load_error(dg_project)
