"""Schedules and sensors for the component's jobs, declared in YAML and validated at load.

A schedule is a cron for one job (Dagster's ``ScheduleDefinition``; for a partitioned job each
tick runs the last complete time window, or every key of a static or dynamic set). A
sensor watches the files of Kedro catalog datasets (typically raw inputs) and runs a job when
one of them changes: Dagster's model for "new data landed" when the data is not produced by
Dagster itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import dagster as dg
from dagster.components.resolved.model import Resolver

from dagster_kedro.errors import KedroComponentError, SuggestsFieldNames, did_you_mean
from dagster_kedro.orchestration import JobBuild, Orchestration


class ScheduleSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """A cron schedule for one of the component's jobs."""

    name: str
    job: str
    cron_schedule: Annotated[
        str,
        Resolver.default(description="Standard 5-field cron, e.g. '0 3 * * *'.", examples=["0 3 * * *"]),
    ]
    execution_timezone: Annotated[
        str | None,
        Resolver.default(description="IANA time zone of the cron (default UTC).", examples=["Europe/Paris"]),
    ] = None
    runtime_params: dict[str, Any] = {}
    tags: dict[str, str] = {}
    default_status: Literal["running", "stopped"] = "stopped"
    description: str | None = None


class SensorSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """Runs a job when the file of one of the named catalog datasets changes."""

    name: str
    job: str
    datasets: Annotated[
        list[str],
        Resolver.default(
            description="Catalog datasets with a local filepath (usually raw inputs) to watch.",
            examples=[["companies", "shuttles"]],
        ),
    ]
    minimum_interval_seconds: int = 30
    runtime_params: dict[str, Any] = {}
    tags: dict[str, str] = {}
    default_status: Literal["running", "stopped"] = "stopped"
    description: str | None = None


def run_config_for(orchestration: Orchestration, runtime_params: dict[str, Any]) -> dict[str, Any]:
    """Run config carrying runtime params to the project's ``kedro_<package>`` resource."""
    if not runtime_params:
        return {}
    key = f"kedro_{orchestration.snapshot.package_name}"  # run_config.RunConfigSpec.resource_key
    return {"resources": {key: {"config": {"runtime_params": dict(runtime_params)}}}}


def _job_for(spec: Any, where: str, jobs: dict[str, JobBuild], orchestration: Orchestration) -> JobBuild:
    if spec.job not in jobs:
        raise KedroComponentError(
            f"'{spec.name}' targets job '{spec.job}', which this component does not define.",
            source=orchestration.source,
            field=f"{where}.job",
            value=spec.job,
            fix=f"use one of {sorted(jobs)}." + did_you_mean(spec.job, sorted(jobs)),
        )
    return jobs[spec.job]


def _status(value: str, kind: Any) -> Any:
    return kind.RUNNING if value == "running" else kind.STOPPED


