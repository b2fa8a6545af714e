"""Jobs, executors, retries, pools, schedules and sensors declared in defs.yaml."""

from __future__ import annotations

import json

from dagster import DagsterEventType, build_schedule_context, build_sensor_context

from orchestration_helpers import runs


def chores_yaml(project, tmp_path, **extra):
    return {
        "project_path": str(project),
        "executors": {
            "parallel": {"type": "multiprocess", "config": {"max_concurrent": 4}},
            "serial": {"type": "in_process"},
        },
        "jobs": [
            {
                "name": "ingest_with_retry",
                "pipeline": "ingest",
                "executor": "serial",
                "runtime_params": {"flaky_marker": str(tmp_path / "marker_retry")},
                "retry_policy": {"max_retries": 1, "delay": 0.1, "backoff": "exponential", "jitter": "plus_minus"},
            },
            {
                "name": "ingest_without_retry",
                "pipeline": "ingest",
                "executor": "serial",
                "runtime_params": {"flaky_marker": str(tmp_path / "marker_plain")},
            },
            {
                "name": "db_loads",
                "pipeline": "loads",
                "filter": {"tags": ["db"]},
                "executor": "parallel",
                "tags": {"team": "data"},
            },
        ],
        "schedules": [
            {
                "name": "nightly_db",
                "job": "db_loads",
                "cron_schedule": "0 3 * * *",
                "execution_timezone": "Europe/Paris",
                "runtime_params": {"db_seconds": 0.5},
                "tags": {"trigger": "cron"},
            }
        ],
        **extra,
    }


def job_facts(dg_project) -> dict:
    """Executor, retry policy, assets and tags of the chores jobs, and a tick of the schedule,
    from the project's Definitions loaded in this process."""
    with dg_project.definitions() as d:
        jobs = {}
        for name in ("ingest_with_retry", "ingest_without_retry", "db_loads"):
            job = d.resolve_job_def(name)
            policy = job._op_retry_policy
            jobs[name] = {
                "executor": job.executor_def.name,
                "retries": policy.max_retries if policy else None,
                "backoff": policy.backoff.value if policy and policy.backoff else None,
                "assets": sorted(k.to_user_string() for k in job.asset_layer.executable_asset_keys),
                "tags": dict(job.tags),
            }
        schedule = d.resolve_schedule_def("nightly_db")
        (request,) = schedule.evaluate_tick(build_schedule_context()).run_requests
    return {"jobs": jobs, "schedule": {
        "cron": schedule.cron_schedule, "tz": schedule.execution_timezone, "job": schedule.job_name,
        "run_config": request.run_config, "tags": dict(request.tags)}}


def test_jobs_executors_schedule_and_retry_policy_load_and_list(kedro_project, dg_project, tmp_path):
    project = kedro_project("chores")
    dg_project.add_component("chores", chores_yaml(project, tmp_path))

    listed = dg_project.list_defs()

    jobs = {job["name"]: job["description"] for job in listed["jobs"]}
    assert set(jobs) == {"ingest_with_retry", "ingest_without_retry", "db_loads"}
    assert "Executor: serial (in_process)" in jobs["ingest_with_retry"]
    assert "Retries: 1" in jobs["ingest_with_retry"]
    assert "Executor: parallel (multiprocess)" in jobs["db_loads"]
    assert "filtered by tags=['db']" in jobs["db_loads"]
    assert [(s["name"], s["cron_schedule"]) for s in listed["schedules"]] == [("nightly_db", "0 3 * * *")]

    facts = job_facts(dg_project)
    assert facts["jobs"]["ingest_with_retry"]["executor"] == "in_process"
    assert facts["jobs"]["ingest_with_retry"]["retries"] == 1
    assert facts["jobs"]["ingest_with_retry"]["backoff"] == "EXPONENTIAL"
    assert facts["jobs"]["ingest_without_retry"]["retries"] is None
    assert facts["jobs"]["db_loads"]["executor"] == "multiprocess"
    # the filter keeps the db nodes: their tables, not load_c's nor the report
    assert facts["jobs"]["db_loads"]["assets"] == ["table_a", "table_b"]
    assert facts["jobs"]["db_loads"]["tags"]["team"] == "data"
    assert facts["schedule"] == {
        "cron": "0 3 * * *",
        "tz": "Europe/Paris",
        "job": "db_loads",
        "run_config": {"resources": {"kedro_chores": {"config": {"runtime_params": {"db_seconds": 0.5}}}}},
        "tags": {"kedro/project": "chores", "trigger": "cron", "dagster/schedule_name": "nightly_db"},
    }


def test_flaky_node_succeeds_with_retry_policy_and_fails_without(kedro_project, dg_project, tmp_path):
    project = kedro_project("chores")
    dg_project.add_component("chores", chores_yaml(project, tmp_path))

    dg_project.launch(job="ingest_with_retry")
    failed = dg_project.launch(job="ingest_without_retry", check=False)

    assert failed.returncode != 0
    assert "flaky: the first attempt fails" in failed.stdout + failed.stderr
    # each job's runtime_params reached the node: each wrote its own marker on its first attempt
    assert (tmp_path / "marker_retry").exists() and (tmp_path / "marker_plain").exists()
    by_job = {run["job"]: run for run in runs(dg_project)}
    retried = by_job["ingest_with_retry"]
    assert retried["status"] == "SUCCESS"
    assert [e[0] for e in retried["steps"]["chores__fetch"]] == [
        "STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_SUCCESS"
    ]
    assert by_job["ingest_without_retry"]["status"] == "FAILURE"
    assert (project / "data/02_intermediate/fetched.csv").exists()


