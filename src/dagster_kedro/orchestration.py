"""Names and jobs: how steps and pipelines show up in Dagster's job list.

Names are derived from the Kedro package name so that several Kedro projects can live in one
code location without clashing (op names must be unique across a whole location).
"""

from __future__ import annotations

import dagster as dg

from dagster_kedro.snapshot import ProjectSnapshot
from dagster_kedro.steps import Step, StepPlan, python_identifier


def op_name(snapshot: ProjectSnapshot, step: Step) -> str:
    return f"{python_identifier(snapshot.package_name)}__{step.name}"


def default_job_name(snapshot: ProjectSnapshot, pipeline: str) -> str:
    """``<package>__<pipeline>``; ``__default__`` reads as ``default``."""
    readable = "default" if pipeline == "__default__" else pipeline
    return f"{python_identifier(snapshot.package_name)}__{python_identifier(readable)}"


def default_jobs(
    snapshot: ProjectSnapshot, plan: StepPlan, keys: dict[str, dg.AssetKey]
) -> list[dg.UnresolvedAssetJobDefinition]:
    """One asset job per selected pipeline, over the assets its nodes write."""
    jobs = []
    for pipeline, node_names in snapshot.pipelines.items():
        written = {d for n in node_names for d in snapshot.nodes[n].outputs if d in keys}
        jobs.append(
            dg.define_asset_job(
                default_job_name(snapshot, pipeline),
                selection=dg.AssetSelection.assets(*(keys[d] for d in sorted(written))),
                description=f"Kedro pipeline '{pipeline}' of {snapshot.project_name}.",
                tags={"kedro/project": snapshot.package_name, "kedro/pipeline": pipeline},
            )
        )
    return jobs
