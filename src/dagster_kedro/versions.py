"""Which version of each versioned dataset a step loads: the one its own run chain wrote.

Kedro loads a versioned dataset at its newest version unless the catalog pins one
(``load_versions``). Two Dagster runs of one job at the same time each save under their own
version, but without a pin run A's downstream step would load run B's newer version and record
the result as A's. So every step pins:

- datasets its own nodes write: the run's save version (a later node of the step, or Kedro
  reading an output back, must see this run's data even if another run saved since);
- versioned inputs written by earlier steps of the run chain (this run, then its parent, its
  parent's parent: re-execution runs keep the parent's outputs): the version recorded as
  ``kedro/save_version`` on the newest materialization of that dataset in the chain.

Datasets that nothing in the chain wrote (raw versioned inputs, upstream assets not selected in
this run, another component's data) keep Kedro's default: the newest version.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

from dagster_kedro.steps import StepPlan, op_name

DATASET_METADATA = "kedro/dataset"
VERSION_METADATA = "kedro/save_version"


@dataclass(frozen=True)
class PinnedVersions:
    """Kedro ``load_versions`` for one step, and what finding them cost."""

    load_versions: dict[str, str]
    runs_read: int
    """Runs of the chain whose materializations were read (instance queries for events)."""
    milliseconds: float


def run_chain(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Iterable[str]:
    """This run's id, then its parent's, up to the root (lazily: ancestors are read on demand)."""
    yield run.run_id
    parent_id = run.parent_run_id
    while parent_id:
        yield parent_id
        parent = instance.get_run_by_id(parent_id)
        parent_id = parent.parent_run_id if parent else None


def pinned_load_versions(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    plan: StepPlan,
    node_names: list[str],
    save_version: str,
) -> PinnedVersions:
    """``load_versions`` for the step running ``node_names`` of ``plan`` in ``run``."""
    started = time.perf_counter()
    nodes = [plan.snapshot.nodes[name] for name in node_names]
    written = {d for node in nodes for d in node.outputs if plan.snapshot.dataset(d).versioned}
    pins = dict.fromkeys(sorted(written), save_version)
    wanted = {
        d for node in nodes for d in node.inputs
        if d not in written and d in plan.asset_steps and plan.snapshot.dataset(d).versioned
    }
    runs_read = 0
    for run_id in run_chain(instance, run) if wanted else ():
        runs_read += 1
        pins.update(_versions_written(instance, run_id, plan, wanted))
        wanted -= pins.keys()
        if not wanted:
            break
    return PinnedVersions(pins, runs_read, round((time.perf_counter() - started) * 1000, 2))


def _versions_written(instance: dg.DagsterInstance, run_id: str, plan: StepPlan, wanted: set[str]) -> dict[str, str]:
    """dataset -> save version, from the newest materializations of ``wanted`` in one run."""
    producers = {op_name(plan.snapshot, plan.asset_steps[d]) for d in wanted}
    found: dict[str, str] = {}
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, ascending=False
    ).records
    for record in records:
        entry = record.event_log_entry
        if entry.step_key not in producers:
            continue
        metadata = entry.asset_materialization.metadata
        dataset, version = metadata.get(DATASET_METADATA), metadata.get(VERSION_METADATA)
        if dataset is not None and version is not None and dataset.value in wanted:
            found.setdefault(dataset.value, version.value)
    return found
