"""kedro-mlflow under Dagster: one MLflow run per Dagster run, across step processes and a
re-execution from failure (real mlflow and kedro-mlflow, a sqlite tracking store under tmp)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey
from filelock import FileLock

from conftest import IN_PROCESS, MULTIPROCESS
from processes import needs, needs_extra
from test_failure import REEXECUTE_FROM_FAILURE

KEDRO_MLFLOW = "DAGSTER_KEDRO_TEST_KEDRO_MLFLOW"
# flattened as the fixture's mlflow.yml asks, in whichever process train_model runs
PARAMS = {"model_options.alpha": "0.5", "model_options.fit_intercept": "True"}

def dagster_side(dg_project) -> dict:
    """Each run's tags, and the metadata of the latest materializations of ``model`` and ``r2``."""
    with dg_project.instance() as instance:
        runs = {r.run_id: dict(r.tags) for r in instance.get_runs()}
        metadata = {}
        for name in ("model", "r2"):
            event = instance.get_latest_materialization_event(AssetKey(name))
            if event is not None:
                metadata[name] = {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}
    return {"runs": runs, "metadata": metadata}


KEDRO_MLFLOW_REQUIREMENT = "kedro-mlflow==2.0.3"


def kedro_mlflow_folder() -> str:
    """A folder holding kedro-mlflow, put on the PYTHONPATH of this test's processes only:
    installed in the test environment itself, its hooks would track every other test's Kedro
    runs into its default ``./mlruns`` file store, which MLflow 3 refuses (their runs fail).

    ``$DAGSTER_KEDRO_TEST_KEDRO_MLFLOW`` names it; by default it is a cache folder that the
    first run fills with ``pip install --no-deps --target`` (its dependencies, mlflow and
    scikit-learn, come with the test extra), so the README's test command needs no extra step."""
    default = Path.home() / ".cache" / "dagster-kedro-tests" / KEDRO_MLFLOW_REQUIREMENT.replace("==", "-")
    folder = Path(os.environ.get(KEDRO_MLFLOW) or default)
    if not (folder / "kedro_mlflow").is_dir():
        with FileLock(str(folder) + ".lock"):  # two xdist workers may both get here first
            if not (folder / "kedro_mlflow").is_dir():
                installed = subprocess.run(
                    [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder),
                     KEDRO_MLFLOW_REQUIREMENT], capture_output=True, text=True,
                )
                needs(installed.returncode == 0, f"cannot install {KEDRO_MLFLOW_REQUIREMENT}: {installed.stderr[-500:]}")
    return str(folder)


def mlflow_runs(tracking_uri: str) -> list:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    return [(run, [a.path for a in client.list_artifacts(run.info.run_id)]) for run in client.search_runs(experiments)]


