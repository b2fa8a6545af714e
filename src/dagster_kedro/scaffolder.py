"""``dg scaffold defs dagster_kedro.KedroProjectComponent <path> --project-path P [--env E]``."""

from __future__ import annotations

import os
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

        project = Path(request.params.project_path).expanduser().absolute()
        try:
            validate_kedro_project_path(project)
        except KedroComponentError as error:
            raise KedroComponentError(
                error.problem,
                source="dg scaffold defs --project-path",
                value=request.params.project_path,
                fix=error.fix,
            ) from None
        defs_folder = request.target_path.absolute()
        attributes: dict[str, object] = {"project_path": os.path.relpath(project, defs_folder)}
        if request.params.env:
            attributes["env"] = request.params.env
        scaffold_component(request, attributes)
