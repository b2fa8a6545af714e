"""Bad input gets a clear error naming the file, the field and the value, with a fix."""

from __future__ import annotations

import pytest


def check_defs_fails(dg_project):
    result = dg_project.dg("check", "defs", check=False)
    assert result.returncode != 0
    return result.stdout + result.stderr


def test_missing_project_path(dg_project, tmp_path):
    yaml_file = dg_project.add_component("kedro", {"project_path": str(tmp_path / "nowhere")})
    output = check_defs_fails(dg_project)
    assert str(yaml_file) in output
    assert f"attributes.project_path = '{tmp_path / 'nowhere'}'" in output
    assert "does not exist or is not a folder" in output
    assert "Fix: point project_path at the Kedro project root" in output


def test_project_path_that_is_not_a_kedro_project(dg_project, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[project]\nname = 'plain'\n")
    dg_project.add_component("kedro", {"project_path": "../../../../../plain"})
    output = check_defs_fails(dg_project)
    assert "is not a Kedro project: no pyproject.toml with a [tool.kedro] table there" in output
    assert "attributes.project_path = '../../../../../plain'" in output or str(folder) in output


def test_unknown_pipeline(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project), "pipelines": ["ingest", "nope"]})
    output = check_defs_fails(dg_project)
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


def test_bad_group_by_value(kedro_project, dg_project):
    project = kedro_project("hooked")
    yaml_file = dg_project.add_component("hooked", {"project_path": str(project), "group_by": "nodes"})
    output = check_defs_fails(dg_project)
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
def test_kedro_project_that_fails_to_import_shows_kedros_error(broken_file, line, shown, kedro_project, dg_project):
    project = kedro_project("hooked")
    module = project / "src" / "hooked" / broken_file
    module.write_text(module.read_text() + line)
    dg_project.add_component("hooked", {"project_path": str(project)})
    output = check_defs_fails(dg_project)
    assert "Kedro could not load the project" in output
    assert shown in output
    assert "attributes.project_path" in output


def test_unknown_kedro_env(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project), "env": "nope"})
    output = check_defs_fails(dg_project)
    assert "attributes.env = 'nope'" in output
    assert "Kedro env 'nope' has no folder" in output
    assert "Available envs: ['base', 'local']" in output
