"""kedro-mlflow under Dagster: one MLflow run per Dagster run, across step processes and a
re-execution from failure (real mlflow and kedro-mlflow, a sqlite tracking store under tmp)."""

from __future__ import annotations

import json

from conftest import MULTIPROCESS
from processes import needs_extra
from test_failure import REEXECUTE_FROM_FAILURE

DAGSTER_SIDE = """
import json
from dagster import AssetKey, DagsterInstance
instance = DagsterInstance.get()
runs = {r.run_id: dict(r.tags) for r in instance.get_runs()}
metadata = {}
for name in ("model", "r2"):
    event = instance.get_latest_materialization_event(AssetKey(name))
    if event is not None:
        metadata[name] = {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}
print(json.dumps({"runs": runs, "metadata": metadata}, default=str))
"""


def mlflow_runs(tracking_uri: str) -> list:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    return [(run, [a.path for a in client.list_artifacts(run.info.run_id)]) for run in client.search_runs(experiments)]


def test_one_mlflow_run_per_dagster_run_across_processes_and_reexecution(kedro_project, dg_project, tmp_path):
    needs_extra("kedro_mlflow", "test-mlflow")
    project = kedro_project("tracked")
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    flag = tmp_path / "fail.flag"
    flag.write_text("fail")
    dg_project.env.update(MLFLOW_TRACKING_URI=tracking_uri, TRACKED_FAIL_FLAG=str(flag))
    dg_project.add_component("tracked", {"project_path": str(project)})

    # train_model and evaluate_model are two steps: two processes besides the run worker
    failed = dg_project.launch(job="tracked__default", config=MULTIPROCESS, check=False)
    assert failed.returncode != 0
    assert "evaluation asked to fail" in failed.stdout + failed.stderr

    [(run, artifacts)] = mlflow_runs(tracking_uri)
    assert (run.info.run_name, run.info.status) == ("tracked-training", "FAILED")
    assert run.data.params == {"alpha": "0.5", "fit_intercept": "True"}  # logged in train_model's process
    assert artifacts == ["model.pkl"]
    assert run.data.metrics == {}
    dagster = json.loads(dg_project.python(DAGSTER_SIDE).stdout)
    [(first_id, first_tags)] = dagster["runs"].items()
    assert first_tags["mlflow/run_id"] == run.info.run_id
    assert first_tags["mlflow/tracking_uri"] == tracking_uri
    assert run.data.tags["dagster/run_id"] == first_id
    assert run.data.tags["run_id"] == first_id  # kedro-mlflow's own tag: run_params["run_id"]
    assert dagster["metadata"]["model"]["mlflow/run_id"] == run.info.run_id

    flag.unlink()
    result = json.loads(dg_project.python(REEXECUTE_FROM_FAILURE).stdout.strip().splitlines()[-1])
    assert (result["success"], result["steps"]) == (True, ["tracked__evaluate_model"])

    [(resumed, artifacts)] = mlflow_runs(tracking_uri)  # still one run, now finished
    assert (resumed.info.run_id, resumed.info.status) == (run.info.run_id, "FINISHED")
    assert resumed.data.params == {"alpha": "0.5", "fit_intercept": "True"}
    assert set(resumed.data.metrics) == {"r2"} and resumed.data.metrics["r2"] > 0.99
    assert artifacts == ["model.pkl"]
    assert resumed.data.tags["dagster/run_id"] == result["run_id"]
    dagster = json.loads(dg_project.python(DAGSTER_SIDE).stdout)
    assert dagster["runs"][result["run_id"]]["mlflow/run_id"] == run.info.run_id
    assert dagster["metadata"]["r2"]["mlflow/run_id"] == run.info.run_id
