"""The monorepo example's code location (examples/dagster_project), loaded in process: its third
project, company_ratings, pins pandas 2 while this interpreter has pandas 3, so its own venv
(``python_executable``; tests/example_location.py links the cached one) reads it and runs its
node. The run's output must equal ``kedro run``'s in that venv and carry its pandas version."""

from __future__ import annotations

import sys

import dagster as dg
import pandas as pd
from dagster._utils.test.definitions import scoped_definitions_load_context

from conftest import copy_kedro_project, kedro_outputs
from example_location import copy_example
from isolated_envs import kedro_run_in_venv, project_venv

OUTPUT = "08_reporting/ratings_by_location.csv"


def test_the_example_runs_company_ratings_in_its_own_venv(tmp_path, monkeypatch):
    assert pd.__version__.startswith("3.")  # the code location's pandas: not the project's
    project = copy_example(tmp_path / "examples")
    ratings = project.root.parent / "kedro_projects" / "company_ratings"
    monkeypatch.syspath_prepend(str(project.root / "src"))
    try:
        with scoped_definitions_load_context():
            defs = dg.load_from_defs_folder(project_root=project.root)
        upstream = defs.resolve_asset_graph().asset_dep_graph["upstream"]
        # spaceflights' raw companies asset, mapped by `inputs:`
        assert upstream[dg.AssetKey("ratings_by_location")] == {dg.AssetKey("companies")}
        with dg.DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("company_ratings__default").execute_in_process(instance=instance)
            materialization = instance.get_latest_materialization_event(dg.AssetKey("ratings_by_location"))
    finally:
        for module in [m for m in sys.modules if m.split(".")[0] == "kedro_demo"]:
            del sys.modules[module]

    assert result.success
    metadata = materialization.asset_materialization.metadata
    assert (metadata["kedro/node"].value, metadata["dagster/row_count"].value) == ("ratings_by_location", 8)
    written = kedro_outputs(ratings)
    assert sorted(written) == [OUTPUT]
    assert {row.split(",")[-1] for row in written[OUTPUT].read_text().splitlines()[1:]} == {"2.2.3"}
    reference = tmp_path / "reference"
    copy_kedro_project("spaceflights", reference)  # company_ratings reads ../spaceflights' raw data
    kedro_run_in_venv(copy_kedro_project("company_ratings", reference), project_venv("company_ratings"))
    assert written[OUTPUT].read_text() == (reference / "company_ratings" / "data" / OUTPUT).read_text()
