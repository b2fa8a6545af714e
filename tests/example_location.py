"""A copy of the monorepo example (examples/dagster_project and the three Kedro projects it points
at), ready to load: the tests of the example and of the UI run on it, never on the checkout.

company_ratings runs in its own venv (``python_executable: .../company_ratings/.venv`` in its
defs.yaml). The copy gets the venv that tests/isolated_envs.py builds from the project's
``requirements.txt`` once and caches, linked as ``.venv``: the same environment that
``examples/build_venv.py`` builds for the demo, without building it per test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, DgProject, copy_kedro_project
from isolated_envs import project_venv

LOCATION = "dagster_project"  # the code location: the dg project's folder name
PROJECTS = ("spaceflights", "fleet_ops", "company_ratings")


def copy_example(dest: Path) -> DgProject:
    """examples/dagster_project and the Kedro projects it points at (``../../../../../kedro_projects``),
    without outputs of earlier runs, in ``dest``; a Dagster home of its own, the community dialog seen."""
    shutil.copytree(
        REPO / "examples" / "dagster_project",
        dest / LOCATION,
        ignore=shutil.ignore_patterns(".dagster_home", "__pycache__", "*.egg-info"),
    )
    for name in PROJECTS:
        copy_kedro_project(name, dest / "kedro_projects")
    (dest / "kedro_projects" / "company_ratings" / ".venv").symlink_to(project_venv("company_ratings"))
    project = DgProject(dest / LOCATION, "kedro_demo", existing=True)
    (project.home / ".nux").mkdir(parents=True)
    (project.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (project.home / ".nux" / "nux.yaml").write_text("seen: 1\n")
    # Kedro's rich handler wraps at 80 columns off a terminal: one compute-log line per record
    project.env["COLUMNS"] = "200"
    return project
