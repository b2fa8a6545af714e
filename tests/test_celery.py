"""A Kedro job on a real distributed engine: the celery executor, a Redis broker and a celery
worker process, all on 127.0.0.1.

The test starts its own redis-server (on a free port, so it never meets another test's broker)
and a fresh `dagster-celery worker` with two worker processes, and stops both at the end. With
group_by: node the memory dataset clean_numbers crosses steps, and so workers, through Dagster's
filesystem IO manager in the persistent DAGSTER_HOME. Outputs must equal `kedro run`'s, and the
Kedro node hooks must fire in the worker processes.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import BIN, read_records, run_kedro
from processes import free_port, needs, needs_extra, stop, wait_for
from test_execution import assert_same_outputs

REDIS = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path):
    needs_extra("dagster_celery", "celery")
    needs(REDIS is not None, "needs redis-server: apt-get install redis-server (or source .ci/services.sh)")
    port = free_port()
    server = subprocess.Popen(
        [REDIS, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )

    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        wait_for(ready, 20, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(server)


def test_kedro_job_on_celery_workers(redis_url, kedro_project, dg_project, tmp_path):
    reference = kedro_project("hooked", "reference")
    run_kedro(reference)
    project = kedro_project("hooked")
    records_file = tmp_path / "records.jsonl"
    dg_project.env["HOOKED_RECORD_FILE"] = str(records_file)
    celery_config = {"broker": redis_url, "backend": redis_url}
    dg_project.add_component(
        "hooked",
        {
            "project_path": str(project),
            "group_by": "node",
            "executors": {"workers": {"type": "celery", "config": celery_config}},
            "executor": "workers",
        },
    )
    with celery_worker(dg_project, redis_url, tmp_path) as (worker_pids, worker_log):
        launched = dg_project.launch(job="hooked__default")
        assert "RUN_SUCCESS" in launched.stdout + launched.stderr

    assert_same_outputs(reference, project)
    records = read_records(records_file)
    node_pids = {r["pid"] for r in records if r["hook"] == "before_node_run"}
    pipeline_pids = {r["pid"] for r in records if r["hook"] in ("before_pipeline_run", "after_pipeline_run")}
    ran = sorted(r["node"] for r in records if r["hook"] == "after_node_run")
    assert ran == ["count_rows", "double_numbers", "load_numbers", "maybe_fail", "summarise"]
    # node hooks fired inside celery's worker processes, pipeline hooks once in the run worker
    assert node_pids and node_pids <= worker_pids, (node_pids, worker_pids)
    assert len(pipeline_pids) == 1 and not pipeline_pids & worker_pids
    assert [r["hook"] for r in records if r["hook"].endswith("pipeline_run")] == [
        "before_pipeline_run", "after_pipeline_run"
    ]
    # the memory dataset crossed workers through the filesystem IO manager in DAGSTER_HOME
    assert (dg_project.home / "storage" / "clean_numbers").is_file()
    assert "celery" in worker_log.read_text()


@contextmanager
def celery_worker(dg_project, redis_url: str, tmp_path: Path) -> Iterator[tuple[set[int], Path]]:
    """A `dagster-celery worker` with two prefork processes on ``redis_url``, in ``dg_project``'s
    environment, ready; yields its processes' pids and its log, and stops it on exit."""
    config_yaml = tmp_path / "celery.yaml"
    config_yaml.write_text(f"execution:\n  config:\n    broker: '{redis_url}'\n    backend: '{redis_url}'\n")
    worker_log = tmp_path / "worker.log"
    with worker_log.open("w") as log:
        worker = subprocess.Popen(
            [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app", "-y", str(config_yaml),
             "--", "--concurrency=2", "--pool=prefork"],
            cwd=dg_project.root,
            env=dg_project.process_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: "ready." in worker_log.read_text(), 90, f"the celery worker ({worker_log})")
        yield descendants(worker.pid), worker_log
    finally:
        stop(worker)


def descendants(pid: int) -> set[int]:
    """Pids of every process below ``pid`` (from /proc: Linux)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
