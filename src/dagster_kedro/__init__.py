"""dagster-kedro: run Kedro projects on Dagster, Components-native."""

from dagster_kedro.component import KedroProjectComponent
from dagster_kedro.project import read_project
from dagster_kedro.run_config import KedroRunConfig
from dagster_kedro.run_executor import DEFAULT_EXECUTOR, kedro_executor
from dagster_kedro.snapshot import ProjectSnapshot

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_EXECUTOR",
    "KedroProjectComponent",
    "KedroRunConfig",
    "ProjectSnapshot",
    "kedro_executor",
    "read_project",
]
