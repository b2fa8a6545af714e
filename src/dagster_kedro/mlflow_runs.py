"""One MLflow run per Dagster run, for Kedro projects tracked with kedro-mlflow.

kedro-mlflow opens its MLflow run in ``before_pipeline_run`` and keeps it as the *active* run of
the process (MLflow's fluent API, per thread); its ``before_node_run`` logs node parameters and
its datasets (``MlflowMetricDataset``, ``MlflowArtifactDataset``, model datasets) log into that
active run. Under Dagster the pipeline hooks fire once per run in the run worker, while nodes run
in step processes (multiprocess, dask, celery, k8s) that have no active run: each would start a
run of its own on its first ``log_param`` (or fail, for a metric dataset). So:

* in the run worker, around kedro-mlflow's ``before_pipeline_run`` (:func:`pipeline_run`): a
  re-execution sets ``MLFLOW_RUN_ID`` to its parent run's MLflow run, which MLflow's
  ``start_run`` (called by kedro-mlflow) resumes, so the MLflow run continues; afterwards the
  MLflow run is recorded on the Dagster run as tags (:data:`RUN_ID_TAG` and friends), and the
  Dagster run id and job on the MLflow run;
* in each step (:func:`step_run`), after the Kedro session is open (kedro-mlflow's
  ``after_context_created`` has pointed MLflow at the project's tracking store), the run named
  by the tag becomes the step's active run and is detached again after the nodes with its status
  left RUNNING: only the run worker's ``after_pipeline_run`` / ``on_pipeline_error`` (again
  kedro-mlflow's) end it. In the run worker's own process (the in-process executor) the run is
  already active and is left alone. What kedro-mlflow's ``before_pipeline_run`` sets up for the
  nodes (whether they log, how parameters are logged) is set up the same way for the step;
  a Dagster run without an MLflow run (a pipeline ``mlflow.yml`` disables) logs nothing.

Nothing happens unless the session's hook manager holds kedro-mlflow's hook (its ``kedro.hooks``
entry point, or ``settings.HOOKS``); kedro-mlflow is never imported here otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import dagster as dg

RUN_ID_TAG = "mlflow/run_id"
"""Dagster run tag (and materialization metadata): the MLflow run the Dagster run logged to."""
EXPERIMENT_ID_TAG = "mlflow/experiment_id"
TRACKING_URI_TAG = "mlflow/tracking_uri"
ARTIFACT_URI_TAG = "mlflow/artifact_uri"
RUN_URL_TAG = "mlflow/run_url"
"""The run's page in the MLflow UI, when the tracking URI is an http(s) server."""


def kedro_mlflow_hook(hook_manager: Any) -> Any | None:
    """kedro-mlflow's hook object if ``hook_manager`` has it registered, else None.

    A registered kedro-mlflow hook has imported its module already; without it nothing of
    kedro-mlflow (or MLflow, a multi-second import) is imported."""
    module = sys.modules.get("kedro_mlflow.framework.hooks.mlflow_hook")
    if module is None:
        return None
    return next((p for p in hook_manager.get_plugins() if isinstance(p, module.MlflowHook)), None)


@contextmanager
def pipeline_run(instance: dg.DagsterInstance, dagster_run: dg.DagsterRun, hook_manager: Any) -> Iterator[None]:
    """Around ``before_pipeline_run`` in the run worker: continue the parent's MLflow run on a
    re-execution, then record the MLflow run that kedro-mlflow opened on the Dagster run."""
    if kedro_mlflow_hook(hook_manager) is None:
        yield
        return
    import mlflow

    previous = _parent_mlflow_run(instance, dagster_run)
    resume = bool(previous) and "MLFLOW_RUN_ID" not in os.environ  # one set by the user wins
    if resume:
        os.environ["MLFLOW_RUN_ID"] = previous  # read (and removed) by mlflow.start_run
    try:
        yield
    finally:
        if resume:
            os.environ.pop("MLFLOW_RUN_ID", None)  # unused: tracking disabled, or an error
    active = mlflow.active_run()
    if active is None:  # kedro-mlflow's tracking is disabled for this pipeline
        return
    mlflow.set_tags({"dagster/run_id": dagster_run.run_id, "dagster/job_name": dagster_run.job_name})
    instance.add_run_tags(dagster_run.run_id, run_tags(active, mlflow.get_tracking_uri()))


