"""The component as `dg` sees it: registration, asset model, checks, YAML file names.

`dg list components`, `dg utils inspect-component`, `dg check yaml`, `dg check defs` and `dg list
defs` on the example project go through the CLI; the other asset models are read from the dg
project's Definitions loaded in this process (what `dg list defs` loads).
"""

from __future__ import annotations

import json


def assets_by_key(defs):
    return {a["asset_key"]: a for a in defs["assets"]}


def loaded_specs_and_jobs(dg_project) -> tuple[dict, list[str]]:
    """The asset specs (by key string) and the job names of the dg project's Definitions."""
    with dg_project.definitions() as defs:
        specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
        jobs = sorted(job.name for job in defs.resolve_all_job_defs() if job.name != "__ASSET_JOB")
    return specs, jobs


def test_dg_lists_the_component_with_description_and_schema(dg_project):
    listed = json.loads(dg_project.dg("list", "components", "--json").stdout)["items"]
    entry = next(c for c in listed if c["key"] == "dagster_kedro.KedroProjectComponent")
    assert "Kedro" in entry["summary"]
    inspected = dg_project.dg("utils", "inspect-component", "dagster_kedro.KedroProjectComponent").stdout
    schema = json.loads(inspected.split("Component schema:", 1)[1])
    properties = schema["properties"]
    for field in ("project_path", "env", "conf_source", "runtime_params", "pipelines", "key_prefix", "group_by", "translation"):
        assert field in properties, field
    assert properties["group_by"]["description"].startswith("How Kedro nodes fold")
    assert properties["project_path"]["examples"]
    assert schema["additionalProperties"] is False


def test_asset_model_on_the_example_project(kedro_project, dg_project):
    project = kedro_project("spaceflights")
    dg_project.add_component("spaceflights", {"project_path": str(project)})
    dg_project.dg("check", "yaml")
    dg_project.dg("check", "defs")

    assets = assets_by_key(dg_project.list_defs())

    executable = {k for k, a in assets.items() if a["is_executable"]}
    external = {k for k, a in assets.items() if not a["is_executable"]}
    assert executable == {
        "preprocessed_companies",
        "preprocessed_shuttles",
        "model_input_table",
        "data_science/regressor",
        "data_science/metrics",
        "shuttle_passenger_capacity_report",
        "summary_stats",  # terminal MemoryDataset: an asset whose value is not stored
    }
    assert external == {"companies", "reviews", "shuttles"}
    assert not any("params" in k or "X_train" in k or "rated_shuttles" in k for k in assets)
    assert assets["model_input_table"]["dependency_keys"] == ["preprocessed_companies", "preprocessed_shuttles", "reviews"]
    # rated_shuttles is memory data inside the step: lineage looks through it to shuttles' successor
    assert assets["data_science/metrics"]["dependency_keys"] == ["data_science/regressor", "model_input_table"]
    assert assets["data_science/regressor"]["group_name"] == "data_science"
    assert assets["preprocessed_companies"]["group_name"] == "data_processing"
    assert assets["shuttle_passenger_capacity_report"]["group_name"] == "reporting"
    assert {assets[k]["group_name"] for k in external} == {"spaceflights_raw"}  # no layers in its catalog
    assert set(assets["preprocessed_companies"]["kinds"]) == {"kedro", "pandas", "parquet"}
    assert assets["companies"]["description"] == "Raw, made-up list of space shuttle companies."
    assert assets["summary_stats"]["description"].startswith("Compute a few headline numbers")


def test_key_prefix_node_grouping_and_default_jobs(kedro_project, dg_project):
    project = kedro_project("spaceflights")
    dg_project.add_component(
        "spaceflights",
        {
            "project_path": str(project),
            "key_prefix": ["space"],
            "group_by": "node",
            "pipelines": ["data_processing", "__default__"],
        },
    )
    assets, jobs = loaded_specs_and_jobs(dg_project)
    # under group_by node, memory data crossing steps becomes an asset stored by the IO manager
    assert "space/data_science/X_train" in assets and "space/rated_shuttles" in assets
    assert "space/companies" in assets
    assert jobs == ["spaceflights__data_processing", "spaceflights__default"]


def test_legacy_component_yaml_loads_the_same(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project)}, filename="component.yaml")
    assets, _ = loaded_specs_and_jobs(dg_project)
    assert {"doubled", "summary", "checked", "row_count", "numbers"} == set(assets)


def test_translation_rewrites_specs_with_kedro_template_vars(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component(
        "hooked",
        {
            "project_path": str(project),
            "translation": {
                "group_name": "{{ project.package_name }}_data",
                "tags": {"dataset_type": "{{ dataset.short_type | replace('.', '_') }}"},
                "key": "hooked/{{ dataset.name }}",
            },
        },
    )
    assets, _ = loaded_specs_and_jobs(dg_project)
    assert set(assets) == {"hooked/doubled", "hooked/summary", "hooked/checked", "hooked/row_count", "hooked/numbers"}
    assert assets["hooked/summary"].group_name == "hooked_data"
    assert [dep.asset_key.to_user_string() for dep in assets["hooked/summary"].deps] == ["hooked/doubled"]
