"""Projects run by their own interpreters (``python_executable``) on the distributed engines: the
celery executor (a Redis broker and a celery worker on 127.0.0.1) and the dask executor (a local
cluster of two worker processes). tests/test_isolated_envs.py covers multiprocess and in_process.

One run materializes both conflicting projects (iso_a pins pandas 2, iso_b pandas 3). Each step
runs in an engine worker, which starts the project's interpreter through Pipes: the node hooks
must fire in that interpreter, as a child of an engine worker; the pipeline hooks once, in the
same interpreter, as children of the run worker. Outputs must equal each project's own
``kedro run`` in its own venv. The component state is written first, so the run worker and each
engine worker load from it, as in a deployment, rather than each starting both projects'
interpreters to read them live (tests/test_isolated_envs.py covers live reads).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import latest_run_logs
from isolated_envs import assert_ran_in_own_interpreters, project_venv
from processes import needs_extra
from test_celery import celery_worker, redis_url  # noqa: F401 (a fixture)
from test_dask import LOCAL_CLUSTER

PROJECTS = ("iso_a", "iso_b")


@pytest.fixture(scope="module")
def venvs():
    return {name: project_venv(name) for name in PROJECTS}


def _add_projects(dg_project, kedro_project, venvs, executor: dict) -> dict[str, Path]:
    projects = {name: kedro_project(name) for name in PROJECTS}
    for name, project in projects.items():
        dg_project.add_component(
            name,
            {
                "project_path": str(project),
                "python_executable": str(venvs[name]),
                "key_prefix": [name],
                "executors": {"engine": executor},
                "executor": "engine",
                # read once, here: every process that loads the location (the run worker, each
                # engine worker) then loads from state instead of starting both interpreters
                "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False},
            },
        )
    dg_project.dg("utils", "refresh-defs-state")
    return projects


def test_isolated_projects_on_celery_workers(venvs, redis_url, kedro_project, dg_project, tmp_path):  # noqa: F811
    projects = _add_projects(
        dg_project, kedro_project, venvs, {"type": "celery", "config": {"broker": redis_url, "backend": redis_url}}
    )
    with celery_worker(dg_project, redis_url, tmp_path) as (worker_pids, worker_log):
        launched = dg_project.launch(assets="*")
        assert "RUN_SUCCESS" in launched.stdout + launched.stderr

    step_parents, run_parents = assert_ran_in_own_interpreters(
        projects, venvs, latest_run_logs(dg_project)["run_id"], tmp_path
    )
    # each step's interpreter was started by a celery worker process, the pipeline hooks' by the run worker
    assert step_parents and step_parents <= worker_pids, (step_parents, worker_pids)
    assert len(run_parents) == 1 and not run_parents & worker_pids
    assert "celery" in worker_log.read_text()


def test_isolated_projects_on_a_local_dask_cluster(venvs, kedro_project, dg_project, tmp_path):
    needs_extra("dagster_dask", "dask")
    projects = _add_projects(
        dg_project, kedro_project, venvs, {"type": "dask", "config": {"cluster": {"local": LOCAL_CLUSTER}}}
    )

    launched = dg_project.launch(assets="*")

    assert "RUN_SUCCESS" in launched.stdout + launched.stderr
    step_parents, run_parents = assert_ran_in_own_interpreters(
        projects, venvs, latest_run_logs(dg_project)["run_id"], tmp_path
    )
    # the steps' interpreters were started by the cluster's (at most two) workers, not the run worker
    assert 1 <= len(step_parents) <= 2, step_parents
    assert len(run_parents) == 1 and not run_parents & step_parents
