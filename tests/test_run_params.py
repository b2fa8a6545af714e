"""Per-run config of a Kedro component: the project's parameters as typed run config (what the
Launchpad's default config shows), merged with the untyped runtime_params, and load_versions
(run config and jobs[].load_versions) on real spaceflights runs."""

from __future__ import annotations

import json
import tempfile

import dagster as dg
import pytest
from conftest import (
    IN_PROCESS,
    copy_kedro_project,
    error_chain,
    error_text,
    loaded_in_process,
    run_kedro,
)
from dagster._core.snap.snap_to_yaml import default_values_yaml_from_type_snap
from test_execution import assert_same_outputs

from dagster_kedro.errors import KedroComponentError
from dagster_kedro.project import read_project
from dagster_kedro.run_config import KedroRunConfig, RunConfigSpec

JOB = "spaceflights__default"
METRICS = "data/08_reporting/metrics.json"
REGRESSOR = "data_science.regressor"


def launchpad_default_yaml(job: dg.JobDefinition) -> str:
    """The job's default run config as the Launchpad shows it (GraphQL's rootDefaultYaml)."""
    snap = job.get_job_snapshot()
    schema = snap.config_schema_snapshot
    return default_values_yaml_from_type_snap(schema, schema.get_config_snap(snap.mode_def_snaps[0].root_config_key))


def params_config(config: dict) -> dict:
    return {"resources": {"kedro_spaceflights": {"config": config}}}


def test_launchpad_default_config_lists_the_parameters_typed_and_nested(kedro_project, defs_sandbox):
    project = kedro_project("spaceflights")
    with loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        job = defs.resolve_job_def(JOB)
        shown = launchpad_default_yaml(job)
        config_type = job.run_config_schema.config_type
        with pytest.raises(dg.DagsterInvalidConfigError) as wrong_type:
            dg.validate_run_config(job, params_config({"params": {"model_options": {"test_size": "big"}}}))
    assert "      params:\n        model_options:\n" in shown
    assert "          test_size: 0.2\n" in shown and "          random_state: 3\n" in shown
    assert "          - engines\n" in shown  # a list parameter, with its items
    assert "runtime_params: {}" in shown and "load_versions: {}" in shown
    model_options = config_type.fields["resources"].config_type.fields["kedro_spaceflights"].config_type
    model_options = model_options.fields["config"].config_type.fields["params"].config_type.fields["model_options"]
    fields = model_options.config_type.fields
    assert (fields["test_size"].config_type.given_name, fields["random_state"].config_type.given_name) == ("Float", "Int")
    assert "test_size" in str(wrong_type.value) and "big" in str(wrong_type.value)


@pytest.fixture(scope="module")
def spaceflights_snapshot(tmp_path_factory):
    return read_project(copy_kedro_project("spaceflights", tmp_path_factory.mktemp("snapshot")))


def test_only_changed_parameters_become_runtime_params_and_typed_wins_over_untyped(spaceflights_snapshot):
    spec = RunConfigSpec.of(spaceflights_snapshot, "kedro_spaceflights", [])
    assert spec.read(None) == KedroRunConfig({}, {})
    assert spec.read({"params": {"model_options": {"test_size": 0.2, "random_state": 3}}}) == KedroRunConfig({}, {})
    changed = spec.read({"params": {"model_options": {"test_size": 0.3, "random_state": 3}}})
    assert changed.runtime_params == {"model_options": {"test_size": 0.3}}
    both = spec.read(
        {"runtime_params": {"model_options.test_size": 0.25, "extra": 1}, "params": {"model_options": {"test_size": 0.3}}}
    )
    assert both.runtime_params == {"model_options": {"test_size": 0.3}, "extra": 1}
    untyped_only = spec.read({"runtime_params": {"model_options.test_size": 0.25}, "params": {"model_options": {"test_size": 0.2}}})
    assert untyped_only.runtime_params == {"model_options": {"test_size": 0.25}}  # a default never overrides


def test_every_kind_of_parameter_value_gets_a_field_that_defaults_to_it():
    spec = RunConfigSpec(
        "kedro_x", {"none": None, "mixed": [1, "x"], "empty": {}, "flag": True, "count": 1, "ratio": 0.5, "items": []}
    )
    assert spec.read(None) == KedroRunConfig({}, {}) and RunConfigSpec("kedro_x", {}).read({"params": {}}) == KedroRunConfig()
    given = {"none": {"x": 1}, "mixed": [2], "empty": {"k": 1}, "flag": False, "count": 2, "ratio": 1, "items": [1]}
    assert spec.read({"params": given}).runtime_params == {**given, "ratio": 1.0}
    with pytest.raises(dg.DagsterInvalidConfigError, match="root:params:count"):
        spec.read({"params": {"count": 0.5}})  # an Int parameter


