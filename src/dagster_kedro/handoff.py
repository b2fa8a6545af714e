"""Memory data that crosses the steps of a project run by its own interpreter, as files of the run.

In process, a ``MemoryDataset`` read by another step goes through the IO manager, which pickles
the value in the code location's interpreter. A project with ``python_executable`` runs its nodes
in another interpreter, whose types (a pandas 3 DataFrame) the code location may not even be able
to unpickle: so the value never comes here. The project side pickles it, in the project's
interpreter, to a file of the run's handoff folder, and the consuming step's runner (the same
interpreter) unpickles it from there; the code location only chooses the paths.

The folder is ``<instance storage>/dagster_kedro/handoff/<run_id>/`` (beside the pickles of
Dagster's filesystem IO manager, so a deployment that shares one shares the other), one
``<dataset>.pickle`` per value. A step looks for an input in its own run's folder, then in its
parent run's and up the re-execution chain (a re-execution from failure skips the steps that
succeeded: their outputs are in the parent's folder), and last in the folder of the run that holds
the asset's newest materialization (for this partition), as the IO manager would read the asset's
newest value. The folders are kept as the IO manager keeps its pickles: delete those of runs that
will not be re-executed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

import dagster as dg

from dagster_kedro.errors import KedroPipelineError
from dagster_kedro.versions import run_chain


def run_folder(instance: dg.DagsterInstance, run_id: str) -> Path:
    """The handoff folder of one run (created by the project side when it writes the first value)."""
    return Path(instance.storage_directory()) / "dagster_kedro" / "handoff" / run_id


def value_path(instance: dg.DagsterInstance, run_id: str, dataset: str) -> Path:
    return run_folder(instance, run_id) / f"{quote(dataset, safe='')}.pickle"


def output_paths(context: dg.AssetExecutionContext, datasets: Iterable[str]) -> dict[str, str]:
    """dataset -> where the step's runner pickles the value its node returned."""
    return {d: str(value_path(context.instance, context.run_id, d)) for d in datasets}


def input_paths(
    context: dg.AssetExecutionContext, datasets: Iterable[str], keys: Mapping[str, dg.AssetKey]
) -> dict[str, str]:
    """dataset -> the file the step's runner unpickles it from: the run chain's newest, else that of
    the run holding the asset's newest materialization; an error naming the asset when none has it."""
    found: dict[str, str] = {}
    wanted = list(datasets)
    for run_id in run_chain(context.instance, context.run) if wanted else ():
        for dataset in [d for d in wanted if value_path(context.instance, run_id, d).exists()]:
            found[dataset] = str(value_path(context.instance, run_id, dataset))
            wanted.remove(dataset)
        if not wanted:
            return found
    for dataset in wanted:
        run_id = _newest_materialization_run(context, keys[dataset])
        path = value_path(context.instance, run_id, dataset) if run_id else None
        if path is None or not path.exists():
            last = f"nor in that of run {run_id}, which materialized it last" if run_id else "and it was never materialized"
            raise KedroPipelineError(
                f"the in-memory dataset '{dataset}' (asset {keys[dataset].to_user_string()}) that this step reads "
                f"is in no handoff folder of this run's re-execution chain, {last} (the folders are under "
                f"{run_folder(context.instance, context.run_id).parent}). Materialize "
                f"{keys[dataset].to_user_string()} in the same run, or declare '{dataset}' in the catalog."
            )
        found[dataset] = str(path)
    return found


def _newest_materialization_run(context: dg.AssetExecutionContext, key: dg.AssetKey) -> str | None:
    partitions = [context.partition_key] if context.has_partition_key else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=partitions), limit=1
    ).records
    return records[0].event_log_entry.run_id if records else None
