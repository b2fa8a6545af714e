"""The translation stage, in process: ``get_asset_spec`` builds the whole spec, then the YAML
``translation`` is applied to it and kept (keys, deps and all), subclasses override either step.

Loads go through Dagster's own component loader (``dagster.components.testing``) on a copy of
the ``hooked`` fixture project: numbers (raw CSV) -> load_numbers -> clean_numbers (memory) ->
double_numbers (reads params:factor) -> doubled (CSV) -> summary (JSON, node tag `reporting`),
row_count (memory, terminal), checked (CSV).
"""

from __future__ import annotations

import dagster as dg
import pytest
import yaml
from conftest import copy_kedro_project, error_text, loaded_in_process
from dagster.components.testing.test_cases import TestTranslation

from dagster_kedro.errors import KedroComponentError


@pytest.fixture(scope="module")
def hooked(tmp_path_factory):
    return copy_kedro_project("hooked", tmp_path_factory.mktemp("kedro"))


def specs_of(defs) -> dict[str, dg.AssetSpec]:
    return {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}


def upstream_of(defs, key: str) -> list[str]:
    graph = defs.resolve_asset_graph().asset_dep_graph["upstream"]
    return sorted(k.to_user_string() for k in graph[dg.AssetKey.from_user_string(key)])


class TestKedroTranslation(TestTranslation):
    """Dagster's table of translation attributes (key, key_prefix, deps, group_name, owners, tags,
    kinds, metadata, description, code_version, automation_condition, partitions_def), the one
    dagster-sling's and dagster-dbt's component tests run, applied to the `summary` asset."""

    def test_translation(self, hooked, defs_sandbox, attributes, assertion, key_modifier):
        with loaded_in_process({"project_path": str(hooked), "translation": attributes}, sandbox=defs_sandbox) as defs:
            key = dg.AssetKey("summary")
            spec = specs_of(defs)[(key_modifier(key) if key_modifier else key).to_user_string()]
            assert assertion(spec), spec


def test_key_and_deps_from_yaml_are_kept_and_deps_follow_translated_keys(hooked, defs_sandbox):
    translated = {"key": "kedro/{{ dataset.name }}"}
    with loaded_in_process({"project_path": str(hooked), "translation": translated}, sandbox=defs_sandbox) as defs:
        assert upstream_of(defs, "kedro/summary") == ["kedro/doubled"]
        assert upstream_of(defs, "kedro/doubled") == ["kedro/numbers"]
    overridden = {**translated, "deps": ["elsewhere/table"]}
    with loaded_in_process({"project_path": str(hooked), "translation": overridden}, sandbox=defs_sandbox) as defs:
        # the YAML deps, not the Kedro lineage (doubled), and not rewritten after the translation
        assert upstream_of(defs, "kedro/summary") == ["elsewhere/table"]
        assert upstream_of(defs, "kedro/checked") == ["elsewhere/table"]


def test_template_vars_describe_the_dataset_and_its_node(hooked, defs_sandbox):
    translation = {
        "metadata": {
            "vars": "{{ [dataset.name, dataset.short_type, dataset.filepath, dataset.layer, node.name, "
            "node.namespace, node.tags, node.pipelines, node.function] if node else dataset.name }}",
        },
    }
    with loaded_in_process({"project_path": str(hooked), "translation": translation}, sandbox=defs_sandbox) as defs:
        specs = specs_of(defs)
    assert specs["summary"].metadata["vars"] == [
        "summary", "json.JSONDataset", "data/08_reporting/summary.json", None, "summarise", None,
        ["reporting"], ["report"], "hooked.pipelines.report.nodes.summarise",
    ]
    assert specs["numbers"].metadata["vars"] == "numbers"


def test_a_deps_override_that_drops_memory_data_a_step_reads_is_refused(hooked, defs_sandbox):
    attributes = {"project_path": str(hooked), "group_by": "node", "translation": {"deps": ["elsewhere"]}}
    with pytest.raises(Exception) as raised:
        with loaded_in_process(attributes, sandbox=defs_sandbox):
            pass
    text = error_text(raised.value)
    assert "clean_numbers" in text and "translation.deps" in text and "keep 'clean_numbers' in the deps" in text


def test_a_subclass_overriding_get_asset_spec_is_translated_after(hooked, defs_sandbox):
    attributes = {"project_path": str(hooked), "translation": {"tags": {"translated": "yes"}}}
    with loaded_in_process(attributes, component_type="custom_components.OwnedByNodeTags", sandbox=defs_sandbox) as defs:
        specs = specs_of(defs)
    assert specs["numbers"].group_name == "raw"
    assert specs["summary"].owners == ["team:data"]
    assert specs["summary"].tags["translated"] == "yes" and specs["numbers"].tags["translated"] == "yes"
    assert upstream_of(defs, "summary") == ["doubled"]


