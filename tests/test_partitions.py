"""Partitions from YAML: the partition key and window reach Kedro as runtime params.

The `orders` fixture project writes `data/02_orders/${runtime_params:run_date}/orders.csv` with
one row per customer and day of [start_date, end_date), a dated summary, and an undated
`latest_totals.json` (unpartitioned, downstream of the partitioned summary).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey, build_schedule_context

from conftest import read_records
from orchestration_helpers import FIXTURES  # noqa: F401  (registers the fixture projects)

PARTITIONS = {
    "type": "daily",
    "start": "2024-01-01",
    "datasets": ["orders", "daily_summary"],
    "runtime_params": {"key": "run_date", "start": "start_date", "end": "end_date"},
}


def orders_yaml(project, backfill_policy="single_run", **extra):
    return {
        "project_path": str(project),
        "executor": {"type": "in_process"},
        "partitions": {**PARTITIONS, "backfill_policy": {"type": backfill_policy}},
        "jobs": [{"name": "daily_orders", "pipeline": "daily"}],
        **extra,
    }


@pytest.fixture
def orders(kedro_project, dg_project, tmp_path):
    project = kedro_project("orders")
    records = tmp_path / "records.jsonl"
    dg_project.env["ORDERS_RECORD_FILE"] = str(records)
    return project, dg_project, records


THREE_PARTITIONS = """
import json, os
from dagster import AssetKey, DagsterInstance, execute_job
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

instance = DagsterInstance.get()
repo = ReconstructableRepository.for_module("kedro_defs.definitions", "defs", working_directory=os.getcwd())
ok = []
for key in ["2024-01-01", "2024-01-02", "2024-01-03"]:
    result = execute_job(ReconstructableJob(repo, "daily_orders"), instance, tags={"dagster/partition": key})
    ok.append(result.success)
