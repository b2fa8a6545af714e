"""Job filters select exactly the nodes `kedro run` would run with the same filters.

`filter_nodes` applies Kedro's own `Pipeline.filter` to nodes rebuilt from the snapshot; here it
is compared with `Pipeline.filter` on the live, registered pipeline of the spaceflights example
(namespaced data_science nodes included).
"""

from __future__ import annotations

import pytest

from conftest import copy_kedro_project

FILTERS = [
    {"tags": ["nothing_tagged_so"]},
    {"node_names": ["preprocess_shuttles", "data_science.train_model"]},
    {"from_nodes": ["rate_shuttles"]},
    {"to_nodes": ["create_model_input_table"]},
    {"from_inputs": ["model_input_table"]},
    {"to_outputs": ["data_science.regressor"]},
    {"node_namespaces": ["data_science"]},
    {"from_nodes": ["preprocess_shuttles"], "to_nodes": ["data_science.split_data"]},
    {"from_inputs": ["companies"], "node_namespaces": ["data_science"]},
]


@pytest.fixture(scope="module")
def spaceflights(tmp_path_factory):
    from dagster_kedro import read_project

    project = copy_kedro_project("spaceflights", tmp_path_factory.mktemp("filters"))
    return project, read_project(project)


def live_filter(project, filters) -> list[str] | str:
    from dagster_kedro.kedro_runtime import activate_project, preserved_kedro_globals, registered_pipelines

    with preserved_kedro_globals():
        activate_project(project)
        pipeline = registered_pipelines(["__default__"])["__default__"]
        try:
            return sorted(node.name for node in pipeline.filter(**filters).nodes)
        except ValueError as error:
            return f"ValueError: {error}"


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f))
def test_snapshot_filter_equals_kedro_filter_on_the_live_pipeline(filters, spaceflights):
    from dagster_kedro.orchestration import filter_nodes

    project, snapshot = spaceflights
    try:
        ours: list[str] | str = sorted(filter_nodes(snapshot, "__default__", filters))
    except ValueError as error:
        ours = f"ValueError: {error}"
    assert ours == live_filter(project, filters)


def test_a_job_selects_the_assets_its_filtered_nodes_write(spaceflights):
    from pathlib import Path

    from dagster_kedro import KedroProjectComponent

    project, snapshot = spaceflights
    component = KedroProjectComponent.resolve_from_dict(
        {
            "project_path": str(project),
            "jobs": [
                {"name": "science", "filter": {"node_namespaces": ["data_science"]}},
                {"name": "up_to_table", "filter": {"to_outputs": ["model_input_table"]}},
            ],
        }
    )
    defs = component.build_defs_from_snapshot(snapshot, Path("defs.yaml"))

    def assets(job: str) -> list[str]:
        return sorted(k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.executable_asset_keys)

    assert assets("science") == ["data_science/metrics", "data_science/regressor"]
    assert assets("up_to_table") == ["model_input_table", "preprocessed_companies", "preprocessed_shuttles"]
