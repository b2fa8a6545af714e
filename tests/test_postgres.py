"""A Kedro job on a PostgreSQL-backed Dagster instance (dagster-postgres run, event log and
schedule storage), on the server .ci/services.sh starts on 127.0.0.1.

Each test gets a database of its own (conftest's ``postgres_db``), so parallel tests never share
runs. The job fails in
`dg launch` under the multiprocess executor, is re-executed from failure on the same instance,
and then the outputs must equal `kedro run`'s, and both runs and their events must be in
PostgreSQL: the instance API reads them back, and no sqlite file appears in DAGSTER_HOME.
"""

from __future__ import annotations

import json
import sys

import pytest

from conftest import MULTIPROCESS, run_kedro
from test_execution import assert_same_outputs
from test_failure import REEXECUTE_FROM_FAILURE

def test_kedro_job_and_reexecution_on_a_postgres_instance(postgres_db, kedro_project, dg_project, tmp_path):
    from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    reference = kedro_project("hooked", "reference")
    run_kedro(reference)
    project = kedro_project("hooked")
    flag = tmp_path / "fail.flag"
    flag.write_text("fail")
    dg_project.env["HOOKED_FAIL_FLAG"] = str(flag)
    dg_project.use_postgres(postgres_db)
    dg_project.add_component("hooked", {"project_path": str(project)})

    failed = dg_project.launch(job="hooked__default", config=MULTIPROCESS, check=False)
    assert failed.returncode != 0
    assert "boom: asked to fail" in failed.stdout + failed.stderr
    flag.unlink()
    reexecuted = json.loads(dg_project.python(REEXECUTE_FROM_FAILURE).stdout.strip().splitlines()[-1])

    assert (reexecuted["success"], reexecuted["steps"]) == (True, ["hooked__maybe_fail"])
    assert_same_outputs(reference, project)
    with DagsterInstance.from_config(str(dg_project.home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        second, first = instance.get_runs()
        assert (first.status, second.status) == (DagsterRunStatus.FAILURE, DagsterRunStatus.SUCCESS)
        assert second.parent_run_id == first.run_id
        failures = [e.step_key for e in instance.all_logs(first.run_id, of_type=DagsterEventType.STEP_FAILURE)]
        assert failures == ["hooked__maybe_fail"]
        checked = instance.get_latest_materialization_event(AssetKey("checked"))
        assert checked is not None and checked.run_id == second.run_id
        doubled = instance.get_latest_materialization_event(AssetKey("doubled"))
        assert doubled is not None and doubled.run_id == first.run_id  # kept from the failed run
    assert not [p for p in dg_project.home.rglob("*.db")]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
