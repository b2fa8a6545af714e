"""``python -m dagster_kedro migrate-kedro-dagster <kedro project> [--env E] [--output F]``.

Reads kedro-dagster's ``dagster.yml`` (``conf/base`` merged with ``conf/<env>``, through the
project's own Kedro config loader, as kedro-dagster reads it) and writes the ``defs.yaml`` of
:class:`~dagster_kedro.KedroProjectComponent` that gives the same jobs, executors and schedules,
with the list of what it could not map and why (printed, and kept as comments in the file).

Names are kept as kedro-dagster made them, so that run history filters, alerts and scripts that
launch a job by name keep working: jobs ``<env>__<job>``, schedules ``<job>_<schedule>_schedule``
(or ``<job>__schedule`` for an inline one), asset keys prefixed with the env (``key_prefix:
[<env>]``). docs/migration.md explains the other differences. kedro-dagster itself is not
needed: the file is read as plain YAML, its schema (kedro-dagster 0.8.1,
``kedro_dagster.config.models``) is mirrored by the mappings below.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kedro.config import MissingConfigException

from dagster_kedro.errors import KedroComponentError
from dagster_kedro.kedro_runtime import activate_project, config_loader, preserved_kedro_globals
from dagster_kedro.project import validate_kedro_project_path

# kedro-dagster executor key -> our `type` (a dotted ExecutorDefinition path where we have no
# name) and the option names of its model; kedro-dagster's option names are those of the Dagster
# executor's own config, so the options pass through as `config`. In the order of kedro-dagster's
# `ExecutorOptions` union, which decides the type of an inline executor (options alone).
_RETRIES = {"retries"}
_MULTI = _RETRIES | {"max_concurrent"}
_CELERY = _RETRIES | {"broker", "backend", "include", "config_source"}
_DOCKER = _MULTI | {"image", "network", "networks", "registry", "env_vars", "container_kwargs"}
_K8S = _MULTI | {
    "env_config_maps", "env_secrets", "env_vars", "image_pull_policy", "image_pull_secrets", "job_namespace",
    "kubeconfig_file", "labels", "load_incluster_config", "per_step_k8s_config", "resources", "scheduler_name",
    "security_context", "service_account_name", "step_k8s_config", "volume_mounts", "volumes",
}
EXECUTORS: dict[str, tuple[str, set[str]]] = {
    "in_process": ("in_process", _RETRIES),
    "multiprocess": ("multiprocess", _MULTI),
    "dask_executor": ("dask", {"cluster"}),
    "k8s_job_executor": ("k8s", _K8S),
    "docker_executor": ("docker", _DOCKER),
    "celery_executor": ("celery", _CELERY),
    "celery_docker_executor": ("dagster_celery_docker.celery_docker_executor", _CELERY | _DOCKER),
    "celery_k8s_job_executor": ("dagster_celery_k8s.celery_k8s_job_executor", _CELERY | _K8S | {"job_wait_timeout"}),
}
FILTERS = ("tags", "node_names", "from_nodes", "to_nodes", "from_inputs", "to_outputs", "node_namespaces")
SCHEDULE_FIELDS = ("cron_schedule", "execution_timezone", "description")
_LOGGERS_WHY = (
    "dagster-kedro jobs take no Dagster logger definitions: Kedro's logging (conf/logging.yml) "
    "applies in every step and WARNING+ records become Dagster events (`log_level:`); route "
    "Python logs elsewhere with the instance's dagster.yaml `python_logs: {dagster_handler_config: ...}`"
)
_PATTERN = re.compile(r"\{[^}]*\}")


@dataclass
class Migration:
    """The attributes of the new defs.yaml and what was left out, one line per item."""

    attributes: dict[str, Any]
    unmapped: list[str] = field(default_factory=list)

    def to_yaml(self, source: str) -> str:
        header = [
            f"# Migrated from kedro-dagster's {source} by `python -m dagster_kedro migrate-kedro-dagster`.",
            "# Job, schedule and asset-key names are kedro-dagster's (docs/migration.md).",
        ]
        if self.unmapped:
            header.append("# Not migrated:")
            header += [f"#   - {line}" for line in self.unmapped]
        body = yaml.safe_dump(
            {"type": "dagster_kedro.KedroProjectComponent", "attributes": self.attributes},
            sort_keys=False,
            default_flow_style=False,
        )
        return "\n".join(header) + "\n" + body


def read_dagster_yml(project: Path, env: str | None) -> tuple[dict[str, Any], str, list[str]]:
    """kedro-dagster's config (base merged with ``env``), the env it ran in, and the catalog
    entries typed ``kedro_dagster.DagsterPartitionedDataset`` (its partitions live there)."""
    validate_kedro_project_path(project)
    with preserved_kedro_globals():
        activate_project(project)
        loader = config_loader(project, env, None, None)
        loader.config_patterns.setdefault("dagster", ["dagster*", "dagster*/**", "**/dagster*"])
        run_env = env or getattr(loader, "default_run_env", None) or "local"
        try:
            config = loader["dagster"]
        except MissingConfigException:
            raise KedroComponentError(
                f"no dagster.yml under {project / 'conf'} (base or {run_env}).",
                source="python -m dagster_kedro migrate-kedro-dagster",
                entry="--env",
                value=env,
                fix="pass the Kedro project root holding kedro-dagster's conf/<env>/dagster.yml, and "
                "--env with the environment it is in.",
            ) from None
        catalog = loader["catalog"]
    partitioned = [name for name, entry in catalog.items()
                   if isinstance(entry, dict) and str(entry.get("type", "")).endswith("DagsterPartitionedDataset")]
    return dict(config or {}), run_env, partitioned


def migrate(
    config: dict[str, Any], *, project_path: str, env: str, set_env: bool, partitioned: list[str] | None = None
) -> Migration:
    """The defs.yaml attributes equivalent to kedro-dagster's ``config``; ``partitioned`` names
    the catalog entries of type DagsterPartitionedDataset."""
    attributes: dict[str, Any] = {"project_path": project_path}
    if set_env:
        attributes["env"] = env
    attributes["key_prefix"] = [env]  # kedro-dagster keys are [<env>, *dataset.split(".")]
    migration = Migration(attributes)
    if partitioned:
        migration.unmapped.append(
            f"catalog entries {partitioned} (kedro_dagster.DagsterPartitionedDataset): give them their "
            "underlying dataset type back and declare `partitions:` in this file (docs/migration.md#partitions)."
        )
    job_loggers = [key for key, job in (config.get("jobs") or {}).items() if (job or {}).get("loggers")]
    if config.get("loggers") or job_loggers:
        migration.unmapped.append(
            f"loggers {sorted(config.get('loggers') or {})} and the `loggers:` of jobs {job_loggers}: {_LOGGERS_WHY}."
        )
    executors = {name: _executor(options, f"executors.{name}")
                 for name, options in (config.get("executors") or {}).items()}
    schedules = dict(config.get("schedules") or {})
    jobs, used_schedules, schedule_specs = [], set(), []
    for key, job in (config.get("jobs") or {}).items():
        if _PATTERN.search(key):
            migration.unmapped.append(
                f"jobs.{key}: a job factory (its name has {{placeholders}}); list its concrete jobs "
                "with `kedro dagster resolve-patterns` and migrate them as literal jobs."
            )
            continue
        name = f"{env}__{key}"
        spec = _job(name, key, job or {}, executors, migration)
        jobs.append(spec)
        schedule = (job or {}).get("schedule")
        if isinstance(schedule, str):
            if schedule not in schedules:
                migration.unmapped.append(f"jobs.{key}.schedule: '{schedule}' is not under `schedules:`.")
                continue
            used_schedules.add(schedule)
            schedule_specs.append(_schedule(f"{key}_{schedule}_schedule", name, schedules[schedule],
                                            f"schedules.{schedule}", migration))
        elif isinstance(schedule, dict):
            schedule_specs.append(_schedule(f"{key}__schedule", name, schedule, f"jobs.{key}.schedule", migration))
    for name in schedules:
        if name not in used_schedules:
            migration.unmapped.append(f"schedules.{name}: no job uses it (kedro-dagster makes no schedule of it either).")
    pipelines = list(dict.fromkeys(spec["pipeline"] for spec in jobs))
    if pipelines and pipelines != ["__default__"]:
        attributes["pipelines"] = pipelines
    if executors:
        attributes["executors"] = executors
    if jobs:
        attributes["jobs"] = jobs
    if schedule_specs:
        attributes["schedules"] = schedule_specs
    return migration


def _executor(options: Any, where: str, *, inline: bool = False) -> dict[str, Any]:
    """``{multiprocess: {max_concurrent: 2}}`` (under ``executors:``), or the options alone (a
    job's inline executor), -> ``{type: multiprocess, config: {max_concurrent: 2}}``."""
    options = options if isinstance(options, dict) else {}
    if inline:
        declared = [next((k for k, (_, names) in EXECUTORS.items() if set(options) <= names), "")]
        config = dict(options)
    else:
        declared = [key for key in EXECUTORS if key in options]
        config = dict(options[declared[0]] or {}) if len(declared) == 1 else {}
    if len(declared) != 1 or not declared[0]:
        raise KedroComponentError(
            f"{where} is not an executor kedro-dagster 0.8.1 accepts.",
            source="dagster.yml",
            entry=where,
            value=options,
            fix=f"name exactly one executor type ({sorted(EXECUTORS)}) with its options"
            + (", or give options of one of them inline." if inline else "."),
        )
    spec: dict[str, Any] = {"type": EXECUTORS[declared[0]][0]}
    if config:
        spec["config"] = config
    return spec


def _job(name: str, key: str, job: dict[str, Any], executors: dict[str, Any], migration: Migration) -> dict[str, Any]:
    pipeline = dict(job.get("pipeline") or {})
    spec: dict[str, Any] = {"name": name, "pipeline": pipeline.pop("pipeline_name", "__default__")}
    filters = {k: pipeline.pop(k) for k in FILTERS if pipeline.get(k)}
    for extra in pipeline:
        migration.unmapped.append(f"jobs.{key}.pipeline.{extra}: not a kedro-dagster pipeline filter.")
    if filters:
        spec["filter"] = filters
    executor = job.get("executor")
    if isinstance(executor, str):
        if executor not in executors:
            migration.unmapped.append(f"jobs.{key}.executor: '{executor}' is not under `executors:`; the job runs in process.")
        else:
            spec["executor"] = executor
    elif isinstance(executor, dict):
        spec["executor"] = _executor(executor, f"jobs.{key}.executor", inline=True)
    return spec


def _schedule(name: str, job: str, options: dict[str, Any], where: str, migration: Migration) -> dict[str, Any]:
    spec = {"name": name, "job": job, **{k: options[k] for k in SCHEDULE_FIELDS if options.get(k) is not None}}
    if options.get("metadata"):
        migration.unmapped.append(
            f"{where}.metadata: dagster-kedro schedules have no metadata; put what runs need in the "
            f"schedule's `tags` (run tags) or its `description`."
        )
    return spec


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_kedro migrate-kedro-dagster",
        description="Write the dagster-kedro defs.yaml equivalent to a project's kedro-dagster dagster.yml.",
    )
    parser.add_argument("project", help="the Kedro project root (holding conf/<env>/dagster.yml)")
    parser.add_argument("--env", help="the Kedro environment of dagster.yml (default: Kedro's run env)")
    parser.add_argument("--output", default="defs.yaml", help="the defs.yaml to write (default: ./defs.yaml)")
    args = parser.parse_args(argv)
    project, output = Path(args.project).resolve(), Path(args.output).resolve()
    try:
        config, env, partitioned = read_dagster_yml(project, args.env)
        migration = migrate(config, project_path=os.path.relpath(project, output.parent), env=env,
                            set_env=bool(args.env), partitioned=partitioned)
    except KedroComponentError as error:
        sys.exit(f"error: {error}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(migration.to_yaml(f"conf/{env}/dagster.yml"))
    print(f"wrote {output}: {len(migration.attributes.get('jobs', []))} job(s), "
          f"{len(migration.attributes.get('executors', {}))} executor(s), "
          f"{len(migration.attributes.get('schedules', []))} schedule(s)")
    for line in migration.unmapped:
        print(f"not migrated: {line}", file=sys.stderr)
