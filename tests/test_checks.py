"""Asset checks: the YAML `checks:` block and the catalog's pandera schemas, run in the step on the
value the node returned (in-process loads and runs of real Kedro projects)."""

from __future__ import annotations

import tempfile
from typing import Any

import dagster as dg
import pytest
from conftest import error_text, loaded_in_process

from dagster_kedro import KedroProjectComponent
from dagster_kedro.pandera_checks import RESOLVERS
from dagster_kedro.project import read_project
from dagster_kedro.snapshot import ProjectSnapshot

DISCOUNTED_CHECKS = [
    {"function": "validated.checks:no_negative_prices", "blocking": True},
    {"function": "validated.checks:cheapest"},
    {"not_null": ["price"]},
    {"unique": ["item"], "name": "one_row_per_item"},
    {"columns": {"item": None, "price": "int64"}},
    {"row_count": {"min": 1, "max": 3}},
]


def check_specs(defs: dg.Definitions) -> dict[tuple[str, str], dg.AssetCheckSpec]:
    """Every asset check of the definitions, by (asset key, check name)."""
    return {
        (spec.asset_key.to_user_string(), spec.name): spec
        for assets in defs.assets or [] if isinstance(assets, dg.AssetsDefinition)
        for spec in assets.check_specs
    }


def run(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    with tempfile.TemporaryDirectory() as home:
        instance = dg.DagsterInstance.local_temp(home)
        return defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)


def evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], Any]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.step_materialization_data.materialization.asset_key.to_user_string()
            for e in result.get_asset_materialization_events()}


def test_pandera_schemas_of_the_catalog_become_checks_without_yaml(kedro_project, defs_sandbox):
    project = kedro_project("validated")
    # the snapshot keeps references, never schema objects: a load from state imports no project code
    snapshot = read_project(project)
    assert snapshot.datasets["cleaned"].pandera_schema == "validated.schemas.Cleaned"
    assert snapshot.datasets["discounted"].pandera_schema["columns"]["price"]["greater_than_or_equal_to"] == 0
    from omegaconf import OmegaConf

    assert not any(OmegaConf.has_resolver(name) for name in RESOLVERS)  # the stand-ins end with the read
    from_state = KedroProjectComponent(project_path=str(project)).build_defs_from_snapshot(
        ProjectSnapshot.from_json(snapshot.to_json()), defs_sandbox.defs_folder_path / "kedro" / "defs.yaml"
    )
    assert set(check_specs(from_state)) == {("cleaned", "pandera"), ("discounted", "pandera")}
    with loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        specs = check_specs(defs)
        assert set(specs) == {("cleaned", "pandera"), ("discounted", "pandera")}
        assert "validated.schemas.Cleaned" in specs["cleaned", "pandera"].description
        result = run(defs)
    assert result.success  # not blocking: a failing pandera check is recorded, the run goes on
    found = evaluations(result)
    assert found["cleaned", "pandera"].passed
    failed = found["discounted", "pandera"]
    assert not failed.passed
    assert failed.metadata["failing_rows"].value == 2  # pear and plum go below zero
    sample = failed.metadata["sample"].value
    assert {row["failure_case"] for row in sample} == {-1, -2}
    assert {row["check"] for row in sample} == {"greater_than_or_equal_to(0)"}
    assert "total" in materialized(result)


def test_a_failing_blocking_check_stops_the_downstream_step_and_passing_checks_are_recorded(
    kedro_project, defs_sandbox
):
    project = kedro_project("validated")
    attributes = {"project_path": str(project), "checks": {"discounted": DISCOUNTED_CHECKS}}
    with loaded_in_process(attributes, sandbox=defs_sandbox) as defs:
        specs = {name: spec for (asset, name), spec in check_specs(defs).items() if asset == "discounted"}
        assert specs["no_negative_prices"].blocking and not specs["row_count"].blocking
        result = run(defs)
    assert not result.success
    [failure] = result.get_step_failure_events()
    assert failure.step_key == "validated__discount"
    assert "blocking asset check failed" in failure.step_failure_data.error.message
    assert "discounted: no_negative_prices" in failure.step_failure_data.error.message
    # the data was saved (and materialized) before the check ran; the node downstream never ran
    assert (project / "data/02_intermediate/discounted.csv").is_file()
    assert {"cleaned", "discounted"} <= materialized(result)
    assert "total" not in materialized(result)

    found = evaluations(result)
    outcome = {name: found["discounted", name].passed for (asset, name) in found if asset == "discounted"}
    assert outcome == {
        "no_negative_prices": False, "cheapest": True, "not_null": True, "one_row_per_item": True,
        "columns": True, "row_count": False, "pandera": False,
    }
    assert found["discounted", "cheapest"].metadata["cheapest"].value == -2  # the function's own result
    assert found["discounted", "row_count"].metadata["row_count"].value == 4
    assert found["discounted", "columns"].metadata["dtypes"].value == {"item": "str", "price": "int64"}