def test_a_subclass_overriding_execute_runs_around_the_nodes(hooked, defs_sandbox):
    with loaded_in_process({"project_path": str(hooked)}, component_type="custom_components.Audited", sandbox=defs_sandbox) as defs:
        job = defs.resolve_implicit_global_asset_job_def()
        with dg.instance_for_test() as instance:
            result = job.execute_in_process(
                instance=instance, asset_selection=[dg.AssetKey("doubled"), dg.AssetKey("summary")]
            )
            assert result.success
            recorded = {
                event.asset_key.to_user_string(): event.materialization.metadata["audited/nodes"].value
                for event in result.get_asset_materialization_events()
            }
    assert recorded == {"doubled": 2, "summary": 1}  # load_numbers + double_numbers share a step
    assert (hooked / "data" / "08_reporting" / "summary.json").is_file()


def _with_catalog(project, entries: dict) -> None:
    catalog = project / "conf" / "base" / "catalog.yml"
    content = yaml.safe_load(catalog.read_text())
    for name, extra in entries.items():
        content[name] = {**content.get(name, {}), **extra}
    catalog.write_text(yaml.safe_dump(content))


def test_definition_metadata_from_the_catalog_and_the_node(kedro_project, defs_sandbox):
    project = kedro_project("hooked")
    _with_catalog(project, {
        "summary": {"metadata": {
            "kedro-viz": {"layer": "reporting"},
            "dagster": {"owners": ["team:ops"], "tags": {"tier": "gold"}, "group_name": "reports",
                        "description": "Column sums of the doubled numbers."},
        }},
        "checked": {"filepath": "s3://AKIAKEY:secretvalue@bucket/checked.csv"},
    })
    attributes = {"project_path": str(project), "translation": {"metadata": {"layer": "{{ dataset.layer }}"}}}
    with loaded_in_process(attributes, sandbox=defs_sandbox) as defs:
        specs = specs_of(defs)
    summary = specs["summary"]
    assert summary.tags["kedro/layer"] == "reporting" and summary.metadata["layer"] == "reporting"
    assert summary.tags["tier"] == "gold" and "reporting" in summary.tags  # catalog tags beside node tags
    assert summary.owners == ["team:ops"] and summary.group_name == "reports"
    assert summary.description == "Column sums of the doubled numbers."
    assert summary.metadata["dagster/uri"] == (project / "data" / "08_reporting" / "summary.json").as_uri()
    assert summary.metadata["kedro/node"] == "summarise" and summary.metadata["kedro/pipelines"] == "report"
    assert "secretvalue" not in str(specs["checked"].metadata)
    assert specs["checked"].metadata["dagster/uri"].endswith("@bucket/checked.csv")
    assert "kedro/layer" not in specs["doubled"].tags and specs["doubled"].owners == []


@pytest.mark.parametrize(
    ("block", "says"),
    [({"owner": ["team:ops"]}, "['owner']"), ({"tags": {"tier": "gold tier"}}, "not valid for a Dagster asset")],
)
def test_a_bad_catalog_dagster_block_names_the_file_and_entry(kedro_project, defs_sandbox, block, says):
    project = kedro_project("hooked")
    _with_catalog(project, {"summary": {"metadata": {"dagster": block}}})
    with pytest.raises(Exception) as raised:
        with loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox):
            pass
    error = raised.value
    while not isinstance(error, KedroComponentError) and error is not None:
        error = error.__cause__ or error.__context__
    assert error is not None, error_text(raised.value)
    assert says in str(error) and "summary.metadata.dagster" in str(error) and "catalog.yml" in str(error)


def test_raw_inputs_are_grouped_by_layer_else_in_the_project_raw_group(kedro_project, defs_sandbox):
    project = kedro_project("hooked")
    with loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        specs = specs_of(defs)
    # not the group of load_numbers, the node that reads it
    assert specs["numbers"].group_name == "hooked_raw"
    assert specs["doubled"].group_name != "hooked_raw"
    _with_catalog(project, {"numbers": {"metadata": {"kedro-viz": {"layer": "01_raw"}}}})
    with loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        assert specs_of(defs)["numbers"].group_name == "01_raw"


def test_dataset_readers_let_a_translation_group_raw_inputs_by_their_reader(hooked, defs_sandbox):
    translation = {
        "group_name": "{{ dataset.readers[0].pipelines[0] if not node else spec.group_name }}",
        "metadata": {"readers": "{{ dataset.readers | map(attribute='name') | list }}"},
    }
    with loaded_in_process({"project_path": str(hooked), "translation": translation}, sandbox=defs_sandbox) as defs:
        specs = specs_of(defs)
    assert specs["numbers"].metadata["readers"] == ["load_numbers"]
    assert sorted(specs["doubled"].metadata["readers"]) == ["count_rows", "maybe_fail", "summarise"]
    assert specs["numbers"].group_name == "ingest"  # the pipeline of load_numbers
    assert specs["summary"].metadata["readers"] == []