def test_one_mlflow_run_per_dagster_run_across_processes_and_reexecution(kedro_project, dg_project, tmp_path, monkeypatch):
    needs_extra("mlflow", "test")
    folder = kedro_mlflow_folder()
    project = kedro_project("tracked")
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    flag = tmp_path / "fail.flag"
    flag.write_text("fail")
    # the dg processes' PYTHONPATH (after the dg project's own code, see DgProject.process_env)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (folder, os.environ.get("PYTHONPATH")) if p))
    dg_project.env.update(MLFLOW_TRACKING_URI=tracking_uri, TRACKED_FAIL_FLAG=str(flag))
    dg_project.add_component("tracked", {"project_path": str(project)})

    # train_model and evaluate_model are two steps: two processes besides the run worker
    failed = dg_project.launch(job="tracked__default", config=MULTIPROCESS, check=False)
    assert failed.returncode != 0
    assert "evaluation asked to fail" in failed.stdout + failed.stderr

    [(run, artifacts)] = mlflow_runs(tracking_uri)
    assert (run.info.run_name, run.info.status) == ("tracked-training", "FAILED")
    assert run.data.params == PARAMS  # logged in train_model's process
    assert artifacts == ["model.pkl"]
    assert run.data.metrics == {}
    first_id = run.data.tags["dagster/run_id"]
    assert run.data.tags["run_id"] == first_id  # kedro-mlflow's own tag: run_params["run_id"]

    flag.unlink()
    result = json.loads(dg_project.python(REEXECUTE_FROM_FAILURE).stdout.strip().splitlines()[-1])
    assert (result["success"], result["steps"]) == (True, ["tracked__evaluate_model"])

    [(resumed, artifacts)] = mlflow_runs(tracking_uri)  # still one run, now finished
    assert (resumed.info.run_id, resumed.info.status) == (run.info.run_id, "FINISHED")
    assert resumed.data.params == PARAMS
    assert set(resumed.data.metrics) == {"r2"} and resumed.data.metrics["r2"] > 0.99
    assert artifacts == ["model.pkl"]
    assert resumed.data.tags["dagster/run_id"] == result["run_id"]
    dagster = dagster_side(dg_project)
    assert set(dagster["runs"]) == {first_id, result["run_id"]}
    for tags in dagster["runs"].values():
        assert (tags["mlflow/run_id"], tags["mlflow/tracking_uri"]) == (run.info.run_id, tracking_uri)
    # model: materialized by the failed run, in train_model's process; r2: by the re-execution
    for asset in ("model", "r2"):
        assert dagster["metadata"][asset]["mlflow/run_id"] == run.info.run_id
    assert dagster["metadata"]["model"]["mlflow/artifact_uri"] == resumed.info.artifact_uri


def test_in_process_run_logs_into_kedro_mlflows_run_and_an_untracked_pipeline_logs_nothing(
    kedro_project, dg_project, tmp_path, monkeypatch
):
    """The default executor of a component's jobs: steps run in the run worker, where
    kedro-mlflow's run is active already; dagster-kedro only records it. Then a pipeline that
    mlflow.yml disables: no MLflow run, and no step process starts one of its own."""
    needs_extra("mlflow", "test")
    folder = kedro_mlflow_folder()
    project = kedro_project("tracked")
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (folder, os.environ.get("PYTHONPATH")) if p))
    dg_project.env.update(MLFLOW_TRACKING_URI=tracking_uri)
    dg_project.add_component("tracked", {"project_path": str(project)})

    dg_project.launch(job="tracked__default", config=IN_PROCESS)

    [(run, artifacts)] = mlflow_runs(tracking_uri)
    assert run.info.status == "FINISHED"
    assert (run.data.params, set(run.data.metrics), artifacts) == (PARAMS, {"r2"}, ["model.pkl"])
    dagster = dagster_side(dg_project)
    [tags] = dagster["runs"].values()
    assert tags["mlflow/run_id"] == run.info.run_id
    assert {dagster["metadata"][asset]["mlflow/run_id"] for asset in ("model", "r2")} == {run.info.run_id}

    # one step process (group_by pipeline) holds both nodes: no run worker's MLflow state there
    dg_project.add_component("tracked", {"project_path": str(project), "env": "untracked", "group_by": "pipeline"})
    dg_project.launch(job="tracked__default", config=MULTIPROCESS)

    assert [r.info.run_id for r, _ in mlflow_runs(tracking_uri)] == [run.info.run_id]
    dagster = dagster_side(dg_project)
    assert sum("mlflow/run_id" not in tags for tags in dagster["runs"].values()) == 1
    assert "mlflow/run_id" not in dagster["metadata"]["r2"]  # the untracked run's, saved without MLflow


def test_the_run_link_is_the_mlflow_ui_page_of_a_tracking_server_only():
    from dagster_kedro.mlflow_runs import run_url

    assert run_url("http://127.0.0.1:5000/", "3", "abc") == "http://127.0.0.1:5000/#/experiments/3/runs/abc"
    assert run_url("https://mlflow.example.com", "3", "abc") == "https://mlflow.example.com/#/experiments/3/runs/abc"
    assert run_url("sqlite:////srv/mlflow.db", "3", "abc") is None
    assert run_url("file:///srv/mlruns", "3", "abc") is None
