"""dagster-kedro: run Kedro projects on Dagster, Components-native.

The public names load on first use (PEP 562), not on ``import dagster_kedro``: Kedro imports
:mod:`dagster_kedro.kedro_cli` for every ``kedro`` command, and that must not import dagster
(about 1.7 s). ``dir()`` lists them, so dg's registry scan (``dagster_dg_cli.registry_modules``)
still finds :class:`KedroProjectComponent`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dagster_kedro.component import KedroProjectComponent
    from dagster_kedro.project import read_project
    from dagster_kedro.run_config import KedroRunConfig
    from dagster_kedro.run_executor import DEFAULT_EXECUTOR, kedro_executor
    from dagster_kedro.snapshot import ProjectSnapshot

__version__ = "0.1.0"

_HOMES = {
    "DEFAULT_EXECUTOR": "dagster_kedro.run_executor",
    "KedroProjectComponent": "dagster_kedro.component",
    "KedroRunConfig": "dagster_kedro.run_config",
    "ProjectSnapshot": "dagster_kedro.snapshot",
    "kedro_executor": "dagster_kedro.run_executor",
    "read_project": "dagster_kedro.project",
}

__all__ = [
    "DEFAULT_EXECUTOR",
    "KedroProjectComponent",
    "KedroRunConfig",
    "ProjectSnapshot",
    "kedro_executor",
    "read_project",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'dagster_kedro' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