def _parent_mlflow_run(instance: dg.DagsterInstance, dagster_run: dg.DagsterRun) -> str | None:
    """The MLflow run of the run this one re-executes: its own tag when it inherited its parent's
    tags (run retries do, the UI's re-execution may), else the parent run's tag (``execute_job``
    with ``ReexecutionOptions`` copies none)."""
    if RUN_ID_TAG in dagster_run.tags:
        return dagster_run.tags[RUN_ID_TAG]
    parent = instance.get_run_by_id(dagster_run.parent_run_id) if dagster_run.parent_run_id else None
    return parent.tags.get(RUN_ID_TAG) if parent else None


def run_tags(run: Any, tracking_uri: str) -> dict[str, str]:
    """The Dagster run tags naming an MLflow run: its id, experiment, store and where to see it."""
    tags = {
        RUN_ID_TAG: run.info.run_id,
        EXPERIMENT_ID_TAG: run.info.experiment_id,
        TRACKING_URI_TAG: tracking_uri,
        ARTIFACT_URI_TAG: run.info.artifact_uri,
    }
    url = run_url(tracking_uri, run.info.experiment_id, run.info.run_id)
    if url:
        tags[RUN_URL_TAG] = url
    return tags


def run_url(tracking_uri: str, experiment_id: str, run_id: str) -> str | None:
    """The MLflow UI's page of a run on an http(s) tracking server; None for a local store."""
    if urlparse(tracking_uri).scheme not in ("http", "https"):
        return None
    return f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


@contextmanager
def step_run(context: dg.AssetExecutionContext, hook_manager: Any, catalog: Any) -> Iterator[dict[str, Any]]:
    """The Dagster run's MLflow run, active while a step's nodes run; yields the metadata that
    each materialization of the step carries. A Dagster run without an MLflow run (tracking
    disabled for the pipeline in ``mlflow.yml``, or no pipeline hooks: ``dg.materialize``) logs
    nothing, as kedro-mlflow's ``before_pipeline_run`` arranges for a disabled pipeline."""
    hook = kedro_mlflow_hook(hook_manager)
    if hook is None:
        yield {}
        return
    import mlflow

    # read again: the run worker tagged the run after this process's copy may have been taken
    tags = context.instance.get_run_by_id(context.run_id).tags
    run_id = tags.get(RUN_ID_TAG)
    if run_id is None:
        _as_before_pipeline_run(hook, catalog, tracked=False)
        yield {}
        return
    metadata: dict[str, Any] = {RUN_ID_TAG: run_id}
    if RUN_URL_TAG in tags:
        metadata[RUN_URL_TAG] = dg.MetadataValue.url(tags[RUN_URL_TAG])
    elif ARTIFACT_URI_TAG in tags and urlparse(tags[ARTIFACT_URI_TAG]).scheme in ("", "file"):
        metadata[ARTIFACT_URI_TAG] = dg.MetadataValue.path(urlparse(tags[ARTIFACT_URI_TAG]).path)
    active = mlflow.active_run()
    if active is not None:  # the run worker's own process, where kedro-mlflow opened it
        yield metadata if active.info.run_id == run_id else {}
        return
    mlflow.start_run(run_id=run_id)
    _as_before_pipeline_run(hook, catalog, tracked=True)
    try:
        yield metadata
    finally:
        mlflow.end_run(status="RUNNING")  # detach: the run worker ends the run, once


def _as_before_pipeline_run(hook: Any, catalog: Any, tracked: bool) -> None:
    """What kedro-mlflow's ``before_pipeline_run`` (2.0.3) sets up for the nodes, done the same
    way for a step process, where that hook does not fire: whether node parameters and the
    catalog's MLflow datasets log at all, and how parameters are logged (``tracking.params`` of
    ``mlflow.yml``: flattening, long values; its config was read in this process, in
    ``after_context_created``)."""
    from kedro_mlflow.io.catalog.switch_catalog_logging import switch_catalog_logging

    hook._is_mlflow_enabled = tracked
    switch_catalog_logging(catalog, tracked)
    if not tracked:
        return
    options = hook.mlflow_config.tracking.params
    hook.flatten = options.dict_params.flatten
    hook.recursive = options.dict_params.recursive
    hook.sep = options.dict_params.sep
    hook.long_params_strategy = options.long_params_strategy
