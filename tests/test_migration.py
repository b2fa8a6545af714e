"""`python -m dagster_kedro migrate-kedro-dagster`: kedro-dagster's dagster.yml -> defs.yaml.

Two inputs, both valid for kedro-dagster 0.8.1's own config model (checked with it when the
fixtures were written): the file `kedro dagster init` writes, and a hand-written one using every
section. Each is migrated for a copy of the spaceflights example; the written defs.yaml is then
loaded by Dagster's component loader in this process.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from conftest import REPO
from dagster.components.testing import create_defs_folder_sandbox

from dagster_kedro import migration
from dagster_kedro.errors import KedroComponentError

FIXTURES = REPO / "tests" / "fixtures" / "kedro_dagster"


@contextmanager
def migrated(project: Path, fixture: str, capsys) -> Iterator[tuple[dg.Definitions, str, str]]:
    """Migrate ``fixture`` (as the project's conf/local/dagster.yml) into a defs folder and load it."""
    shutil.copy(FIXTURES / fixture, project / "conf" / "local" / "dagster.yml")
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "kedro"
        migration.main([str(project), "--env", "local", "--output", str(folder / "defs.yaml")])
        out, err = capsys.readouterr()
        text = (folder / "defs.yaml").read_text()
        with sandbox.load_component_and_build_defs(defs_path=folder) as (_component, defs):
            yield defs, text, out + err


@pytest.fixture
def spaceflights(kedro_project):
    return kedro_project("spaceflights")


def test_the_file_kedro_dagster_init_writes(spaceflights, capsys):
    with migrated(spaceflights, "init_0.8.1.yml", capsys) as (defs, text, output):
        job = defs.resolve_job_def("local__default")
        assert job.tags["kedro/executor"] == "sequential (in_process)"
        schedule = defs.resolve_schedule_def("default_daily_schedule")
        assert schedule.cron_schedule == "0 0 * * *" and schedule.job_name == "local__default"
        keys = {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()}
        assert {"local/companies", "local/data_science/regressor"} <= keys  # kedro-dagster's keys
    assert "not migrated: loggers ['file_logger'] and the `loggers:` of jobs ['default']" in output
    assert "#   - loggers ['file_logger']" in text  # kept in the file too
    assert "env: local" in text


def test_every_section_of_dagster_yml(spaceflights, capsys):
    with migrated(spaceflights, "every_section.yml", capsys) as (defs, text, output):
        jobs = {job.name: job for job in defs.resolve_all_job_defs() if job.name != "__ASSET_JOB"}
        assert set(jobs) == {"local__default", "local__preprocessing", "local__science", "local__reports",
                             "local__processing_on_celery"}
        assert {name: job.tags["kedro/executor"] for name, job in jobs.items()} == {
            "local__default": "sequential (in_process)",
            "local__preprocessing": "parallel (multiprocess)",
            "local__science": "local__science executor (multiprocess)",  # inline: options alone
            "local__reports": "on_dask (dask)",
            "local__processing_on_celery": "on_celery (celery)",
        }
        # pipeline filters select the same nodes as under kedro-dagster
        selected = {name: {k.to_user_string() for k in defs.resolve_job_def(name).asset_layer.selected_asset_keys}
                    for name in ("local__preprocessing", "local__reports")}
        assert selected["local__preprocessing"] == {"local/preprocessed_companies", "local/preprocessed_shuttles"}
        assert selected["local__reports"] == {"local/shuttle_passenger_capacity_report"}
        schedules = {s.name: s for s in defs.get_repository_def().schedule_defs}
        assert set(schedules) == {"default_daily_schedule", "preprocessing_weekly_schedule", "science__schedule"}
        weekly = schedules["preprocessing_weekly_schedule"]
        assert (weekly.cron_schedule, weekly.execution_timezone, weekly.job_name) == (
            "0 6 * * 1", "Europe/Paris", "local__preprocessing")
        assert weekly.description == "Monday morning refresh"
        assert schedules["science__schedule"].execution_timezone == "UTC"
    unmapped = [line for line in output.splitlines() if line.startswith("not migrated:")]
    assert len(unmapped) == 4, unmapped
    assert "loggers ['console', 'file_logger'] and the `loggers:` of jobs ['default', 'reports']" in output
    assert "jobs.ds_{namespace}: a job factory" in output and "kedro dagster resolve-patterns" in output
    assert "schedules.monthly: no job uses it" in output
    assert "schedules.weekly.metadata" in output


def test_executors_beyond_the_test_dependencies_and_partitioned_datasets():
    config = {
        "executors": {
            "k8s": {"k8s_job_executor": {"job_namespace": "data", "max_concurrent": 4}},
            "docker": {"docker_executor": {"image": "my/image:1", "network": "bridge"}},
            "celery_docker": {"celery_docker_executor": {"image": "my/image:1", "broker": "redis://r"}},
            "celery_k8s": {"celery_k8s_job_executor": {"job_namespace": "data", "job_wait_timeout": 60}},
        },
        "jobs": {"on_k8s": {"pipeline": {"pipeline_name": "data_science"}, "executor": {"job_namespace": "x"}}},
    }
    migrated = migration.migrate(config, project_path="..", env="prod", set_env=True, partitioned=["orders"])
    attributes = migrated.attributes
    assert migrated.unmapped == [
        "catalog entries ['orders'] (kedro_dagster.DagsterPartitionedDataset): give them their underlying "
        "dataset type back and declare `partitions:` in this file (docs/migration.md#partitions)."
    ]
    assert attributes["executors"] == {
        "k8s": {"type": "k8s", "config": {"job_namespace": "data", "max_concurrent": 4}},
        "docker": {"type": "docker", "config": {"image": "my/image:1", "network": "bridge"}},
        "celery_docker": {"type": "dagster_celery_docker.celery_docker_executor",
                          "config": {"image": "my/image:1", "broker": "redis://r"}},
        "celery_k8s": {"type": "dagster_celery_k8s.celery_k8s_job_executor",
                       "config": {"job_namespace": "data", "job_wait_timeout": 60}},
    }
    assert attributes["jobs"] == [{"name": "prod__on_k8s", "pipeline": "data_science",
                                   "executor": {"type": "k8s", "config": {"job_namespace": "x"}}}]
    assert attributes["pipelines"] == ["data_science"] and attributes["key_prefix"] == ["prod"]


def test_a_project_without_dagster_yml_is_one_clear_error(spaceflights, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dagster_kedro", "migrate-kedro-dagster", str(spaceflights), "--env", "local",
         "--output", str(tmp_path / "defs.yaml")],
        capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "no dagster.yml under" in result.stderr and "--env" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "defs.yaml").exists()


def test_an_executor_kedro_dagster_would_refuse_is_one_error_naming_it():
    with pytest.raises(KedroComponentError) as raised:
        migration.migrate({"executors": {"fast": {"turbo": {}}}}, project_path="..", env="local", set_env=False)
    assert raised.value.entry == "executors.fast" and "multiprocess" in str(raised.value)
