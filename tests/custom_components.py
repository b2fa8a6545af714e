"""Subclasses of the component that tests load by type name (``custom_components.<Class>``),
as a project would put its own in its package: one overriding ``get_asset_spec``, one ``execute``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg

from dagster_kedro import KedroProjectComponent


class OwnedByNodeTags(KedroProjectComponent):
    """Owners from node tags `team_<name>`, and every raw input in group `raw`."""

    def get_asset_spec(self, dataset, node) -> dg.AssetSpec:
        spec = super().get_asset_spec(dataset, node)
        if node is None:
            return spec.replace_attributes(group_name="raw")
        owners = [f"team:{t.removeprefix('team_')}" for t in node.tags if t.startswith("team_")]
        return spec.replace_attributes(owners=owners or ["team:data"])


class Audited(KedroProjectComponent):
    """Adds the step's node count to every materialization."""

    def execute(self, context: dg.AssetExecutionContext, ref: Any, inputs: Mapping[str, Any]) -> Iterator[Any]:
        for event in super().execute(context, ref, inputs):
            if isinstance(event, dg.Output):
                event = event.with_metadata({**event.metadata, "audited/nodes": len(ref.step.nodes)})
            yield event
