"""``concurrency:``: keep overlapping runs of one Kedro project off each other's files.

Versioned datasets are safe under concurrent runs (each run saves and loads its own version,
see :mod:`dagster_kedro.versions`); unversioned ones are one file that every run overwrites, so
two overlapping runs (a schedule tick during a backfill, two launches) can read each other's
data. Sharing them is the user's choice: by default runs overlap as they always did.

With ``overlap: wait`` or ``overlap: fail`` every step of a run first claims a run-wide slot of
a Dagster concurrency pool named ``key`` (limit 1 unless the pool was given another), held by
the run for its whole life. The claim goes through the instance's own atomic slot storage, so it
holds for every way a run starts: ``dg launch``, in-process runs, the daemon's queue, any
executor. A step of another run then waits for the slot (``wait``) or fails before running any
node (``fail``). The run's executor (``run_hooks``) frees the slot when the run ends, however it
ends; if the run worker itself dies, the next claimant frees slots held by finished runs, so a
run killed without being marked failed keeps the slot until Dagster's run monitoring (or the
UI's terminate) ends it.

The component's jobs also carry the run tag :data:`RUN_TAG` with the key, so that the daemon's
QueuedRunCoordinator can hold overlapping runs in the queue (``tag_concurrency_limits``) instead
of starting them to wait.
"""

from __future__ import annotations

import time
from typing import Literal

import dagster as dg

from dagster_kedro.errors import KedroComponentError, SuggestsFieldNames

RUN_TAG = "dagster-kedro/concurrency"
SLOT_STEP = "__kedro_run__"  # one slot per run, whichever step claims it
_POLL_SECONDS = 0.5


class ConcurrencySpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """Whether runs of this component may overlap with each other (or with other components
    sharing ``key``)."""

    overlap: Literal["allow", "wait", "fail"] = "allow"
    key: str | None = None
    wait_timeout: float = 3600.0

    def pool(self, package_name: str) -> str:
        return self.key or f"kedro/{package_name}"


def run_tags(spec: ConcurrencySpec | None, package_name: str) -> dict[str, str]:
    """Tags of the component's jobs, for ``tag_concurrency_limits`` of the run queue."""
    if spec is None or spec.overlap == "allow":
        return {}
    return {RUN_TAG: spec.pool(package_name)}


def claim_run_slot(context: dg.AssetExecutionContext, spec: ConcurrencySpec | None, package_name: str) -> None:
    """Hold the run's slot of the pool before any node runs; wait or fail while another run has it."""
    if spec is None or spec.overlap == "allow":
        return
    key = spec.pool(package_name)
    storage = context.instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        raise KedroComponentError(
            f"concurrency.overlap '{spec.overlap}' needs Dagster concurrency pools, which this instance's "
            f"storage ({type(storage).__name__}) does not support.",
            field="concurrency.overlap",
            value=spec.overlap,
            fix="use a sqlite or PostgreSQL/MySQL instance storage (run `dagster instance migrate`), or overlap: allow.",
        )
    if storage.get_concurrency_info(key).slot_count == 0:
        storage.set_concurrency_slots(key, 1)
    deadline = time.monotonic() + spec.wait_timeout
    waiting_for: set[str] = set()
    while not storage.claim_concurrency_slot(key, context.run_id, SLOT_STEP).is_claimed:
        info = storage.get_concurrency_info(key)
        holders = (info.active_run_ids | info.assigned_run_ids) - {context.run_id}
        if _free_finished(context.instance, holders):
            continue
        if spec.overlap == "fail" or time.monotonic() > deadline:
            storage.free_concurrency_slot_for_step(context.run_id, SLOT_STEP)  # leave the queue
            raise KedroComponentError(
                f"run {context.run_id} overlaps run(s) {sorted(holders)} of concurrency pool '{key}'"
                + (f" (waited {spec.wait_timeout:g} s)" if spec.overlap == "wait" else "")
                + "; no node ran.",
                field="concurrency.overlap",
                value=spec.overlap,
                fix="re-launch when the other run has finished, use overlap: wait, or overlap: allow if "
                "these runs may share unversioned data.",
            )
        if holders != waiting_for:
            context.log.info(f"Waiting for run(s) {sorted(holders)} to finish (concurrency pool '{key}').")
            waiting_for = holders
        time.sleep(_POLL_SECONDS)


def release_run_slot(instance: dg.DagsterInstance, run_id: str, specs: list[ConcurrencySpec | None]) -> None:
    """Free the run's slot when the run ends (called by the run's executor, in the run worker)."""
    storage = instance.event_log_storage
    if any(s is not None and s.overlap != "allow" for s in specs) and storage.supports_global_concurrency_limits:
        storage.free_concurrency_slot_for_step(run_id, SLOT_STEP)


def _free_finished(instance: dg.DagsterInstance, run_ids: set[str]) -> bool:
    """Free the slots of runs that have ended (or are gone); whether any was freed."""
    from dagster._core.storage.dagster_run import FINISHED_STATUSES

    if not run_ids:
        return False
    alive = {
        record.dagster_run.run_id
        for record in instance.get_run_records(dg.RunsFilter(run_ids=sorted(run_ids)))
        if record.dagster_run.status not in FINISHED_STATUSES
    }
    for run_id in run_ids - alive:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return bool(run_ids - alive)
