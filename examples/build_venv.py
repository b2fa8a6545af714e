#!/usr/bin/env python
"""Build the virtualenv of an example Kedro project that runs in its own Python environment.

    python examples/build_venv.py                      # company_ratings (the one such project)
    python examples/build_venv.py path/to/kedro_project

It creates ``<project>/.venv`` with uv (``pip install uv``; the demo extra has it) for this
interpreter's Python version and installs the project's ``requirements.txt`` into it: Kedro, the
project's own pins (company_ratings: pandas 2, while the code location has pandas 3),
``dagster-pipes`` and pydantic, never dagster. The project itself is not installed: Kedro puts
its ``src`` on ``sys.path``. A venv built from the same requirements is kept (``.venv/.complete``
records them), so running it again costs nothing; uv builds one in about 5 s with a warm cache.
``examples/run_demo.py`` calls it when the venv is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
ISOLATED_PROJECTS = (EXAMPLES / "kedro_projects" / "company_ratings",)


def uv_command() -> list[str]:
    """uv, from this environment or the PATH; a missing one stops with the install command."""
    if importlib.util.find_spec("uv"):
        return [sys.executable, "-m", "uv"]
    found = shutil.which("uv")
    if found:
        return [found]
    sys.exit(f"building a project venv needs uv: {sys.executable} -m pip install uv  (or pip install -e '.[demo]')")


def is_built(project: Path) -> bool:
    """Whether ``project``'s ``.venv`` holds its current ``requirements.txt``."""
    complete = project / ".venv" / ".complete"
    return complete.exists() and complete.read_text() == (project / "requirements.txt").read_text()


def build(project: Path) -> Path:
    """``project``'s ``.venv`` with its ``requirements.txt`` installed; built only when missing or
    when the requirements changed."""
    venv = project / ".venv"
    if is_built(project):
        return venv
    uv = uv_command()
    subprocess.run([*uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(venv)], check=True)
    install = [*uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
    subprocess.run([*install, "-r", str(project / "requirements.txt")], check=True)
    (venv / ".complete").write_text((project / "requirements.txt").read_text())
    return venv


if __name__ == "__main__":
    for path in [Path(p).resolve() for p in sys.argv[1:]] or ISOLATED_PROJECTS:
        print(f"{path.name}: {build(path)}")
