"""What a run adds to a Kedro project's runtime params beyond the YAML's: its job's params, its
partition. Registered by ``orchestration`` while the definitions build; read where nodes run (the
step) and where the pipeline hooks fire (the executor), which must agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# KedroTarget -> what a run of that target adds to its runtime params (job params, partitions).
RUN_LAYERS: dict[Any, RunLayers] = {}


@dataclass
class RunLayers:
    job_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    partitions: Any = None  # partitions.PartitionPlan


def run_runtime_params(
    target: Any, job_name: str | None, run_tags: Mapping[str, str], config_overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Runtime params a run adds over the YAML's: the job's, the run config's, the partition's.

    Later layers win: job ``runtime_params`` < run config (Launchpad, schedules) < the partition
    key and window of a partitioned run.
    """
    from dagster_kedro.kedro_runtime import nested_params

    layers = RUN_LAYERS.get(target)
    if layers is None:
        return dict(config_overrides or {})
    partition = layers.partitions.params_for_run(run_tags) if layers.partitions else {}
    return nested_params(layers.job_params.get(job_name or "", {}), config_overrides or {}, partition)
