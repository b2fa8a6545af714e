"""Beyond the data files: what Kedro plugins and the project's logging see under Dagster.

kedro-viz (installed in the test environment, its hooks registered through the `kedro.hooks`
entry point) writes `.viz/` into the project it finds from the working directory, and only for
whole runs of Kedro's sequential runner; the project's `conf/logging.yml` writes `info.log`
relative to the working directory. After a default-job run both are where `kedro run` puts them.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import IN_PROCESS, MULTIPROCESS, run_kedro

# conf/logging.yml of Kedro's spaceflights starter, for the `hooked` package
LOGGING_YML = """\
version: 1
disable_existing_loggers: False
formatters:
  simple:
    format: "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
handlers:
  console:
    class: logging.StreamHandler
    level: INFO
    formatter: simple
    stream: ext://sys.stdout
  info_file_handler:
    class: logging.handlers.RotatingFileHandler
    level: INFO
    formatter: simple
    filename: info.log
    maxBytes: 10485760 # 10MB
    backupCount: 20
    encoding: utf8
    delay: True
  rich:
    class: kedro.logging.RichHandler
    rich_tracebacks: True
loggers:
  kedro:
    level: INFO
  hooked:
    level: INFO
root:
  handlers: [rich, info_file_handler]
"""


def with_logging_config(project):
    (project / "conf" / "logging.yml").write_text(LOGGING_YML)
    return project


def viz_files(project):
    return sorted(p.name for p in (project / ".viz").iterdir()) if (project / ".viz").is_dir() else []


def viz_events(project):
    events = json.loads((project / ".viz" / "kedro_pipeline_events.json").read_text())
    return Counter((e["event"], e.get("node"), e.get("dataset"), e.get("size")) for e in events)


@pytest.mark.parametrize("executor", [IN_PROCESS, MULTIPROCESS], ids=["in_process", "multiprocess"])
def test_default_job_writes_kedro_viz_files_and_the_projects_info_log_like_kedro_run(executor, kedro_project, dg_project):
    reference = with_logging_config(kedro_project("hooked", "reference"))
    run_kedro(reference)
    project = with_logging_config(kedro_project("hooked"))
    dg_project.add_component("hooked", {"project_path": str(project)})
    dg_project.env["COLUMNS"] = "500"  # rich prints each record on one line

    result = dg_project.launch(job="hooked__default", config=executor)

    assert viz_files(project) == viz_files(reference) == ["kedro_pipeline_events.json", "stats.json"]
    assert not (dg_project.root / ".viz").exists()
    if executor is IN_PROCESS:  # node hooks fire in the run worker: kedro-viz saw every node
        assert viz_events(project) == viz_events(reference)
        assert json.loads((project / ".viz/stats.json").read_text()) == json.loads((reference / ".viz/stats.json").read_text())
    log = (project / "info.log").read_text()
    assert "hooked.settings" not in log
    for line in ("kedro.io.data_catalog - INFO - Loading data from numbers", "kedro.pipeline.node - INFO - Running node: maybe_fail"):
        assert line in log
        assert line in (reference / "info.log").read_text()
    assert not (dg_project.root / "info.log").exists()
    # printed once: by the project's console handler into the compute logs (an INFO record is no
    # event), or as a Dagster event (records of the pipeline hooks, in the run worker)
    output = result.stdout + result.stderr
    assert output.count("Loading data from numbers") == 1
    records = [line.split(" - INFO - ", 1)[1] for line in log.splitlines() if " - kedro." in line and " - INFO - " in line]
    assert len(records) >= 15, log
    assert {record: output.count(record) for record in records} == Counter(records)  # as often as logged
    # and none of the lines the user cannot act on
    assert "as logging configuration" not in output
    assert "register_new_resolver" not in output
