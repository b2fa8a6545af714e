"""A partial-save marker on an asset, written before Kedro starts saving its dataset.

Kedro's saves are not atomic: a CSV or a pickle is written in place, so a node whose save
raises, or a step process killed mid-save (OOM killer, ``kill -9``, a lost pod), leaves a
truncated file at the dataset's path, while the asset's latest materialization still shows an
earlier run's data as current. Nothing can be emitted after a SIGKILL, so the marker goes first:
``before_dataset_saved`` (a Kedro dataset hook, registered on the step's own hook manager)
writes an ``AssetObservation`` with ``kedro/partial_save`` straight into the run's event log;
the materialization that follows a complete save supersedes it. An asset whose latest event is
this observation, newer than its latest materialization, has a file that may be partial.

(Dagster's ``AssetMaterializationFailure`` events would be the natural marker, but open-source
Dagster 1.13 storages drop them: ``can_store_asset_failure_events`` is false.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from kedro.framework.hooks import hook_impl

from dagster_kedro.saved_values import replace_step_plugin
from dagster_kedro.steps import StepPlan

PARTIAL_SAVE_METADATA = "kedro/partial_save"
_PLUGIN_NAME = "dagster_kedro.partial_save_markers"


class PartialSaveMarkers:
    """Kedro hooks of one step: a marker on each persisted asset just before it is saved."""

    def __init__(self, context: dg.AssetExecutionContext, plan: StepPlan, keys: Mapping[str, dg.AssetKey], save_version: str):
        self._context = context
        self._save_version = save_version
        self._keys = {
            dataset: key
            for dataset, key in keys.items()
            if plan.snapshot.dataset(dataset).is_persisted and key in context.selected_asset_keys
        }
        self._plan = plan

    def replace_in(self, hook_manager: Any) -> None:
        """Register on the session's hook manager in place of the previous step's markers."""
        replace_step_plugin(hook_manager, _PLUGIN_NAME, self)

    @hook_impl
    def before_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        key = self._keys.get(dataset_name)
        if key is not None:
            write_marker(self._context, key, self._plan, dataset_name, node.name, self._save_version)


def write_marker(
    context: dg.AssetExecutionContext, key: dg.AssetKey, plan: StepPlan, dataset_name: str, node_name: str, save_version: str
) -> None:
    """The marker of one save that is about to start, written to the run's event log at once (not
    buffered until the op yields: a kill would lose it). Called by the step's Kedro hook, and for
    a project run by its own interpreter by ``pipes_markers`` when that interpreter asks."""
    info = plan.snapshot.dataset(dataset_name)
    metadata: dict[str, Any] = {PARTIAL_SAVE_METADATA: True, "kedro/node": node_name, "kedro/dataset": dataset_name}
    if info.filepath:
        metadata["kedro/filepath"] = info.filepath
    if info.versioned:
        metadata["kedro/save_version"] = save_version
    observation = dg.AssetObservation(
        asset_key=key,
        description=f"Kedro started saving '{dataset_name}' in run {context.run_id}. Unless a "
        "materialization of this run follows, the save failed or was interrupted and the data at "
        "its path may be partial.",
        metadata=metadata,
    )
    from dagster._core.events import DagsterEvent

    DagsterEvent.asset_observation(context.get_step_execution_context(), observation)
