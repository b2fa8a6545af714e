"""Kedro datasets and their producing nodes -> Dagster ``AssetSpec`` (before user translation).

The ``translation`` YAML field then rewrites these specs with the template variables that
:func:`translation_vars` exposes, the way dagster-sling and dagster-dbt components do.
"""

from __future__ import annotations

import re
from typing import Any

import dagster as dg

from dagster_kedro.snapshot import DatasetSnapshot, NodeSnapshot
from dagster_kedro.steps import StepPlan, is_parameter, python_identifier

_STORAGE_KINDS = {"csv", "parquet", "pickle", "json", "excel", "feather", "sql", "yaml", "text"}


def asset_key(dataset: str, key_prefix: list[str]) -> dg.AssetKey:
    """``key_prefix`` + the dataset name split on '.' (namespaces become key parts)."""
    return dg.AssetKey([*key_prefix, *(python_identifier(p) for p in dataset.split("."))])


def storage_kinds(dataset: DatasetSnapshot) -> set[str]:
    """'pandas.CSVDataset' -> {'pandas', 'csv'}; Dagster shows these as kind badges."""
    parts = dataset.short_type.split(".")
    stem = re.sub(r"dataset$", "", parts[-1].lower()) or "memory"
    kinds = {stem if stem in _STORAGE_KINDS else python_identifier(stem)}
    if len(parts) > 1:
        kinds.add(python_identifier(parts[0].lower()))
    return kinds


def upstream_datasets(plan: StepPlan, dataset: str) -> list[str]:
    """Asset datasets that ``dataset`` is computed from, looking through in-step memory data."""
    assets = plan.asset_steps
    result: dict[str, None] = {}
    pending, seen = [plan.producer[dataset]], set()
    while pending:
        node = plan.snapshot.nodes[pending.pop()]
        if node.name in seen:
            continue
        seen.add(node.name)
        for name in node.inputs:
            if is_parameter(name):
                continue
            if name in assets or name in plan.external:
                result[name] = None
            elif name in plan.producer:
                pending.append(plan.producer[name])
    return list(result)


def group_name(plan: StepPlan, node: NodeSnapshot | None) -> str:
    """The node's top-level namespace, else the first registered pipeline holding it, else the package."""
    if node is not None and node.top_namespace:
        return python_identifier(node.top_namespace)
    if node is not None and node.registered_in:
        return python_identifier(node.registered_in[0])
    return python_identifier(plan.snapshot.package_name)


def translation_vars(plan: StepPlan, dataset: str) -> dict[str, Any]:
    """What ``{{ ... }}`` in the ``translation`` field can use for one asset."""
    node = plan.snapshot.nodes.get(plan.producer.get(dataset, ""))
    info = plan.snapshot.dataset(dataset)
    return {
        "dataset": {**info.model_dump(), "persisted": info.is_persisted, "short_type": info.short_type},
        "node": node.model_dump(exclude={"call"}) if node else None,  # how steps rebuild it: no template var
        "project": {
            "package_name": plan.snapshot.package_name,
            "project_name": plan.snapshot.project_name,
            "env": plan.snapshot.env,
        },
    }


def base_asset_spec(plan: StepPlan, dataset: str, key_prefix: list[str]) -> dg.AssetSpec:
    info = plan.snapshot.dataset(dataset)
    node = plan.snapshot.nodes.get(plan.producer.get(dataset, ""))
    metadata: dict[str, Any] = {
        "kedro/dataset_type": info.type,
        "kedro/project": plan.snapshot.project_name,
    }
    if info.filepath:
        metadata["kedro/filepath"] = info.filepath
    if info.versioned:
        metadata["kedro/versioned"] = True
    if not info.is_persisted:
        metadata["kedro/stored_by"] = (
            "dagster IO manager" if dataset in plan.stored_memory else "nothing (memory only)"
        )
    if node is not None:
        metadata["kedro/node"] = node.name
        if node.source_file and node.source_line:
            metadata["dagster/code_references"] = dg.CodeReferencesMetadataValue(
                code_references=[
                    dg.LocalFileCodeReference(
                        file_path=_absolute(plan, node.source_file),
                        line_number=node.source_line,
                        label=f"Kedro node {node.name}",
                    )
                ]
            )
    description = info.metadata.get("description") or (node.docstring if node else None)
    tags = {python_identifier(t): "" for t in (node.tags if node else [])}
    reader = next((n for n in plan.snapshot.nodes.values() if dataset in n.inputs), None)
    return dg.AssetSpec(
        key=asset_key(dataset, key_prefix),
        description=description,
        group_name=group_name(plan, node or reader),
        kinds={"kedro", *storage_kinds(info)},
        metadata=metadata,
        tags=tags,
        deps=[asset_key(d, key_prefix) for d in upstream_datasets(plan, dataset)] if node else [],
    )


def _absolute(plan: StepPlan, path: str) -> str:
    from pathlib import Path

    return str(Path(plan.snapshot.project_path, path))
