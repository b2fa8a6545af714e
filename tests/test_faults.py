"""Faults and load: a step killed mid-save, concurrent runs, overlapping projects, flaky nodes.

Everything runs for real: `dg launch` subprocesses on one sqlite Dagster home (several at once),
the multiprocess executor, `kill -9` of a step process found in the run's event log. The
`faults` fixture project lets a test hold a step at a gate file or in the middle of a save, so
the interleavings that matter happen every time, with no sleeps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from dagster import AssetKey, DagsterRunStatus, RunsFilter

import orchestration_helpers  # noqa: F401  (registers the chores fixture)
import conftest
from conftest import BIN, MULTIPROCESS
from test_failure import REEXECUTE_FROM_FAILURE

conftest.KEDRO_PROJECTS.setdefault("faults", orchestration_helpers.FIXTURES / "faults")
JOB = "faults__default"

RETRY_EVENTS = ("STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_SUCCESS", "STEP_FAILURE")


def run_config(**runtime_params) -> dict:
    return {"resources": {"kedro_faults": {"config": {"runtime_params": runtime_params}}}, **MULTIPROCESS}


def launch_in_background(dg_project, config: dict, job: str = JOB) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "dg"), "launch", "--job", job, "--config-json", json.dumps(config)],
        cwd=dg_project.root,
        env=dg_project.process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen, timeout: float = 180) -> tuple[int, str]:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise AssertionError(f"dg launch did not finish in {timeout} s:\n{output[-4000:]}")
    return process.returncode, output


def wait_for_file(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    """Until ``path`` exists; fail at once if the launch it waits on has exited."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"launch exited before {path.name} appeared:\n{process.stdout.read()[-4000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear in {timeout} s")
        time.sleep(0.05)


def _kedro(metadata) -> dict:
    return {k: v.value for k, v in metadata.items() if k.startswith("kedro/")}


def facts(dg_project) -> dict:
    """Every run (oldest first) with its steps, pids, messages and materializations, and the
    latest materialization and observation of each dataset, read from the instance in process."""
    runs = []
    with dg_project.instance() as instance:
        for run in reversed(instance.get_runs()):
            logs = instance.all_logs(run.run_id)
            events = [e for e in logs if e.dagster_event]
            runs.append({
                "run_id": run.run_id, "job": run.job_name, "status": run.status.value, "parent": run.parent_run_id,
                "tags": dict(run.tags),
                "params": run.run_config.get("resources", {}).get("kedro_faults", {}).get("config", {})
                .get("runtime_params", {}),
                "pids": {e.step_key: e.dagster_event.pid for e in events if e.dagster_event.event_type_value == "STEP_START"},
                "steps": [[e.step_key, e.dagster_event.event_type_value, e.timestamp] for e in events
                          if e.step_key and e.dagster_event.event_type_value.startswith("STEP_")],
                "messages": [e.user_message for e in logs if e.user_message]
                + [e.dagster_event.step_failure_data.error.to_string() for e in events
                   if e.dagster_event.event_type_value == "STEP_FAILURE"],
                "end": max(e.timestamp for e in logs),
                "materialized": {e.dagster_event.asset_key.to_user_string(): _kedro(e.asset_materialization.metadata)
                                 for e in events if e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"},
            })
        latest = {}
        for name in ("features", "table", "summary"):
            m = instance.get_latest_materialization_event(AssetKey(name))
            observed = instance.fetch_observations(AssetKey(name), limit=1).records
            o = observed[0].event_log_entry if observed else None
            latest[name] = {
                "materialization": m and {"run_id": m.run_id, "ts": m.timestamp},
                "observation": o and {"run_id": o.run_id, "ts": o.timestamp, "metadata": _kedro(o.asset_observation.metadata)},
            }
    return {"runs": runs, "latest": latest}


def saving_step(dg_project) -> tuple[str, int]:
    """(step key, pid) of the step that has started but not finished in the running run."""
    with dg_project.instance() as instance:
        (run,) = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED]))
        events = [e for e in instance.all_logs(run.run_id) if e.dagster_event and e.step_key]
    done = {e.step_key for e in events if e.dagster_event.event_type_value == "STEP_SUCCESS"}
    (started,) = [e for e in events if e.dagster_event.event_type_value == "STEP_START" and e.step_key not in done]
    return started.step_key, started.dagster_event.pid


def wait_for_message(dg_project, message: str, timeout: float = 120) -> None:
    """Until some run's event log holds ``message`` (polling the instance)."""
    deadline = time.monotonic() + timeout
    with dg_project.instance() as instance:
        while not any(message in (e.user_message or "") for r in instance.get_runs() for e in instance.all_logs(r.run_id)):
            assert time.monotonic() < deadline, f"{message!r} never logged"
            time.sleep(0.2)


def by_label(runs: list[dict]) -> dict[str, dict]:
    return {run["params"].get("label"): run for run in runs}


