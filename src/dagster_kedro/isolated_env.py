"""A Kedro project read by its own Python interpreter (the ``python_executable`` attribute).

Projects whose requirements conflict (pandas 2 against pandas 3) cannot share the code location's
interpreter. With ``python_executable``, the snapshot (the component state) is read by the
project's interpreter instead, running ``project_python.py`` from this package's own folder, so
the project's environment needs Kedro, the project's requirements, ``dagster-pipes`` and pydantic,
never dagster nor an install of dagster-kedro. The code location then only parses JSON: a load
from state, or a live read through the project's interpreter, imports no Kedro module.

The child gets the code location's environment variables but not ``PYTHONPATH`` nor
``PYTHONHOME``: those name the code location's packages, which must not shadow the project's.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from dagster_kedro import project_python
from dagster_kedro.errors import KedroComponentError
from dagster_kedro.snapshot import ProjectSnapshot

ENTRY_POINT = Path(project_python.__file__).resolve()


def interpreter(python_executable: str, project_path: str) -> str:
    """The interpreter that ``python_executable`` names: itself, or a virtualenv folder's
    ``bin/python`` (a name not starting with ``python`` is taken for a folder); a missing one is
    an error saying how to create it."""
    path = Path(python_executable)
    if path.is_dir() or not path.name.startswith("python"):
        path = path / "bin" / "python"
    if not path.is_file() or not os.access(path, os.X_OK):
        venv = path.parent.parent if path.parent.name == "bin" else path.parent
        raise KedroComponentError(
            f"no Python interpreter at '{path}'.",
            field="python_executable",
            value=python_executable,
            fix=f"create the project's environment: python3 -m venv {venv} && {venv}/bin/pip install "
            f"-e {project_path} dagster-pipes 'pydantic>=2,<3'.",
        )
    return str(path)


def child_environment() -> dict[str, str]:
    """The environment of a child in the project's interpreter: this one's, without the
    variables that name this interpreter's packages."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def read_project_with(
    python_executable: str,
    project_path: str,
    *,
    env: str | None,
    conf_source: str | None,
    runtime_params: dict[str, Any],
    pipelines: list[str],
) -> ProjectSnapshot:
    """The project's snapshot as its own interpreter reads it (``read_project`` over there)."""
    python = interpreter(python_executable, project_path)
    command = [python, str(ENTRY_POINT), "snapshot", "--project-path", project_path]
    command += ["--env", env] if env else []
    command += ["--conf-source", conf_source] if conf_source else []
    command += [arg for name in pipelines for arg in ("--pipeline", name)]
    command += ["--runtime-params", json.dumps(runtime_params)] if runtime_params else []
    result = subprocess.run(command, capture_output=True, text=True, env=child_environment(), cwd=project_path)
    if result.returncode == 0:
        return ProjectSnapshot.from_json(result.stdout)
    raise _child_error(result, python_executable)


def _child_error(result: subprocess.CompletedProcess, python_executable: str) -> KedroComponentError:
    """The child's :class:`KedroComponentError` rebuilt, or one quoting the end of its stderr."""
    lines = result.stderr.splitlines()
    reported = next((line for line in reversed(lines) if line.startswith(project_python.ERROR_PREFIX)), None)
    fields = json.loads(reported[len(project_python.ERROR_PREFIX) :]) if reported else None
    if fields and result.returncode == project_python.MISSING_REQUIREMENTS:
        python = result.args[0]
        install = " ".join(project_python.REQUIREMENTS[name] for name in fields["missing"])
        return KedroComponentError(
            f"the project's Python ({python}) lacks {', '.join(fields['missing'])}.",
            field="python_executable",
            value=python_executable,
            fix=f"install them into it: {python} -m pip install {install}",
        )
    if fields:
        return KedroComponentError(fields.pop("problem"), **fields)
    tail = "\n    ".join(lines[-15:])
    return KedroComponentError(
        f"the project's Python failed to read the project (exit status {result.returncode}):\n    {tail}",
        field="python_executable",
        value=python_executable,
        fix="run the same Python on the project (`<python> -m kedro registry list` in the project "
        "folder) to see the error, and fix the project or its environment.",
    )
