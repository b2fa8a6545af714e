"""Named credentials: never needed to load, resolved by Kedro in the step, never shown.

The ``secured`` fixture project writes a ``pandas.SQLTableDataset`` through ``credentials:
warehouse``; its connection string (holding a secret token) comes from ``${oc.env:...}`` in a
``conf/local/credentials.yml`` that exists only where the run happens, as in a deployment whose
secrets are mounted at run time. Its report path comes from ``${globals:reports_root}``.
"""

from __future__ import annotations

import json

import conftest
from conftest import IN_PROCESS, kedro_outputs, run_kedro

conftest.KEDRO_PROJECTS.setdefault("secured", conftest.REPO / "tests" / "fixtures" / "kedro_projects" / "secured")

TOKEN = "s3cr3t-7f2c9d"  # part of the connection string: must never leave the step
CREDENTIALS = "warehouse:\n  con: ${oc.env:SECURED_WAREHOUSE_URL}\n"

def event_text(dg_project) -> str:
    """Every event of every run of the project's instance, as its repr shows it."""
    with dg_project.instance() as instance:
        return repr([(e.user_message, e.dagster_event) for run in instance.get_runs() for e in instance.all_logs(run.run_id)])


def stateful_component(kedro_project, dg_project, tmp_path):
    project = kedro_project("secured")
    dg_project.add_component(
        "secured",
        {"project_path": str(project), "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False}},
    )
    database = tmp_path / f"warehouse-{TOKEN}.db"
    return project, database


def test_load_needs_no_credentials_and_the_run_reads_them_where_it_happens(kedro_project, dg_project, tmp_path):
    project, database = stateful_component(kedro_project, dg_project, tmp_path)
    assert not (project / "conf" / "local" / "credentials.yml").exists()
    refreshed = dg_project.dg("utils", "refresh-defs-state")  # an image build: no secrets here
    listed = dg_project.dg("list", "defs", "--json")
    assets = {a["asset_key"]: a for a in json.loads(listed.stdout)["assets"]}
    assert set(assets) == {"numbers", "scores", "score_summary"}

    (project / "conf" / "local" / "credentials.yml").write_text(CREDENTIALS)  # mounted at run time
    dg_project.env["SECURED_WAREHOUSE_URL"] = f"sqlite:///{database}"
    launched = dg_project.launch(job="secured__default", config=IN_PROCESS)

    reference = kedro_project("secured", folder="reference")
    (reference / "conf" / "local" / "credentials.yml").write_text(CREDENTIALS)
    run_kedro(reference, env={"SECURED_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'reference.db'}"})
    ours, theirs = kedro_outputs(project), kedro_outputs(reference)
    assert set(ours) == set(theirs) == {"08_reporting/score_summary.json"}  # ${globals:reports_root}
    assert json.loads(ours["08_reporting/score_summary.json"].read_text()) == {"rows": 6, "total": 291}
    assert database.exists()

    state_files = [p for p in dg_project.root.rglob("state") if p.is_file()]
    assert state_files
    shown = [refreshed.stdout, refreshed.stderr, listed.stdout, listed.stderr, launched.stdout, launched.stderr,
             event_text(dg_project), *(p.read_text() for p in state_files)]
    assert not any(TOKEN in text for text in shown)


def test_credentials_missing_where_the_run_happens_are_one_clear_step_error(kedro_project, dg_project, tmp_path):
    project, _ = stateful_component(kedro_project, dg_project, tmp_path)
    (project / "conf" / "local" / "credentials.yml").write_text("other_db:\n  con: sqlite:///x.db\n")
    result = dg_project.launch(job="secured__default", config=IN_PROCESS, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{project / 'conf' / 'base' / 'catalog.yml'}: scores.credentials = 'warehouse'" in output
    assert "names credentials 'warehouse', which no credentials file of this environment defines" in output
    assert "Fix: add a 'warehouse' entry to conf/<env>/credentials.yml where the run happens" in output