def build_schedules(
    specs: list[ScheduleSpec], jobs: dict[str, JobBuild], orchestration: Orchestration
) -> list[Any]:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from dagster._utils.schedules import is_valid_cron_schedule

    source, schedules, seen = orchestration.source, [], set()
    for index, spec in enumerate(specs):
        where = f"schedules[{index}]"
        if spec.name in seen:
            raise KedroComponentError(
                f"schedule name '{spec.name}' is used twice.", source=source, field=f"{where}.name",
                value=spec.name, fix="give every schedule a name of its own.",
            )
        seen.add(spec.name)
        job = _job_for(spec, where, jobs, orchestration)
        if not is_valid_cron_schedule(spec.cron_schedule):
            raise KedroComponentError(
                f"schedule '{spec.name}': '{spec.cron_schedule}' is not a valid cron schedule.",
                source=source,
                field=f"{where}.cron_schedule",
                value=spec.cron_schedule,
                fix="use 5 fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'.",
            )
        if spec.execution_timezone:
            try:
                ZoneInfo(spec.execution_timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise KedroComponentError(
                    f"schedule '{spec.name}': unknown time zone '{spec.execution_timezone}'.",
                    source=source,
                    field=f"{where}.execution_timezone",
                    value=spec.execution_timezone,
                    fix="use an IANA time zone name such as 'UTC' or 'Europe/Paris'.",
                ) from None
        tags = {"kedro/project": orchestration.snapshot.package_name, **spec.tags}
        if job.partitioned:
            schedules.append(_partitioned_schedule(spec, job, orchestration, tags))
            continue
        schedules.append(
            dg.ScheduleDefinition(
                name=spec.name,
                job=job.job,
                cron_schedule=spec.cron_schedule,
                execution_timezone=spec.execution_timezone,
                run_config=run_config_for(orchestration, spec.runtime_params),
                tags=tags,
                default_status=_status(spec.default_status, dg.DefaultScheduleStatus),
                description=spec.description or f"Runs {spec.job} on '{spec.cron_schedule}'.",
            )
        )
    return schedules


def _partitioned_schedule(spec: ScheduleSpec, job: JobBuild, orchestration: Orchestration, tags: dict) -> Any:
    """Each tick runs the last complete time window (or every key of a static/dynamic set).

    Dagster's ``build_schedule_from_partitioned_job`` derives the cron from time partitions and
    refuses another one; here the YAML's cron decides when, the partitions decide what.
    """
    from dagster._core.definitions.partitions.context import partition_loading_context

    partitions_def = orchestration.partitions.partitions_def
    is_time = isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)

    @dg.schedule(
        name=spec.name,
        cron_schedule=spec.cron_schedule,
        job=job.job,
        execution_timezone=spec.execution_timezone,
        default_status=_status(spec.default_status, dg.DefaultScheduleStatus),
        description=spec.description
        or f"Runs {spec.job} on '{spec.cron_schedule}' for the "
        + ("last complete partition." if is_time else "partitions that exist then."),
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        run_config = run_config_for(orchestration, spec.runtime_params)
        with partition_loading_context(context.scheduled_execution_time, context.instance):
            keys = partitions_def.get_partition_keys()
        keys = keys[-1:] if is_time else keys
        if not keys:
            return dg.SkipReason("no partition is complete yet")
        return [dg.RunRequest(run_key=key, partition_key=key, tags=tags, run_config=run_config) for key in keys]

    return _schedule


def _local_file(filepath: str | None, project_path: str) -> Path | None:
    if not filepath or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", filepath) and not filepath.startswith("file://"):
        return None
    path = Path(filepath.removeprefix("file://"))
    return path if path.is_absolute() else Path(project_path) / path


def build_sensors(specs: list[SensorSpec], jobs: dict[str, JobBuild], orchestration: Orchestration) -> list[Any]:
    source, snapshot, sensors = orchestration.source, orchestration.snapshot, []
    for index, spec in enumerate(specs):
        where = f"sensors[{index}]"
        job = _job_for(spec, where, jobs, orchestration)
        if job.partitioned:
            raise KedroComponentError(
                f"sensor '{spec.name}' targets the partitioned job '{spec.job}'.",
                source=source, field=f"{where}.job", value=spec.job,
                fix="target an unpartitioned job; partitioned jobs run from schedules or backfills.",
            )
        paths: dict[str, str] = {}
        for dataset in spec.datasets:
            info = snapshot.datasets.get(dataset)
            path = _local_file(info.filepath, snapshot.project_path) if info else None
            if path is None:
                raise KedroComponentError(
                    f"sensor '{spec.name}': dataset '{dataset}' has no local filepath to watch.",
                    source=source,
                    field=f"{where}.datasets",
                    value=dataset,
                    fix="name catalog datasets of the selected pipelines stored on a local or mounted disk."
                    + did_you_mean(dataset, sorted(snapshot.datasets)),
                )
            paths[dataset] = str(path)
        sensors.append(_file_sensor(spec, job, paths, run_config_for(orchestration, spec.runtime_params)))
    return sensors


def _fingerprint(path: str) -> str | None:
    """mtime and size of a file, or of every file under a folder (partitioned datasets)."""
    if not os.path.exists(path):
        return None
    files = [path] if os.path.isfile(path) else sorted(
        os.path.join(d, f) for d, _, names in os.walk(path) for f in names
    )
    return ";".join(f"{os.path.relpath(f, path)}:{os.stat(f).st_mtime_ns}:{os.stat(f).st_size}" for f in files)


def _file_sensor(spec: SensorSpec, job: JobBuild, paths: dict[str, str], run_config: dict) -> dg.SensorDefinition:
    @dg.sensor(
        name=spec.name,
        job=job.job,
        minimum_interval_seconds=spec.minimum_interval_seconds,
        default_status=_status(spec.default_status, dg.DefaultSensorStatus),
        description=spec.description or f"Runs {spec.job} when {', '.join(paths)} change.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        seen = json.loads(context.cursor) if context.cursor else {}
        now = {dataset: _fingerprint(path) for dataset, path in paths.items()}
        changed = sorted(d for d, value in now.items() if value is not None and seen.get(d) != value)
        context.update_cursor(json.dumps(now, sort_keys=True))
        if not changed:
            return dg.SkipReason(f"no change in {sorted(paths)}")
        digest = hashlib.sha1(json.dumps(now, sort_keys=True).encode()).hexdigest()[:16]
        return dg.RunRequest(
            run_key=digest,
            run_config=run_config,
            tags={"kedro/changed_datasets": ",".join(changed), **spec.tags},
        )

    return _sensor
