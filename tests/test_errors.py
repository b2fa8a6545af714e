"""Bad input gets a clear error naming the file, the field and the value, with a fix.

The load errors are read from Dagster's component loader in this process (what every `dg`
command runs first; tests/test_bad_inputs.py takes such errors through each `dg` command). `dg
check yaml` validates the YAML before any load: that one goes through the CLI.
"""

from __future__ import annotations

import os

import pytest
import yaml
from dagster.components.testing import create_defs_folder_sandbox

from conftest import error_text


def load_error(attributes: dict, relative_project: os.PathLike | None = None) -> tuple[str, str]:
    """(error text, defs.yaml path) of loading a component with ``attributes``; with
    ``relative_project``, ``project_path`` is that folder relative to the defs.yaml folder."""
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "kedro"
        folder.mkdir()
        if relative_project is not None:
            attributes = {**attributes, "project_path": os.path.relpath(relative_project, folder)}
        yaml_file = folder / "defs.yaml"
        yaml_file.write_text(yaml.safe_dump({"type": "dagster_kedro.KedroProjectComponent", "attributes": attributes}))
        with pytest.raises(Exception) as raised:
            with sandbox.load_component_and_build_defs(defs_path=folder):
                pass
        return error_text(raised.value), str(yaml_file)


def test_missing_project_path(tmp_path):
    output, yaml_file = load_error({"project_path": str(tmp_path / "nowhere")})
    assert str(yaml_file) in output
    assert f"attributes.project_path = '{tmp_path / 'nowhere'}'" in output
    assert "does not exist or is not a folder" in output
    assert "Fix: point project_path at the Kedro project root" in output


def test_project_path_that_is_not_a_kedro_project(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[project]\nname = 'plain'\n")
    output, yaml_file = load_error({}, relative_project=folder)
    relative = os.path.relpath(folder, os.path.dirname(yaml_file))
    assert relative.startswith("../")
    assert "is not a Kedro project: no pyproject.toml with a [tool.kedro] table there" in output
    assert f"attributes.project_path = '{relative}'" in output or str(folder) in output


def test_unknown_pipeline(kedro_project):
    output, _ = load_error({"project_path": str(kedro_project("hooked")), "pipelines": ["ingest", "nope"]})
    assert "attributes.pipelines = ['ingest', 'nope']" in output
    assert "pipeline(s) ['nope'] are not registered" in output
    assert "Registered: ['__default__', 'ingest', 'report']" in output


def test_unknown_yaml_key_is_refused_with_its_location(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project), "group_bye": "node"})
    result = dg_project.dg("check", "yaml", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "group_bye" in output
    assert "defs.yaml" in output


def test_bad_group_by_value(kedro_project):
    output, yaml_file = load_error({"project_path": str(kedro_project("hooked")), "group_by": "nodes"})
    assert f"{yaml_file}:" in output
    assert "attributes.group_by = 'nodes'" in output
    assert "group_by must be one of ['memory', 'namespace', 'node', 'pipeline']" in output


@pytest.mark.parametrize(
    "broken_file,line,shown",
    [
        ("settings.py", "import not_a_module_anywhere\n", "No module named 'not_a_module_anywhere'"),
        ("pipeline_registry.py", "raise ValueError('registry exploded')\n", "ValueError: registry exploded"),
    ],
)
def test_kedro_project_that_fails_to_import_shows_kedros_error(broken_file, line, shown, kedro_project):
    project = kedro_project("hooked")
    module = project / "src" / "hooked" / broken_file
    module.write_text(module.read_text() + line)
    output, _ = load_error({"project_path": str(project)})
    assert "Kedro could not load the project" in output
    assert shown in output
    assert "attributes.project_path" in output


def test_unknown_kedro_env(kedro_project):
    output, _ = load_error({"project_path": str(kedro_project("hooked")), "env": "nope"})
    assert "attributes.env = 'nope'" in output
    assert "Kedro env 'nope' has no folder" in output
    assert "Available envs: ['base', 'local']" in output


def test_the_component_json_schema_is_pydantics_and_a_caller_cannot_change_it():
    """Dagster asks for it on every definitions load, so it is derived once (errors._suggesting)."""
    from pydantic import BaseModel

    from dagster_kedro import KedroProjectComponent

    model = KedroProjectComponent.get_model_cls()
    model.model_json_schema()["properties"].clear()
    schema = model.model_json_schema()
    assert schema == BaseModel.model_json_schema.__func__(model)
    assert {"project_path", "group_by", "executor"} <= set(schema["properties"])
