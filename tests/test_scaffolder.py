"""`dg scaffold defs dagster_kedro.KedroProjectComponent <path> --project-path P [--env E]`."""

from __future__ import annotations

import os

import yaml


def test_scaffold_writes_defs_yaml_with_a_relative_project_path_that_loads(kedro_project, dg_project):
    project = kedro_project("hooked")
    relative = os.path.relpath(project, dg_project.root)
    dg_project.dg(
        "scaffold", "defs", "dagster_kedro.KedroProjectComponent", "my_kedro", "--project-path", relative, "--env", "local"
    )
    written = dg_project.defs / "my_kedro" / "defs.yaml"
    content = yaml.safe_load(written.read_text())
    assert content["type"] == "dagster_kedro.KedroProjectComponent"
    assert content["attributes"] == {"project_path": os.path.relpath(project, written.parent), "env": "local"}
    assert not os.path.isabs(content["attributes"]["project_path"])
    dg_project.dg("check", "defs")
    assets = {a["asset_key"] for a in dg_project.list_defs()["assets"]}
    assert "summary" in assets


def test_scaffold_refuses_a_path_that_is_not_a_kedro_project(dg_project, tmp_path):
    result = dg_project.dg(
        "scaffold", "defs", "dagster_kedro.KedroProjectComponent", "my_kedro", "--project-path", str(tmp_path),
        check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "is not a Kedro project" in output
    assert "--project-path" in output
    assert not (dg_project.defs / "my_kedro" / "defs.yaml").exists()