def summary_of(project: Path, run: dict) -> dict:
    version = run["materialized"]["summary"]["kedro/save_version"]
    return json.loads((project / "data/08_reporting/summary.json" / version / "summary.json").read_text())


def test_concurrent_runs_of_one_job_keep_their_own_versioned_data(kedro_project, dg_project, tmp_path):
    """Run A writes features, waits; run B writes newer features; A's next step must read A's."""
    project = kedro_project("faults")
    dg_project.add_component("faults", {"project_path": str(project)})
    gate = tmp_path / "gate_a"

    run_a = launch_in_background(dg_project, run_config(label="A", gate=str(gate)))
    wait_for_file(Path(f"{gate}.waiting"), run_a)  # A saved its features; its next step is held
    dg_project.launch(job=JOB, config=run_config(label="B"))  # B saves a newer version meanwhile
    gate.write_text("open")
    code, output = finish(run_a)

    assert code == 0, output[-4000:]
    runs = by_label(facts(dg_project)["runs"])
    assert {label: summary_of(project, run)["label"] for label, run in runs.items()} == {"A": "A", "B": "B"}
    versions = sorted(p.name for p in (project / "data/02_intermediate/features.json").iterdir())
    assert versions == sorted(run["materialized"]["features"]["kedro/save_version"] for run in runs.values())
    version_a = runs["A"]["materialized"]["features"]["kedro/save_version"]
    assert version_a < versions[-1]  # B's was newer
    (pinned,) = [m for m in runs["A"]["messages"] if m.startswith("Kedro load_versions")]
    assert f"'features': '{version_a}'" in pinned and "1 run(s) read" in pinned
    print(pinned)  # the lookup's cost, in ms


def test_kill_9_mid_save_leaves_a_partial_save_marker_then_reexecution_recovers(kedro_project, dg_project, tmp_path):
    project = kedro_project("faults")
    dg_project.add_component("faults", {"project_path": str(project)})
    table = project / "data/03_primary/table.txt"
    dg_project.launch(job=JOB, config=run_config(label="zero"))  # an earlier, complete materialization
    assert table.read_text().endswith("END\n")

    halt = tmp_path / "halt"
    dg_project.env["FAULTS_HALT_FILE"] = str(halt)
    run_a = launch_in_background(dg_project, run_config(label="A"))
    wait_for_file(Path(f"{halt}.pid"), run_a)  # half of table.txt written, the save held
    step, pid = saving_step(dg_project)
    assert pid == int(Path(f"{halt}.pid").read_text())  # the process that is saving
    os.kill(pid, signal.SIGKILL)
    code, output = finish(run_a)
    del dg_project.env["FAULTS_HALT_FILE"]

    assert code != 0
    assert not table.read_text().endswith("END\n")  # Kedro saves in place: the file is truncated
    known = facts(dg_project)
    runs = by_label(known["runs"])
    assert runs["A"]["status"] == "FAILURE"
    latest = known["latest"]["table"]
    # the materialization still shown is the earlier run's; A's marker is newer and says why
    assert latest["materialization"]["run_id"] == runs["zero"]["run_id"]
    assert latest["observation"]["run_id"] == runs["A"]["run_id"]
    assert latest["observation"]["ts"] > latest["materialization"]["ts"]
    assert latest["observation"]["metadata"] == {
        "kedro/partial_save": True, "kedro/node": "build_table", "kedro/dataset": "table",
        "kedro/filepath": "data/03_primary/table.txt",
    }
    summary = known["latest"]["summary"]  # every save is marked first; complete ones superseded
    assert summary["observation"]["ts"] < summary["materialization"]["ts"]

    # another run writes newer features; re-executing A from failure must still read A's own
    dg_project.launch(job=JOB, config=run_config(label="B"))
    result = json.loads(dg_project.python(REEXECUTE_FROM_FAILURE).stdout.strip().splitlines()[-1])

    assert result["success"] and result["steps"] == [step]
    assert table.read_text().splitlines()[0].startswith("A,") and table.read_text().endswith("END\n")
    known = facts(dg_project)
    reexecution = next(r for r in known["runs"] if r["run_id"] == result["run_id"])
    assert reexecution["parent"] == runs["A"]["run_id"]
    assert summary_of(project, reexecution)["label"] == "A"
    latest = known["latest"]["table"]
    assert latest["materialization"]["run_id"] == result["run_id"]
    assert latest["materialization"]["ts"] > latest["observation"]["ts"]  # the marker is superseded


