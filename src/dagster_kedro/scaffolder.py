"""``dg scaffold defs dagster_kedro.KedroProjectComponent <path> --project-path P [--env E]``."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from dagster.components.component.component_scaffolder import Scaffolder
from dagster.components.component_scaffolding import scaffold_component
from dagster.components.scaffold.scaffold import ScaffoldRequest
from pydantic import BaseModel, Field

from dagster_kedro.errors import KedroComponentError


class KedroScaffoldParams(BaseModel):
    project_path: str = Field(
        description="Kedro project root, absolute or relative to the directory dg runs in."
    )
    env: str | None = Field(default=None, description="Kedro configuration environment.")


class KedroProjectScaffolder(Scaffolder[KedroScaffoldParams]):
    """Writes defs.yaml with ``project_path`` relative to the new folder, after checking it."""

    @classmethod
    def get_scaffold_params(cls) -> type[KedroScaffoldParams]:
        return KedroScaffoldParams

    def scaffold(self, request: ScaffoldRequest[KedroScaffoldParams]) -> None:
        from dagster_kedro.project import validate_kedro_project_path

        project = Path(request.params.project_path).expanduser().resolve()
        try:
            validate_kedro_project_path(project)
        except KedroComponentError as error:
            raise KedroComponentError(
                error.problem,
                source="dg scaffold defs --project-path",
                value=request.params.project_path,
                fix=error.fix,
            ) from None
        defs_folder = request.target_path.resolve()
        project_path = os.path.relpath(project, defs_folder)
        if request.scaffold_format != "yaml":
            attributes = {"project_path": project_path, "env": request.params.env}
            scaffold_component(request, {k: v for k, v in attributes.items() if v})
            return
        env = request.params.env
        text = template_path().read_text().format(
            project_path=json.dumps(project_path),
            env_line=f"  env: {json.dumps(env)}" if env else "  # env: local  # default: $KEDRO_ENV, else Kedro's default",
            package=_package_name(project),
        )
        defs_folder.mkdir(parents=True, exist_ok=True)
        (defs_folder / "defs.yaml").write_text(text)


def template_path() -> Path:
    """The defs.yaml template: inside the installed wheel, or at the root of a source checkout."""
    packaged = Path(__file__).parent / "component_templates" / "defs.yaml"
    return packaged if packaged.exists() else Path(__file__).parents[2] / "component_templates" / "defs.yaml"


def _package_name(project: Path) -> str:
    return tomllib.loads((project / "pyproject.toml").read_text())["tool"]["kedro"]["package_name"]
