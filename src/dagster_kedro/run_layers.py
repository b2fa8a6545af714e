"""Runtime params in layers: the YAML's, then what a run adds (its job's params, the run config,
its partition); load versions likewise (the job's, then the run config's). Read where nodes run (the step) and where the pipeline hooks fire (the run
executor), which must agree; both get the layers from the step's ``KedroTarget``.

Dotted keys nest as in ``kedro run --params model.size=3``, in plain Python: a load from state
must not import OmegaConf (or anything of Kedro) only to merge a few dicts.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunLayers:
    """What a run of one component adds to its runtime params, decided when the definitions load."""

    job_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """job name -> the job's ``runtime_params`` from the YAML."""
    job_load_versions: dict[str, dict[str, str]] = field(default_factory=dict)
    """job name -> the job's ``load_versions`` from the YAML (checked against the snapshot)."""
    partitions: Any = None  # partitions.PartitionPlan, or None for an unpartitioned component

    def runtime_params(
        self, job_name: str | None, run_tags: Mapping[str, str], config_overrides: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Runtime params a run adds over the YAML's; later layers win: the job's
        ``runtime_params`` < run config (Launchpad, schedules) < the partition key and window."""
        partition = self.partitions.params_for_run(run_tags) if self.partitions else {}
        return nested_params(self.job_params.get(job_name or "", {}), config_overrides or {}, partition)

    def load_versions(self, job_name: str | None, config_versions: Mapping[str, str]) -> dict[str, str]:
        """Kedro ``load_versions`` the run asks for: the job's, then the run config's (winning)."""
        return {**self.job_load_versions.get(job_name or "", {}), **config_versions}


def nested_params(*sources: Mapping[str, Any]) -> dict[str, Any]:
    """Merge runtime params, later sources winning; a dotted key (``model.size``) sets a nested
    key and a mapping value merges into a mapping already there, as ``OmegaConf.update(...,
    merge=True)`` (what Kedro's ``--params`` uses) does. Lists and other values are replaced."""
    merged: dict[str, Any] = {}
    for source in sources:
        for key, value in source.items():
            *parents, last = str(key).split(".")
            node = merged
            for part in parents:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
            node[last] = _merged(node.get(last), value)
    return merged


def _merged(current: Any, value: Any) -> Any:
    if isinstance(value, Mapping):
        base = dict(current) if isinstance(current, dict) else {}
        for key, item in value.items():
            base[str(key)] = _merged(base.get(str(key)), item)
        return base
    if isinstance(value, tuple):
        return [copy.deepcopy(item) for item in value]
    return copy.deepcopy(value)