def test_flaky_node_with_retries_keeps_one_save_version(kedro_project, dg_project, tmp_path):
    project = kedro_project("faults")
    dg_project.add_component(
        "faults",
        {"project_path": str(project), "jobs": [{"name": "retried", "retry_policy": {"max_retries": 1, "delay": 0.1}}]},
    )
    dg_project.launch(job="retried", config=run_config(label="R", flaky_marker=str(tmp_path / "flaky")))

    (run,) = facts(dg_project)["runs"]
    assert run["status"] == "SUCCESS"
    events = [kind for key, kind, _ in run["steps"] if key == "faults__make_features" and kind in RETRY_EVENTS]
    assert events == ["STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_SUCCESS"]
    versions = {meta.get("kedro/save_version") for meta in run["materialized"].values()} - {None}
    assert len(versions) == 1 and summary_of(project, run) == {"label": "R", "rows": 2000}


def test_two_projects_run_at_once_on_one_instance(kedro_project, dg_project, postgres_db):
    """On a PostgreSQL instance, the storage Dagster supports for concurrent runs (a sqlite
    instance serialises writers and may report `database is locked` under load)."""
    dg_project.use_postgres(postgres_db)
    hooked, chores = kedro_project("hooked"), kedro_project("chores")
    dg_project.add_component("hooked", {"project_path": str(hooked)})
    dg_project.add_component("chores", {"project_path": str(chores), "runtime_params": {"db_seconds": 0.5}})

    launches = [launch_in_background(dg_project, MULTIPROCESS, job) for job in ("hooked__default", "chores__default")]
    results = [finish(launch) for launch in launches]

    runs = facts(dg_project)["runs"]
    assert [code for code, _ in results] == [0, 0], [r["messages"][-5:] for r in runs]
    assert sorted((r["job"], r["status"]) for r in runs) == [("chores__default", "SUCCESS"), ("hooked__default", "SUCCESS")]
    hooked_run, chores_run = sorted(runs, key=lambda r: r["job"] != "hooked__default")
    assert set(hooked_run["materialized"]) == {"doubled", "summary", "row_count", "checked"}
    assert set(chores_run["materialized"]) == {"fetched", "table_a", "table_b", "table_c", "report"}
    assert json.loads((hooked / "data/08_reporting/summary.json").read_text())["rows"] == 6
    assert json.loads((chores / "data/08_reporting/report.json").read_text())


def test_overlapping_runs_fail_or_wait_with_concurrency(kedro_project, dg_project, tmp_path):
    """overlap: fail refuses a second run before any node; overlap: wait serialises it."""
    project = kedro_project("faults")
    component = dg_project.add_component("faults", {"project_path": str(project), "concurrency": {"overlap": "fail"}})
    gate = tmp_path / "gate_a"

    run_a = launch_in_background(dg_project, run_config(label="A", gate=str(gate)))
    wait_for_file(Path(f"{gate}.waiting"), run_a)
    refused = dg_project.launch(job=JOB, config=run_config(label="B"), check=False)
    gate.write_text("open")
    code, output = finish(run_a)

    assert code == 0, output[-4000:]
    assert refused.returncode != 0
    runs = by_label(facts(dg_project)["runs"])
    assert runs["B"]["status"] == "FAILURE", runs["B"]["messages"]
    assert any(f"overlaps run(s) ['{runs['A']['run_id']}'] of concurrency pool 'kedro/faults'" in m
               for m in runs["B"]["messages"]), "\n".join(runs["B"]["messages"])
    assert runs["B"]["materialized"] == {}  # no node of B ran
    assert runs["B"]["tags"]["dagster-kedro/concurrency"] == "kedro/faults"  # for the queue's limits
    assert len(list((project / "data/02_intermediate/features.json").iterdir())) == 1
    assert runs["A"]["status"] == "SUCCESS" and summary_of(project, runs["A"])["label"] == "A"

    # overlap: wait; C holds the pool (A has ended: C frees its slot), D waits for C to end
    component.write_text(component.read_text().replace("overlap: fail", "overlap: wait"))
    gate_c = tmp_path / "gate_c"
    run_c = launch_in_background(dg_project, run_config(label="C", gate=str(gate_c)))
    wait_for_file(Path(f"{gate_c}.waiting"), run_c)
    run_d = launch_in_background(dg_project, run_config(label="D"))
    wait_for_message(dg_project, "Waiting for run(s)")  # D is waiting
    gate_c.write_text("open")
    results = [finish(run_c), finish(run_d)]

    assert [code for code, _ in results] == [0, 0], results
    runs = by_label(facts(dg_project)["runs"])
    d_started = min(ts for key, kind, ts in runs["D"]["steps"] if kind == "STEP_START")
    d_first_output = min(ts for key, kind, ts in runs["D"]["steps"] if kind == "STEP_OUTPUT")
    assert d_started < runs["C"]["end"] < d_first_output  # D's first step waited for C's end
    assert summary_of(project, runs["D"])["label"] == "D" and summary_of(project, runs["C"])["label"] == "C"
    with dg_project.instance() as instance:
        info = instance.event_log_storage.get_concurrency_info("kedro/faults")
    assert len(info.active_run_ids | info.assigned_run_ids) == 0  # both runs released the pool when they ended
