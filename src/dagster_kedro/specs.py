"""The spec stage: every dataset's final ``AssetSpec``, the YAML ``translation`` applied last.

Keys come first, because deps must name the *translated* keys of upstream datasets. The stage
therefore walks the datasets upstream first (raw inputs, then the outputs of each node in run
order) and, for each one:

1. asks the component's ``get_asset_spec(dataset, node)`` for the whole spec: its key
   (``key_prefix`` + name, or the ``inputs`` mapping), its deps (the final keys of its upstream
   datasets, already known), the IO manager, metadata, kinds, tags and code version;
2. applies ``translation`` to that spec, once. The result is final: a ``key``, ``deps`` or any
   other attribute set in YAML is kept, and the final key is what downstream deps name.

A raw input mapped through ``inputs`` belongs to another component: its key is the mapped key
and ``translation`` is not applied to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_kedro.errors import KedroComponentError
from dagster_kedro.snapshot import DatasetSnapshot, NodeSnapshot
from dagster_kedro.steps import StepPlan
from dagster_kedro.translation import (
    asset_key,
    default_asset_spec,
    reader_index,
    translation_vars,
    upstream_datasets,
)

STORED_BY = "kedro/stored_by"
HANDOFF = "the run's handoff folder (python_executable)"
GetAssetSpec = Callable[[DatasetSnapshot, NodeSnapshot | None], dg.AssetSpec]
Translation = Callable[[dg.AssetSpec, Any], dg.AssetSpec]


class SpecStage:
    """Builds the specs of one plan; holds the final keys found so far (for deps)."""

    def __init__(
        self, plan: StepPlan, key_prefix: list[str], inputs: dict[str, dg.AssetKey], io_manager_key: str | None
    ):
        self.plan = plan
        self.key_prefix = key_prefix
        self.inputs = inputs
        self.io_manager_key = io_manager_key
        self.keys: dict[str, dg.AssetKey] = {}

    def ordered_datasets(self) -> list[str]:
        """Asset datasets, every one after the datasets it is computed from."""
        assets = set(self.plan.asset_steps)
        produced = [
            d for name in self.plan.snapshot.ordered_node_names()
            for d in self.plan.snapshot.nodes[name].outputs if d in assets
        ]
        return [*self.plan.external, *produced]

    def default_spec(self, dataset: DatasetSnapshot, node: NodeSnapshot | None) -> dg.AssetSpec:
        """What ``get_asset_spec`` returns unless a subclass overrides it."""
        name = dataset.name
        key = self.inputs.get(name) or asset_key(name, self.key_prefix)
        deps = [self.keys[d] for d in upstream_datasets(self.plan, name)] if node else []
        if name not in self.plan.stored_memory:
            return default_asset_spec(self.plan, dataset, node, key, deps, None)
        spec = default_asset_spec(self.plan, dataset, node, key, deps, self.io_manager_key)
        # no IO manager: a project run by its own interpreter (handoff)
        return spec if self.io_manager_key else spec.merge_attributes(metadata={STORED_BY: HANDOFF})

    def build(self, get_asset_spec: GetAssetSpec, translation: Translation | None) -> dict[str, dg.AssetSpec]:
        snapshot = self.plan.snapshot
        specs = {}
        readers = reader_index(self.plan) if translation is not None else {}
        for name in self.ordered_datasets():
            node = snapshot.nodes.get(self.plan.producer.get(name, ""))
            spec = get_asset_spec(snapshot.dataset(name), node)
            if translation is not None and name not in self.inputs:
                spec = translation(spec, translation_vars(self.plan, name, readers))
            specs[name] = spec
            self.keys[name] = spec.key
        return specs


@contextmanager
def spec_stage(owner: Any, stage: SpecStage) -> Iterator[SpecStage]:
    """``owner``'s default ``get_asset_spec`` builds with ``stage`` while the block runs."""
    owner._spec_stage = stage
    try:
        yield stage
    finally:
        del owner._spec_stage


def check_step_inputs(
    specs: dict[str, dg.AssetSpec], assets: Sequence[str], stored_inputs: Sequence[str], source: Path | None
) -> None:
    """A step receives memory data of other steps through its asset deps: a ``deps`` override
    that drops one leaves the step without the value it must pass to its node."""
    deps = {dep.asset_key for d in assets for dep in specs[d].deps}
    for dataset in stored_inputs:
        key = specs[dataset].key.to_user_string()
        if specs[dataset].key not in deps:
            raise KedroComponentError(
                f"the deps of {[specs[d].key.to_user_string() for d in assets]} no longer include "
                f"'{key}': the memory dataset '{dataset}' that their step reads through the IO manager.",
                source=source,
                field="translation.deps",
                value=sorted(k.to_user_string() for k in deps),
                fix=f"keep '{key}' in the deps you set, or declare '{dataset}' in the catalog (persisted "
                "data is read back from storage, not passed between steps).",
            )