def test_pool_override_serialises_db_nodes_under_multiprocess(kedro_project, dg_project, tmp_path):
    project = kedro_project("chores")
    (dg_project.home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"
    )
    attributes = chores_yaml(project, tmp_path, node_overrides={"tag:db": {"pool": "warehouse"}})
    attributes["runtime_params"] = {"db_seconds": 1.0}
    dg_project.add_component("chores", attributes)
    (project / "data/02_intermediate/fetched.csv").write_text("x\n1\n2\n3\n")

    launched = dg_project.launch(job="db_loads")  # load_a and load_b, multiprocess max_concurrent 4

    assert "blocked by limit for pool warehouse" in launched.stdout + launched.stderr
    steps = {run["job"]: run for run in runs(dg_project)}["db_loads"]["steps"]

    def interval(step):
        events = dict((kind, ts) for kind, ts in steps[step])
        return events["STEP_START"], events["STEP_SUCCESS"]

    a, b = interval("chores__load_a"), interval("chores__load_b")
    assert a[1] <= b[0] or b[1] <= a[0], f"db steps overlapped: load_a {a}, load_b {b}"
    assert (project / "data/03_primary/table_a.csv").exists() and (project / "data/03_primary/table_b.csv").exists()


def routes(dg_project) -> list[dict]:
    """Each run (oldest first): its job, its steps, and whether they ran in the run worker's process."""
    out = []
    with dg_project.instance() as instance:
        for run in reversed(instance.get_runs()):
            events = [e for e in instance.all_logs(run.run_id) if e.dagster_event]
            pids = {e.step_key: e.dagster_event.pid for e in events
                    if e.step_key and e.dagster_event.event_type_value == "STEP_START"}
            run_pid = [e.dagster_event.pid for e in events if e.dagster_event.event_type == DagsterEventType.RUN_START][0]
            out.append({"job": run.job_name, "in_run_worker": all(p == run_pid for p in pids.values()),
                        "steps": sorted(pids)})
    return out


def test_component_default_executor_routes_adhoc_runs_without_clashing(kedro_project, dg_project, tmp_path):
    """chores defaults to multiprocess in YAML; hooked (same code location) has no `executor:`, so
    its jobs and ad-hoc runs are in process, and the run config may still choose multiprocess."""
    chores = kedro_project("chores")
    hooked = kedro_project("hooked")
    dg_project.add_component(
        "chores",
        {"project_path": str(chores), "executor": {"type": "multiprocess", "config": {"max_concurrent": 2}},
         "pipelines": ["ingest"]},
    )
    dg_project.add_component("hooked", {"project_path": str(hooked), "pipelines": ["ingest"]})

    dg_project.launch(assets="fetched")  # all ops belong to chores: its default (multiprocess)
    dg_project.launch(assets="doubled")  # hooked has no `executor:`: in process
    explicit = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}
    dg_project.launch(assets="doubled", config=explicit)  # an explicit execution config wins
    dg_project.launch(job="hooked__ingest")  # a job of hooked: in process by default
    dg_project.launch(job="hooked__ingest", config=explicit)  # ... or multiprocess when the run says so

    routed = routes(dg_project)
    assert [(r["job"], r["in_run_worker"]) for r in routed] == [
        ("__ASSET_JOB", False),
        ("__ASSET_JOB", True),
        ("__ASSET_JOB", False),
        ("hooked__ingest", True),
        ("hooked__ingest", False),
    ]
    assert routed[0]["steps"] == ["chores__fetch"]
    assert routed[1]["steps"] == ["hooked__double_numbers"]
    listed = {job["name"]: job["description"] for job in dg_project.list_defs()["jobs"]}
    assert "Executor: executor (multiprocess)" in listed["chores__ingest"]
    assert "Executor: in_process (the default; the run config may select multiprocess)" in listed["hooked__ingest"]


def sensor_ticks(dg_project, raw) -> dict:
    """The datasets of three ticks of the ``numbers_changed`` sensor: the first, one with nothing
    changed, one after a row is appended to the ``raw`` file."""
    with dg_project.definitions() as d, dg_project.instance() as instance:
        sensor = d.resolve_sensor_def("numbers_changed")

        def tick(cursor):
            result = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor))
            return [r.tags.get("kedro/changed_datasets") for r in result.run_requests], result.cursor

        first, cursor = tick(None)
        second, cursor = tick(cursor)
        raw.write_text(raw.read_text() + "7,8\n")
        third, cursor = tick(cursor)
    return {"first": first, "second": second, "third": third, "job": sensor.job_name}


def test_dataset_sensor_and_automation_condition_via_translation(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component(
        "hooked",
        {
            "project_path": str(project),
            "translation": {"automation_condition": "{{ automation_condition.eager() }}"},
            "sensors": [{"name": "numbers_changed", "job": "hooked__default", "datasets": ["numbers"]}],
        },
    )
    listed = dg_project.list_defs()
    # (Dagster adds its default automation sensor when assets have automation conditions)
    assert "numbers_changed" in [s["name"] for s in listed["sensors"]]
    summary = next(a for a in listed["assets"] if a["key"] == "summary") if "key" in listed["assets"][0] else next(
        a for a in listed["assets"] if a["asset_key"] == "summary"
    )
    assert summary["automation_condition"] is not None
    assert "eager" in json.dumps(summary["automation_condition"]).lower()

    ticks = sensor_ticks(dg_project, project / "data/01_raw/numbers.csv")
    assert ticks == {"first": ["numbers"], "second": [], "third": ["numbers"], "job": "hooked__default"}
