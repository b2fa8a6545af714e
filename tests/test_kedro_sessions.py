"""What one process keeps of Kedro across a run's steps (``kedro_sessions``), and what it must not
keep across runs: the catalog configuration is read once per run, not once per step, and a run
started after an edit of the catalog sees the edit."""

from __future__ import annotations

import logging
import os
from collections import Counter

import dagster as dg

from conftest import loaded_in_process, read_records
from dagster_kedro.kedro_runtime import configure_project_logging
from dagster_kedro.logging_scope import isolated_logging

RECORDING_LOADER = '''

import json as _json
import os as _os

from kedro.config import OmegaConfigLoader


class RecordingConfigLoader(OmegaConfigLoader):
    """Kedro's loader, recording each time it reads configuration files from disk."""

    def _read_raw_config(self, key):
        path = _os.environ.get("CONFIG_READ_RECORD_FILE")
        if path:
            with open(path, "a") as f:
                f.write(_json.dumps({"pid": _os.getpid(), "key": key}) + "\\n")
        return super()._read_raw_config(key)


CONFIG_LOADER_CLASS = RecordingConfigLoader
'''


def test_a_run_reads_the_catalog_config_once_and_the_next_run_reads_it_again(kedro_project, tmp_path, monkeypatch):
    project = kedro_project("hooked")
    settings = project / "src/hooked/settings.py"
    settings.write_text(settings.read_text() + RECORDING_LOADER)
    reads = tmp_path / "reads.jsonl"
    monkeypatch.setenv("CONFIG_READ_RECORD_FILE", str(reads))
    monkeypatch.setenv("HOOKED_RECORD_FILE", str(tmp_path / "hooks.jsonl"))
    reporting = project / "data/08_reporting"

    # group_by node: every node is a step, each with its own catalog
    with loaded_in_process({"project_path": str(project), "group_by": "node"}) as defs:
        job = defs.resolve_job_def("hooked__default")
        with dg.instance_for_test() as instance:
            reads.write_text("")
            result = job.execute_in_process(instance=instance)
            assert result.success and len(result.get_step_success_events()) == 5
            counts = Counter(r["key"] for r in read_records(reads))
            # one read of the catalog and of the credentials for the run's session, whatever the step count
            assert counts["catalog"] == 1 and counts["credentials"] == 1, counts
            assert (reporting / "summary.json").exists()

            # an edit between runs reaches the next run: the configuration lives as long as a run's session
            catalog = project / "conf/base/catalog.yml"
            catalog.write_text(catalog.read_text().replace("data/08_reporting/summary.json", "data/08_reporting/summary_v2.json"))
            reads.write_text("")
            assert job.execute_in_process(instance=instance).success
            assert Counter(r["key"] for r in read_records(reads))["catalog"] == 1
            assert (reporting / "summary_v2.json").read_bytes() == (reporting / "summary.json").read_bytes()


LOGGING_YML = """
version: 1
disable_existing_loggers: false
handlers:
  to_file:
    class: logging.FileHandler
    filename: {filename}
loggers:
  kept_pkg:
    level: INFO
    handlers: [to_file]
"""


def test_a_kept_logging_configuration_is_applied_again_and_an_edited_one_is_read_again(tmp_path, monkeypatch):

    monkeypatch.delenv("KEDRO_LOGGING_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf/logging.yml"
    config.write_text(LOGGING_YML.format(filename="first.log"))
    kept: dict = {}

    def log_once(message: str) -> None:
        with isolated_logging():
            configure_project_logging("kept_pkg", kept)
            logging.getLogger("kept_pkg").info(message)

    log_once("one")
    log_once("two")  # from the kept configuration: the file handler is there again
    assert len(kept) == 1
    assert (tmp_path / "first.log").read_text().split() == ["one", "two"]

    config.write_text(LOGGING_YML.format(filename="second.log"))
    os.utime(config, ns=(config.stat().st_atime_ns, config.stat().st_mtime_ns + 10**9))
    log_once("three")
    assert (tmp_path / "second.log").read_text().split() == ["three"]
    assert (tmp_path / "first.log").read_text().split() == ["one", "two"]
