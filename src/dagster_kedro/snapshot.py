"""The plain, serializable picture of a Kedro project that Definitions are built from.

Everything Dagster needs at load time (pipelines, nodes, datasets, where the code lives) is
captured here as pydantic models, so that building Definitions never touches Kedro's
process-wide state and the snapshot can be written to disk (component state) or produced by
another Python interpreter (``python -m dagster_kedro``) and read back as JSON.
"""

from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SNAPSHOT_FORMAT_VERSION = 5

# Dataset types that hold data only in memory: their data cannot be re-read from disk.
MEMORY_DATASET_TYPES = frozenset(
    {
        "MemoryDataset",
        "kedro.io.MemoryDataset",
        "kedro.io.memory_dataset.MemoryDataset",
        "SharedMemoryDataset",
        "kedro.io.SharedMemoryDataset",
        "kedro.io.shared_memory_dataset.SharedMemoryDataset",
    }
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatasetSnapshot(_Frozen):
    """A catalog dataset as configured (factory patterns resolved); no data is loaded."""

    name: str
    type: str = Field(description="Kedro dataset type, e.g. 'pandas.CSVDataset'.")
    filepath: str | None = None
    versioned: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)
    pandera_schema: str | dict[str, Any] | None = Field(
        None,
        description="The catalog's metadata.pandera.schema as a reference (a Python path, a file, or "
        "pandera's serialization): validated by an asset check in the step (pandera_checks).",
    )
    config_hash: str | None = Field(
        None,
        description="sha256 (16 hex digits) of the resolved catalog entry, `metadata` and "
        "credentials references left out: part of the asset's code version.",
    )

    @property
    def layer(self) -> str | None:
        """The Kedro-Viz layer (catalog ``metadata.kedro-viz.layer``), if any."""
        viz = self.metadata.get("kedro-viz")
        layer = viz.get("layer") if isinstance(viz, dict) else None
        return str(layer) if layer is not None else None

    @property
    def is_persisted(self) -> bool:
        """Whether a later step (or process) can load this dataset back from storage."""
        return self.type not in MEMORY_DATASET_TYPES

    @property
    def short_type(self) -> str:
        """'pandas.CSVDataset' for 'kedro_datasets.pandas.CSVDataset' and friends."""
        return self.type.removeprefix("kedro_datasets.").removeprefix("kedro.io.")


class NodeCall(_Frozen):
    """Enough to rebuild a Kedro ``Node`` without running ``register_pipelines()``: its function
    by import path, confirmed by a hash of its source, and ``Node``'s own arguments as given
    (inputs and outputs keep their shape: a dict maps dataset names to function arguments)."""

    func_module: str
    func_qualname: str
    source_hash: str = Field(description="sha256 (16 hex digits) of the function's source text.")
    inputs: str | list[str] | dict[str, str] | None = None
    outputs: str | list[str] | dict[str, str] | None = None
    name: str | None = Field(None, description="The name given to Node(): None for an unnamed node.")
    confirms: str | list[str] | None = None


class ParameterType(_Frozen):
    """A typed ``params:`` input that Kedro validates (a pydantic model or a dataclass)."""

    type_module: str
    type_qualname: str
    optional: bool = False


class NodeSnapshot(_Frozen):
    """A Kedro node: what it reads and writes and where its code lives."""

    name: str
    func_name: str
    namespace: str | None = None
    tags: list[str] = Field(default_factory=list)
    inputs: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    source_file: str | None = Field(None, description="Path relative to the project root.")
    source_line: int | None = None
    docstring: str | None = None
    function: str | None = Field(None, description="'<module>.<qualname>' of the node's function.")
    code_hash: str | None = Field(
        None,
        description="sha256 (16 hex digits) of the function's source, the sources of the project "
        "functions it refers to and the parameter values it reads; None without source.",
    )
    registered_in: list[str] = Field(
        default_factory=list,
        description="Registered pipelines (other than __default__) that contain this node.",
    )
    call: NodeCall | None = Field(
        None,
        description="How a step rebuilds the node; None when it cannot be rebuilt from an import "
        "path (a lambda, a partial, a nested function, a callable object): steps then take it "
        "from the registered pipelines.",
    )

    @property
    def top_namespace(self) -> str | None:
        return self.namespace.split(".")[0] if self.namespace else None


class ProjectSnapshot(_Frozen):
    """A Kedro project read with one (env, conf_source, runtime_params) configuration."""

    format_version: int = SNAPSHOT_FORMAT_VERSION
    project_path: str
    package_name: str
    project_name: str
    kedro_version: str
    env: str | None = None
    pipelines: dict[str, list[str]] = Field(
        description="Requested pipeline name -> its node names in topological order."
    )
    registered: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Every registered pipeline name -> its node names: what the pipeline hooks' "
        "run_params name for a run (kedro run --pipelines P when a run covers P exactly), known "
        "without the project's register_pipelines().",
    )
    nodes: dict[str, NodeSnapshot]
    datasets: dict[str, DatasetSnapshot] = Field(
        description="Every dataset named by a selected node; undeclared ones as MemoryDataset."
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="The parameters as the project's nodes see them for this env (conf files plus the "
        "component's runtime_params), with JSON values only: the defaults of the typed run config "
        "(run_config); a value JSON cannot hold (a custom resolver's object) is left out.",
    )
    parameter_types: dict[str, ParameterType] | None = Field(
        default_factory=dict,
        description="Parameter key -> the type Kedro validates it against, from the type hints of "
        "every registered pipeline's nodes; None when a type has no import path (steps then let "
        "Kedro validate against the registered pipelines).",
    )
    fingerprint: str = Field(
        "", description="Hash of the project's code, conf and pyproject.toml when it was read."
    )

    def dataset(self, name: str) -> DatasetSnapshot:
        return self.datasets.get(name) or DatasetSnapshot(name=name, type="MemoryDataset")

    def ordered_node_names(self) -> list[str]:
        """Nodes of all selected pipelines, in an order valid for every pipeline."""
        producers = {out: n.name for n in self.nodes.values() for out in n.outputs}
        sorter: TopologicalSorter[str] = TopologicalSorter()
        for names in self.pipelines.values():
            for name in names:
                node = self.nodes[name]
                sorter.add(name, *(producers[d] for d in node.inputs if d in producers))
        return list(sorter.static_order())

    def to_json(self) -> str:
        return self.model_dump_json(indent=1)

    @classmethod
    def from_json(cls, text: str) -> ProjectSnapshot:
        return cls.model_validate_json(text)