def test_failing_column_checks_show_the_failing_rows(kedro_project, defs_sandbox):
    project = kedro_project("hooked")
    (project / "data/01_raw/numbers.csv").write_text("a,b\n1,10\n1,20\n2,30\n")
    checks = [{"unique": ["a"]}, {"columns": {"a": "int64", "c": None}}, {"row_count": {"min": 1}}]
    with loaded_in_process({"project_path": str(project), "checks": {"summary": [{"not_null": ["a"]}], "doubled": checks}},
                           sandbox=defs_sandbox) as defs:
        result = run(defs)
    found = evaluations(result)
    unique = found["doubled", "unique"]
    assert not unique.passed and unique.metadata["failing_rows"].value == 2
    assert unique.metadata["sample"].value == [{"a": 2}, {"a": 2}]  # doubled: 1 * 2, twice
    assert found["doubled", "columns"].metadata["missing_columns"].value == ["c"]
    assert found["doubled", "row_count"].passed
    # a column check on a value that is not a DataFrame fails, saying why
    assert not found["summary", "not_null"].passed
    assert "not a dict" in found["summary", "not_null"].metadata["error"].value


@pytest.mark.parametrize(
    ("checks", "field", "fix"),
    [
        ({"doubled": [{"not_null": []}]}, "checks.doubled[0].not_null", "list the columns"),
        ({"doubled": [{"row_count": {"min": 5, "max": 1}}]}, "checks.doubled[0].row_count", "row_count: {min: 1}"),
        ({"doubled": [{"function": "hooked.nodes.double"}]}, "checks.doubled[0].function", "my_package.checks:"),
        ({"doubled": [{"unique": ["a"]}, {"unique": ["b"]}]}, "checks.doubled", "give one of them a `name`"),
    ],
    ids=["no_column", "bounds", "function_path", "same_name"],  # more in tests/bad_inputs.py
)
def test_bad_checks_are_one_clear_error(kedro_project, defs_sandbox, checks, field, fix):
    project = kedro_project("hooked")
    with pytest.raises(Exception) as raised:
        with loaded_in_process({"project_path": str(project), "checks": checks}, sandbox=defs_sandbox):
            pass
    text = error_text(raised.value)
    assert f"attributes.{field}" in text
    assert fix in text


def test_a_catalog_schema_without_pandera_installed_is_a_load_error_naming_the_extra(
    kedro_project, defs_sandbox, monkeypatch
):
    import sys

    project = kedro_project("validated")
    monkeypatch.setitem(sys.modules, "pandera", None)  # as if pandera were not installed
    with pytest.raises(Exception) as raised:
        with loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox):
            pass
    text = error_text(raised.value)
    assert "cleaned.metadata.pandera.schema" in text
    assert "pandera is not installed" in text
    assert "Fix: pip install 'dagster-kedro[pandera]'" in text


def test_a_check_of_a_dataset_saved_in_chunks_warns_instead_of_checking_the_last_chunk():
    from dagster_kedro.checks import DatasetCheck, evaluate

    check = DatasetCheck("rows", "row_count", "row_count", (1, None), True, "")
    result = evaluate(check, dg.AssetKey("rows"), [1, 2], ".", whole=False)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "chunk by chunk" in result.metadata["error"].value
    assert evaluate(check, dg.AssetKey("rows"), [1, 2], ".").passed
