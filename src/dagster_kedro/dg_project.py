"""A minimal dg project for one Kedro project: the Kedro-first path (``kedro dagster-kedro init``).

A Kedro user has no dg project, and ``create-dagster`` is a separate package that needs its own
virtualenv and pins another Dagster patch version. What ``dg`` needs is small, so it is written
here from nothing, offline: a ``pyproject.toml`` with ``[tool.dg]``, a root module whose
``definitions.py`` loads the defs folder, and in that folder the component's ``defs.yaml``,
written by the component's own scaffolder (the same file ``dg scaffold defs`` writes).

:func:`dev_command` is the ``dg dev`` that ``kedro dagster-kedro dev`` runs in that folder.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from dagster.components.scaffold.scaffold import ScaffoldRequest

from dagster_kedro.errors import KedroComponentError
from dagster_kedro.scaffolder import KedroProjectScaffolder, KedroScaffoldParams
from dagster_kedro.steps import python_identifier

COMPONENT_TYPE = "dagster_kedro.KedroProjectComponent"

_PYPROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
description = "The dg project of the Kedro project {package}: its datasets as Dagster assets."
requires-python = ">=3.10"
dependencies = ["dagster-kedro", "dagster-webserver"]

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "{module}"
registry_modules = ["dagster_kedro"]
"""

_DEFINITIONS = '''\
"""Everything under defs/ (the Kedro component's defs.yaml, and any other component) is loaded."""

from pathlib import Path

from dagster import definitions, load_from_defs_folder


@definitions
def defs():
    return load_from_defs_folder(path_within_project=Path(__file__).parent)
'''


@dataclass(frozen=True)
class DgLayout:
    """Where the files of the dg project of one Kedro package go."""

    root: Path
    package: str

    @property
    def module(self) -> str:
        return f"{python_identifier(self.package)}_dagster"

    @property
    def module_dir(self) -> Path:
        """At the root, not under src/: dg resolves the root module from the project folder, so
        every dg command imports it without the project being pip-installed (offline)."""
        return self.root / self.module

    @property
    def defs_yaml(self) -> Path:
        return self.module_dir / "defs" / self.package / "defs.yaml"


def write_dg_project(kedro_root: Path, package: str, folder: Path, env: str | None, force: bool) -> DgLayout:
    """Write the dg project into ``folder`` (absolute, or relative to the Kedro project root)."""
    layout = DgLayout((kedro_root / folder).resolve(), package)
    pyproject = layout.root / "pyproject.toml"
    if pyproject.exists() and not force:
        raise KedroComponentError(
            f"'{pyproject}' exists already: this folder holds a project.",
            source="kedro dagster-kedro init",
            entry="--dir",
            value=str(folder),
            fix="start it with `kedro dagster-kedro dev` (same --dir), pass --force to overwrite its "
            "files, or choose another --dir.",
        )
    (layout.module_dir / "defs").mkdir(parents=True, exist_ok=True)
    pyproject.write_text(_PYPROJECT.format(name=f"{layout.module.replace('_', '-')}", package=package, module=layout.module))
    (layout.root / ".gitignore").write_text(".dagster_home/\n")
    (layout.module_dir / "__init__.py").write_text("")
    (layout.module_dir / "definitions.py").write_text(_DEFINITIONS)
    (layout.module_dir / "defs" / "__init__.py").write_text("")
    KedroProjectScaffolder().scaffold(
        ScaffoldRequest(
            type_name=COMPONENT_TYPE,
            target_path=layout.defs_yaml.parent,
            scaffold_format="yaml",
            project_root=layout.root,
            params=KedroScaffoldParams(project_path=str(kedro_root), env=env),
        )
    )
    return layout


def dev_command(dg_root: Path, host: str, port: int, extra: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """``dg dev`` in ``dg_root`` and its environment: the ``dg`` beside this interpreter, runs kept
    in ``<dg_root>/.dagster_home`` unless ``DAGSTER_HOME`` is set (dg dev would otherwise use a
    temporary home and forget them)."""
    if not (dg_root / "pyproject.toml").is_file():
        raise KedroComponentError(
            f"'{dg_root}' holds no dg project (no pyproject.toml).",
            source="kedro dagster-kedro dev",
            entry="--dir",
            value=str(dg_root),
            fix="run `kedro dagster-kedro init` first, or pass --dir with the folder it wrote.",
        )
    beside = Path(sys.executable).parent / "dg"
    dg = str(beside) if beside.exists() else shutil.which("dg") or "dg"
    env = dict(os.environ)
    home = env.setdefault("DAGSTER_HOME", str(dg_root / ".dagster_home"))
    Path(home).mkdir(parents=True, exist_ok=True)
    return [dg, "dev", "--host", host, "--port", str(port), *extra], env
