"""One Kedro dataset and its producing node -> the Dagster ``AssetSpec`` they describe.

:func:`default_asset_spec` builds the whole spec: key, deps, IO manager, metadata, kinds, tags,
owners, group, description and code version. The YAML ``translation`` is applied to that final
spec afterwards (``specs.py`` says in which order), with the template variables that
:func:`translation_vars` exposes, the way dagster-dbt and dagster-sling components do. Nothing
here imports project code: everything comes from the snapshot.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_kedro.snapshot import DatasetSnapshot, NodeSnapshot
from dagster_kedro.steps import StepPlan, is_parameter, python_identifier

_STORAGE_KINDS = {"csv", "parquet", "pickle", "json", "excel", "feather", "sql", "yaml", "text"}
LAYER_TAG = "kedro/layer"
RAW_GROUP_SUFFIX = "_raw"  # raw inputs without a layer: group <package>_raw (docs/asset-model.md)


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


def group_name(plan: StepPlan, node: NodeSnapshot) -> str:
    """The node's top-level namespace, else the first registered pipeline holding it, else the package."""
    if node.top_namespace:
        return python_identifier(node.top_namespace)
    if node.registered_in:
        return python_identifier(node.registered_in[0])
    return python_identifier(plan.snapshot.package_name)


def raw_group_name(plan: StepPlan, dataset: DatasetSnapshot) -> str:
    """A raw input's group: its Kedro-Viz layer, else ``<package>_raw``. Not the group of a node
    that reads it: that put a project's raw files in whichever group happened to read them first
    (on spaceflights, ``reporting`` drawn upstream of ``data_processing``)."""
    if dataset.layer:  # a group name may start with a digit ('01_raw'), unlike an op name
        return re.sub(r"[^A-Za-z0-9_]", "_", dataset.layer)
    return f"{python_identifier(plan.snapshot.package_name)}{RAW_GROUP_SUFFIX}"


def reader_index(plan: StepPlan) -> dict[str, list[str]]:
    """Dataset name -> the selected nodes that read it, in run order."""
    readers: dict[str, list[str]] = {}
    for name in plan.snapshot.ordered_node_names():
        for dataset in plan.snapshot.nodes[name].inputs:
            readers.setdefault(dataset, []).append(name)
    return readers


def node_pipelines(plan: StepPlan, node: NodeSnapshot) -> list[str]:
    """Registered pipelines (``__default__`` aside) holding the node; else the selected ones."""
    return node.registered_in or [p for p, names in plan.snapshot.pipelines.items() if node.name in names]


def dataset_uri(plan: StepPlan, dataset: DatasetSnapshot) -> str | None:
    """Where the data lives: a remote URL as configured (credentials redacted at read time), a
    local path made absolute against the project root (``file://`` URI)."""
    if not dataset.filepath:
        return None
    if "://" in dataset.filepath:
        return dataset.filepath
    path = Path(dataset.filepath)
    return (path if path.is_absolute() else Path(plan.snapshot.project_path, path)).as_uri()


def tag_value(value: str) -> str:
    """Dagster tag values allow letters, digits, '-', '_' and '.', at most 63 characters."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", value)[:63]


def asset_code_version(node: NodeSnapshot | None, dataset: DatasetSnapshot) -> str | None:
    """The producing node's code hash combined with the dataset's catalog entry hash. None for a
    raw input (no code of this project computes it) and for a node Python has no source for."""
    if node is None or node.code_hash is None:
        return None
    return hashlib.sha256(f"{node.code_hash}:{dataset.config_hash}".encode()).hexdigest()[:16]


def node_vars(plan: StepPlan, node: NodeSnapshot) -> dict[str, Any]:
    """One node as a template variable (``node``, and each of ``dataset.readers``)."""
    return {  # `call` is how steps rebuild the node: no template var
        **node.model_dump(exclude={"call", "code_hash"}),
        "pipelines": node_pipelines(plan, node),
    }


def translation_vars(plan: StepPlan, dataset: str, readers: Mapping[str, list[str]]) -> dict[str, Any]:
    """What ``{{ ... }}`` in the ``translation`` field can use for one asset; ``readers`` is
    :func:`reader_index` of the plan."""
    node = plan.snapshot.nodes.get(plan.producer.get(dataset, ""))
    info = plan.snapshot.dataset(dataset)
    return {
        "dataset": {
            **info.model_dump(exclude={"config_hash"}),
            "persisted": info.is_persisted,
            "short_type": info.short_type,
            "layer": info.layer,
            "readers": [node_vars(plan, plan.snapshot.nodes[n]) for n in readers.get(dataset, [])],
        },
        "node": node_vars(plan, node) if node else None,
        "project": {
            "package_name": plan.snapshot.package_name,
            "project_name": plan.snapshot.project_name,
            "env": plan.snapshot.env,
        },
    }


def default_asset_spec(
    plan: StepPlan,
    dataset: DatasetSnapshot,
    node: NodeSnapshot | None,
    key: dg.AssetKey,
    deps: list[dg.AssetKey],
    io_manager_key: str | None,
) -> dg.AssetSpec:
    """The whole spec of one dataset's asset, given its key and its upstream assets' keys."""
    block: Mapping[str, Any] = dataset.metadata.get("dagster") or {}
    tags = {python_identifier(t): "" for t in (node.tags if node else [])}
    if dataset.layer:
        tags[LAYER_TAG] = tag_value(dataset.layer)
    spec = dg.AssetSpec(
        key=key,
        description=block.get("description") or dataset.metadata.get("description") or (node.docstring if node else None),
        group_name=block.get("group_name") or (group_name(plan, node) if node else raw_group_name(plan, dataset)),
        kinds={"kedro", *storage_kinds(dataset)},
        metadata=_metadata(plan, dataset, node),
        tags={**tags, **block.get("tags", {})},
        owners=block.get("owners") or None,
        deps=deps,
        code_version=asset_code_version(node, dataset),
    )
    return spec.with_io_manager_key(io_manager_key) if io_manager_key else spec


def _metadata(plan: StepPlan, dataset: DatasetSnapshot, node: NodeSnapshot | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "kedro/dataset_type": dataset.type,
        "kedro/project": plan.snapshot.project_name,
    }
    uri = dataset_uri(plan, dataset)
    if dataset.filepath:
        metadata["kedro/filepath"] = dataset.filepath
    if uri:
        metadata["dagster/uri"] = uri
    if dataset.versioned:
        metadata["kedro/versioned"] = True
    if not dataset.is_persisted:
        metadata["kedro/stored_by"] = (
            "dagster IO manager" if dataset.name in plan.stored_memory else "nothing (memory only)"
        )
    if node is None:
        return metadata
    metadata["kedro/node"] = node.name
    metadata["kedro/pipelines"] = ", ".join(node_pipelines(plan, node))
    if node.function:
        metadata["kedro/function"] = node.function
    if node.source_file and node.source_line:
        metadata["dagster/code_references"] = dg.CodeReferencesMetadataValue(
            code_references=[
                dg.LocalFileCodeReference(
                    file_path=str(Path(plan.snapshot.project_path, node.source_file)),
                    line_number=node.source_line,
                    label=f"Kedro node {node.name}",
                )
            ]
        )
    return metadata
