"""The entry point of dagster-kedro inside a Kedro project's own interpreter (``python_executable``).

The code location runs ``<project python> <this file> snapshot --project-path P ...`` to read
the project (see ``isolated_env``), and ``<project python> <this file> run`` through Dagster
Pipes to run a step's nodes (``isolated_steps``, ``pipes_runner``), and ``<project python>
<this file> pipeline-hook`` to fire the run's pipeline hooks (``isolated_runs``). The project's environment holds Kedro, the project's requirements,
``dagster-pipes`` and pydantic, but neither dagster nor (necessarily) dagster-kedro: this file is
run by its path, from the code location's copy of dagster-kedro, so both sides always run the same
version of it. It makes that copy's modules importable without running the package's
``__init__`` (which imports dagster, for the component): the modules it uses here (the snapshot
reader: ``project``, ``snapshot``, ``kedro_config``, ``kedro_runtime``...) import neither dagster
nor, until they read a project, Kedro.

What it prints: the result on stdout (the snapshot as JSON); a :class:`KedroComponentError` as
one line ``dagster-kedro-error: {json}`` on stderr, so the code location raises it with its
field, value and fix intact; and, when the environment lacks a requirement, such a line naming
the missing modules (exit status 3).
"""

import importlib.util
import json
import sys
import types
from pathlib import Path

ERROR_PREFIX = "dagster-kedro-error: "
MISSING_REQUIREMENTS = 3
# import name -> what to pip-install for it
REQUIREMENTS = {"kedro": "kedro", "dagster_pipes": "dagster-pipes", "pydantic": "'pydantic>=2,<3'", "yaml": "pyyaml"}


def _import_own_package() -> None:
    """Make ``dagster_kedro.<module>`` load the modules beside this file, ``__init__`` skipped."""
    here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == here:
        del sys.path[0]  # run by path: its folder must not shadow top-level modules (errors, steps...)
    package = types.ModuleType("dagster_kedro")
    package.__path__ = [str(here)]
    sys.modules["dagster_kedro"] = package


def _missing_requirements() -> list[str]:
    return [name for name in REQUIREMENTS if importlib.util.find_spec(name) is None]


def _requirements_of(snapshot) -> None:
    """What this project needs of this interpreter beyond ``REQUIREMENTS``: pandera, for the
    checks of the schemas its catalog names (which run here)."""
    from dagster_kedro.pandera_checks import require_pandera

    written = {d for node in snapshot.nodes.values() for d in node.outputs}
    for dataset in sorted(d for d in written if snapshot.dataset(d).pandera_schema is not None):
        require_pandera(dataset, None, python=sys.executable)


def main(argv: list[str]) -> int:
    missing = _missing_requirements()
    if missing:  # the code location says which and how to install them (isolated_env)
        sys.stderr.write(ERROR_PREFIX + json.dumps({"missing": missing}) + "\n")
        return MISSING_REQUIREMENTS
    _import_own_package()
    from dagster_kedro.errors import KedroComponentError

    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "run":  # a step, started by PipesSubprocessClient (isolated_steps)
        from dagster_kedro.pipes_runner import run_step

        run_step()
        return 0
    if command == "pipeline-hook":  # the request as JSON on stdin (isolated_runs)
        from dagster_kedro.pipes_runner import fire_pipeline_hook

        fire_pipeline_hook(json.load(sys.stdin))
        return 0
    if command != "snapshot":
        sys.stderr.write(f"usage: {Path(__file__).name} snapshot --project-path P [...] | run | pipeline-hook\n")
        return 2
    from dagster_kedro.project import main as print_snapshot

    try:
        print_snapshot(rest, check=_requirements_of)
    except KedroComponentError as error:
        fields = {"problem": error.problem, "field": error.field, "entry": error.entry, "fix": error.fix}
        fields.update(value=error.value, source=str(error.source) if error.source else None)
        sys.stderr.write(ERROR_PREFIX + json.dumps(fields, default=str) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