def test_partition_params_are_not_offered(spaceflights_snapshot):
    spec = RunConfigSpec.of(spaceflights_snapshot, "kedro_spaceflights", ["model_options.test_size"])
    assert "test_size" not in spec.defaults["model_options"] and "random_state" in spec.defaults["model_options"]
    assert spaceflights_snapshot.parameters["model_options"]["test_size"] == 0.2  # the snapshot keeps it


def test_a_run_with_one_nested_parameter_changed_writes_what_kedro_run_params_writes(kedro_project, dg_project):
    expected = kedro_project("spaceflights", "expected")
    run_kedro(expected, "--params", "model_options.test_size=0.3")
    project = kedro_project("spaceflights")
    dg_project.add_component("spaceflights", {"project_path": str(project)})
    dg_project.launch(job=JOB, config={**IN_PROCESS, **params_config({"params": {"model_options": {"test_size": 0.3}}})})
    assert_same_outputs(expected, project)
    assert json.loads((project / METRICS).read_text())["n_test"] == 12


def test_an_unknown_parameter_is_an_error_naming_it(kedro_project, defs_sandbox):
    project = kedro_project("spaceflights")
    with loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        job = defs.resolve_job_def(JOB)
        with pytest.raises(dg.DagsterInvalidConfigError) as raised:
            job.execute_in_process(run_config=params_config({"params": {"model_options": {"test_sise": 0.3}}}))
    message = str(raised.value)
    assert 'unexpected config entry "test_sise"' in message and "model_options" in message
    assert not (project / METRICS).exists()


def regressor_version(result: dg.ExecuteInProcessResult) -> str:
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == dg.AssetKey(["data_science", "regressor"]):
            return materialization.metadata["kedro/save_version"].value
    raise AssertionError("no regressor materialization")


def test_load_versions_reads_the_named_version(kedro_project, defs_sandbox):
    project = kedro_project("spaceflights")
    with tempfile.TemporaryDirectory() as home, loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        instance = dg.DagsterInstance.local_temp(home)
        job = defs.resolve_job_def(JOB)
        first = regressor_version(job.execute_in_process(instance=instance))
        metrics_first = (project / METRICS).read_text()
        config = params_config({"params": {"model_options": {"test_size": 0.3}}})
        second = regressor_version(job.execute_in_process(run_config=config, instance=instance))
        metrics_second = (project / METRICS).read_text()
        # only the metrics: evaluate_model (and split_data for its memory inputs) reads the regressor
        metrics_key = dg.AssetKey(["data_science", "metrics"])
        job.execute_in_process(
            run_config=params_config({"load_versions": {REGRESSOR: first}}), instance=instance, asset_selection=[metrics_key]
        )
        metrics_pinned = (project / METRICS).read_text()
        newest = job.execute_in_process(instance=instance, asset_selection=[metrics_key])
    assert first != second and metrics_first != metrics_second
    assert metrics_pinned == metrics_first  # the first regressor, on the default split
    assert newest.success and (project / METRICS).read_text() != metrics_first  # without: the newest (second) one


@pytest.mark.parametrize(
    "load_versions, expected",
    [
        ({"regresor": "2026-01-01T00.00.00.000Z"}, "Did you mean 'data_science.regressor'?"),
        ({"model_input_table": "2026-01-01T00.00.00.000Z"}, "'model_input_table', which is not versioned"),
        ({REGRESSOR: "2026-01-01T00.00.00.000Z"}, "has no such version"),
    ],
    ids=["unknown", "unversioned", "missing version"],
)
def test_a_bad_load_version_is_a_clear_error(kedro_project, defs_sandbox, load_versions, expected):
    project = kedro_project("spaceflights")
    with tempfile.TemporaryDirectory() as home, loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        instance = dg.DagsterInstance.local_temp(home)
        job = defs.resolve_job_def(JOB)
        with pytest.raises(Exception) as raised:
            job.execute_in_process(run_config=params_config({"load_versions": load_versions}), instance=instance)
    text = error_text(raised.value)
    assert expected in text and "load_versions" in text, text


def test_a_jobs_load_versions_are_checked_when_the_definitions_load(kedro_project, defs_sandbox):
    project = kedro_project("spaceflights")
    attributes = {
        "project_path": str(project),
        "jobs": [{"name": "evaluate", "load_versions": {"regresor": "2026-01-01T00.00.00.000Z"}}],
    }
    with pytest.raises(Exception) as raised, loaded_in_process(attributes, sandbox=defs_sandbox):
        pass
    text = error_text(raised.value)
    assert "attributes.jobs[0].load_versions.regresor" in text and "Did you mean 'data_science.regressor'?" in text
    assert any(isinstance(e, KedroComponentError) for e in error_chain(raised.value))