print(json.dumps({
    "ok": ok,
    "orders": sorted(instance.get_materialized_partitions(AssetKey("orders"))),
    "summary": sorted(instance.get_materialized_partitions(AssetKey("daily_summary"))),
}))
"""


def test_daily_partitions_write_dated_files_that_differ_by_date(orders):
    project, dg_project, records_file = orders
    dg_project.add_component("orders", orders_yaml(project, "multi_run"))

    result = json.loads(dg_project.python(THREE_PARTITIONS).stdout.strip().splitlines()[-1])

    days = ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert result == {"ok": [True] * 3, "orders": days, "summary": days}
    frames = {day: pd.read_csv(project / "data/02_orders" / day / "orders.csv") for day in days}
    for index, day in enumerate(days, start=1):
        assert frames[day]["date"].tolist() == [day, day]
        assert frames[day]["amount"].tolist() == [3 * index, 5 * index]
        summary = json.loads((project / "data/03_summary" / day / "summary.json").read_text())
        assert summary == {"run_date": day, "rows": 2, "total": 8 * index, "currency": "EUR"}
    # the unpartitioned asset downstream ran with each partition's run, like `kedro run --params`
    assert json.loads((project / "data/04_reporting/latest_totals.json").read_text()) == {
        "last_run_date": "2024-01-03", "total": 24
    }
    runs = [r for r in read_records(records_file) if r["hook"] == "before_pipeline_run"]
    assert [r["runtime_params"] for r in runs] == [
        {"run_date": "2024-01-01", "start_date": "2024-01-01", "end_date": "2024-01-02"},
        {"run_date": "2024-01-02", "start_date": "2024-01-02", "end_date": "2024-01-03"},
        {"run_date": "2024-01-03", "start_date": "2024-01-03", "end_date": "2024-01-04"},
    ]


def test_single_run_backfill_runs_kedro_once_with_the_range_params(orders):
    project, dg_project, records_file = orders
    dg_project.add_component("orders", orders_yaml(project, "single_run"))

    dg_project.dg("launch", "--job", "daily_orders", "--partition-range", "2024-01-01...2024-01-03")

    records = read_records(records_file)
    pipeline_runs = [r for r in records if r["hook"] == "before_pipeline_run"]
    assert len(pipeline_runs) == 1
    assert pipeline_runs[0]["runtime_params"] == {
        "run_date": "2024-01-01...2024-01-03", "start_date": "2024-01-01", "end_date": "2024-01-04"
    }
    assert sorted(r["node"] for r in records if r["hook"] == "before_node_run") == ["make_orders", "summarise", "totals"]
    frame = pd.read_csv(project / "data/02_orders/2024-01-01...2024-01-03/orders.csv")
    assert frame["date"].tolist() == ["2024-01-01"] * 2 + ["2024-01-02"] * 2 + ["2024-01-03"] * 2
    with dg_project.instance() as instance:
        (run,) = instance.get_runs()
        orders = sorted(instance.get_materialized_partitions(AssetKey("orders")))
    assert run.tags["dagster/asset_partition_range_start"] == "2024-01-01"
    assert run.tags["dagster/asset_partition_range_end"] == "2024-01-03"
    assert orders == ["2024-01-01", "2024-01-02", "2024-01-03"]


def test_partitioned_job_schedule_runs_the_last_complete_day(orders):
    project, dg_project, _ = orders
    schedule = {
        "name": "every_morning",
        "job": "daily_orders",
        "cron_schedule": "0 6 * * *",
        "runtime_params": {"currency": "USD"},
    }
    dg_project.add_component("orders", orders_yaml(project, schedules=[schedule]))
    with dg_project.definitions() as d, dg_project.instance() as instance:
        schedule = d.resolve_schedule_def("every_morning")
        context = build_schedule_context(
            instance=instance, repository_def=d.get_repository_def(),
            scheduled_execution_time=datetime(2024, 1, 5, 6, tzinfo=timezone.utc))
        requests = schedule.evaluate_tick(context).run_requests
    tick = {"cron": schedule.cron_schedule, "keys": [r.partition_key for r in requests], "config": requests[0].run_config}
    assert tick == {
        "cron": "0 6 * * *",
        "keys": ["2024-01-04"],
        "config": {"resources": {"kedro_orders": {"config": {"runtime_params": {"currency": "USD"}}}}},
    }


@pytest.fixture(scope="module")
def orders_snapshot(tmp_path_factory):
    from conftest import copy_kedro_project
    from dagster_kedro import KedroProjectComponent

    project = copy_kedro_project("orders", tmp_path_factory.mktemp("snap"))
    component = KedroProjectComponent.resolve_from_dict(orders_yaml(project))
    return project, component.read_snapshot()


def build(orders_snapshot, **attributes):
    from dagster_kedro import KedroProjectComponent

    project, snapshot = orders_snapshot
    component = KedroProjectComponent.resolve_from_dict({**orders_yaml(project), **attributes})
    defs = component.build_defs_from_snapshot(snapshot, Path("defs.yaml"))
    return {key.to_user_string(): spec for spec in defs.resolve_all_asset_specs() for key in [spec.key]}


def test_only_marked_datasets_are_partitioned_with_all_partition_mapping_downstream(orders_snapshot):
    project, snapshot = orders_snapshot
    # the catalog resolved at load with placeholders for the partition params
    assert snapshot.datasets["orders"].filepath == "data/02_orders/<run_date>/orders.csv"
    specs = build(orders_snapshot)
    assert specs["orders"].partitions_def.get_partition_keys()[:2] == ["2024-01-01", "2024-01-02"]
    assert specs["daily_summary"].partitions_def == specs["orders"].partitions_def
    assert specs["latest_totals"].partitions_def is None
    assert specs["customers"].partitions_def is None
    (dep,) = specs["latest_totals"].deps
    assert dep.asset_key.to_user_string() == "daily_summary"
    assert type(dep.partition_mapping).__name__ == "AllPartitionMapping"


@pytest.mark.parametrize(
    "partitions,expected_keys",
    [
        ({"type": "static", "keys": ["eu", "us"]}, ["eu", "us"]),
        ({"type": "monthly", "start": "2024-01-01", "end": "2024-04-01"}, ["2024-01-01", "2024-02-01", "2024-03-01"]),
        ({"type": "hourly", "start": "2024-01-01-00:00", "end": "2024-01-01-03:00", "timezone": "Europe/Paris"},
         ["2024-01-01-00:00", "2024-01-01-01:00", "2024-01-01-02:00"]),
    ],
    ids=["static", "monthly", "hourly"],
)
def test_other_partition_types(orders_snapshot, partitions, expected_keys):
    specs = build(orders_snapshot, partitions={**PARTITIONS, **partitions})
    assert specs["orders"].partitions_def.get_partition_keys() == expected_keys


def test_dynamic_partitions_and_range_params_for_static_keys(orders_snapshot):
    from dagster_kedro.partitions import PartitionPlan, PartitionsSpec
    from dagster_kedro.steps import plan_steps

    specs = build(orders_snapshot, partitions={**PARTITIONS, "type": "dynamic", "name": "regions"})
    assert specs["orders"].partitions_def.name == "regions"
    _, snapshot = orders_snapshot
    plan = PartitionPlan(PartitionsSpec(type="static", keys=["eu", "us"], runtime_params={"key": "region", "start": "first", "end": "last"}),
                         plan_steps(snapshot, "memory"), None)
    assert plan.params_for_run({"dagster/partition": "us"}) == {"region": "us", "first": "us", "last": "us"}
    assert plan.params_for_run({"dagster/asset_partition_range_start": "eu", "dagster/asset_partition_range_end": "us"}) == {
        "region": "eu...us", "first": "eu", "last": "us"
    }
    assert plan.params_for_run({}) == {}
