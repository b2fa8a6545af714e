"""The throw-away dg project of the tests and the benchmarks: one helper, three users.

``tests/conftest.py`` re-exports :class:`DgProject`; ``benchmarks/run.py`` and
``benchmarks/executors.py`` import this module by path (``tests/`` on ``sys.path``), so a change
to how a dg project is laid out or how ``dg`` is started reaches all of them.

A dg project here is a hand-written ``pyproject.toml`` (``[tool.dg] directory_type = "project"``)
plus a ``definitions.py`` calling ``load_from_defs_folder`` (dg 1.13 has no ``dg scaffold
project``), a defs folder and a ``DAGSTER_HOME`` of its own with telemetry off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

BIN = Path(sys.executable).parent


class DgProject:
    """A minimal dg project (``[tool.dg] directory_type = "project"``) in a temp folder."""

    def __init__(self, root: Path, module: str = "kedro_defs", *, existing: bool = False):
        self.root = root
        self.module = module
        self.defs = root / "src" / module / "defs"
        self.home = root / ".dagster_home"
        self.env: dict[str, str] = {}
        if existing:  # a dg project made earlier (e.g. copied elsewhere with its state)
            return
        self.defs.mkdir(parents=True)
        self.home.mkdir()
        (self.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        (root / "pyproject.toml").write_text(
            textwrap.dedent(
                f"""
                [project]
                name = "{module.replace('_', '-')}"
                version = "0.0.1"

                [tool.dg]
                directory_type = "project"

                [tool.dg.project]
                root_module = "{module}"
                registry_modules = ["dagster_kedro"]
                """
            )
        )
        (self.defs.parent / "__init__.py").write_text("")
        (self.defs / "__init__.py").write_text("")
        (self.defs.parent / "definitions.py").write_text(
            textwrap.dedent(
                """
                from pathlib import Path

                from dagster import definitions, load_from_defs_folder


                @definitions
                def defs():
                    return load_from_defs_folder(path_within_project=Path(__file__).parent)
                """
            )
        )

    def add_component(self, name: str, attributes: dict[str, Any], filename: str = "defs.yaml") -> Path:
        folder = self.defs / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / filename
        path.write_text(yaml.safe_dump({"type": "dagster_kedro.KedroProjectComponent", "attributes": attributes}))
        return path

    def use_postgres(self, postgres_db: dict[str, Any]) -> None:
        """Run, event log and schedule storage of the instance in PostgreSQL (``postgres_db`` fixture)."""
        with (self.home / "dagster.yaml").open("a") as config:
            config.write(yaml.safe_dump({"storage": {"postgres": {"postgres_db": postgres_db}}}))

    def add_python(self, name: str, code: str, filename: str = "assets.py") -> Path:
        """A plain Python defs module (``defs/<name>/<filename>``): Dagster loads its assets and jobs."""
        folder = self.defs / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / filename
        path.write_text(code)
        return path

    def process_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            # the dg project's code first; a caller's PYTHONPATH (e.g. a git worktree's src) after
            "PYTHONPATH": os.pathsep.join(p for p in (str(self.root / "src"), os.environ.get("PYTHONPATH")) if p),
            # console scripts of this environment (dg, celery, ...) even when it is not activated
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            **self.env,
        }

    def dg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(BIN / "dg"), *args],
            cwd=self.root,
            env=self.process_env(),
            capture_output=True,
            text=True,
        )
        if check:
            assert result.returncode == 0, f"dg {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
        return result

    def list_defs(self) -> dict[str, Any]:
        return json.loads(self.dg("list", "defs", "--json").stdout)

    def launch(self, *, job: str | None = None, assets: str | None = None, config: dict | None = None, check: bool = True):
        args = ["launch"]
        args += ["--job", job] if job else ["--assets", assets or "*"]
        if config:
            args += ["--config-json", json.dumps(config)]
        return self.dg(*args, check=check)

    @contextmanager
    def instance(self) -> Iterator[Any]:
        """The project's Dagster instance (``DAGSTER_HOME``'s dagster.yaml), opened in this process:
        reading runs and events needs no `python -c` subprocess (a cold import of Dagster costs
        seconds on a loaded machine). Closed on exit."""
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(self.home)) as instance:
            yield instance

    @contextmanager
    def definitions(self) -> Iterator[Any]:
        """The project's Definitions, loaded in this process as `dg` loads them (the project's
        ``src`` importable, ``load_from_defs_folder``); its modules are forgotten on exit, so the
        next dg project of this process (same module name) loads its own."""
        import dagster as dg
        from dagster._utils.test.definitions import scoped_definitions_load_context

        src = str(self.root / "src")
        sys.path.insert(0, src)
        try:
            with scoped_definitions_load_context():
                yield dg.load_from_defs_folder(project_root=self.root)
        finally:
            sys.path.remove(src)
            for name in [m for m in sys.modules if m.split(".")[0] == self.module]:
                del sys.modules[name]

    def python(self, code: str) -> subprocess.CompletedProcess:
        """Run Python in the project's environment: for what must import the project's code
        (its definitions, a reconstructable job); :meth:`instance` reads the instance in process."""
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            cwd=self.root,
            env=self.process_env(),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-6000:]
        return result
