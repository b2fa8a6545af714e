"""What a run records about each saved dataset (rows, columns, save version, exact path), and where
a node's own log records and prints go (in-process runs of real Kedro projects)."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest
from conftest import loaded_in_process

from dagster_kedro.run_metadata import value_metadata


def materializations(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    """asset key -> metadata (plain values) of its materialization in the run."""
    found = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        found[materialization.asset_key.to_user_string()] = {
            k: getattr(v, "value", v) for k, v in materialization.metadata.items()
        }
    return found


def test_a_run_records_rows_columns_and_the_versioned_path_from_the_returned_values(kedro_project, defs_sandbox):
    project = kedro_project("hooked")
    catalog = project / "conf/base/catalog.yml"
    catalog.write_text(catalog.read_text().replace("filepath: data/03_primary/checked.csv", "filepath: data/03_primary/checked.csv\n  versioned: true"))
    with tempfile.TemporaryDirectory() as home, loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        instance = dg.DagsterInstance.local_temp(home)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
        found = materializations(instance, result)

    doubled = found["doubled"]
    assert doubled["dagster/row_count"] == 6
    assert [(c.name, c.type) for c in doubled["dagster/column_schema"].columns] == [("a", "int64"), ("b", "int64")]
    assert found["summary"]["kedro/length"] == 3  # a dict of three keys
    assert "dagster/row_count" not in found["row_count"]  # an int: nothing obvious to say

    checked = found["checked"]
    version = checked["kedro/save_version"]
    uri = checked["dagster/uri"]
    assert uri.endswith(f"/data/03_primary/checked.csv/{version}/checked.csv")
    assert Path(urlsplit(uri).path).is_file()  # the very file this run saved
    assert "dagster/uri" not in doubled  # unversioned: the definition's uri is the file already


def test_value_metadata_of_other_types():
    import numpy as np
    import pandas as pd

    assert value_metadata(pd.Series([1, 2, 3])) == {"dagster/row_count": 3}
    assert value_metadata(np.zeros((4, 2))) == {"kedro/shape": "4 x 2"}
    assert value_metadata([1, 2]) == {"kedro/length": 2}
    assert value_metadata(7) == {}


def step_logs(instance: dg.DagsterInstance, run_id: str) -> tuple[list[tuple[str, int, str]], str]:
    """The run's log events (step key, level, message) and its captured stdout/stderr."""
    logs = instance.all_logs(run_id)
    messages = [(e.step_key, e.level, e.user_message) for e in logs if e.dagster_event is None]
    manager = instance.compute_log_manager
    file_keys = dict.fromkeys(
        e.dagster_event.logs_captured_data.file_key
        for e in logs
        if e.dagster_event and e.dagster_event.event_type_value == "LOGS_CAPTURED"
    )
    captured = [manager.get_log_data(manager.build_log_key_for_run(run_id, key)) for key in file_keys]
    return messages, "".join((c.stdout or b"").decode() + (c.stderr or b"").decode() for c in captured)


def test_a_nodes_own_records_and_prints_appear_once_in_its_step_at_their_level(kedro_project, defs_sandbox):
    project = kedro_project("validated")
    with tempfile.TemporaryDirectory() as home, loaded_in_process({"project_path": str(project)}, sandbox=defs_sandbox) as defs:
        instance = dg.DagsterInstance.local_temp(home)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
        messages, compute_logs = step_logs(instance, result.run_id)

    def events(text: str) -> list[tuple[str, int]]:
        return [(key, level) for key, level, message in messages if text in message]

    # WARNING and up: one event of the step that ran the node, at its level, with the logger name
    assert events("validated-warning-record") == [("validated__clean_prices", logging.WARNING)]
    assert any(m.startswith("[validated.pipelines.prices.nodes] validated-warning-record") for _, _, m in messages)
    # INFO (below log_level) and prints: no event, once in the compute logs
    assert events("validated-info-record") == events("validated-printed-line") == []
    flat = re.sub(r"\s+", "", compute_logs)
    assert flat.count("validated-info-record") == 1  # Kedro's rich handler wraps it: match the head
    assert flat.count("validated-printed-line") == 1
    assert flat.count("validated-warning-record") == 1  # the event, printed by Dagster's console logger


def test_polars_frames_get_rows_columns_and_column_checks():
    pl = pytest.importorskip("polars")
    from dagster_kedro.checks import DatasetCheck, evaluate

    frame = pl.DataFrame({"id": [1, 2, 2], "name": ["a", None, "c"]})
    metadata = value_metadata(frame)
    assert metadata["dagster/row_count"] == 3
    assert [(c.name, c.type) for c in metadata["dagster/column_schema"].columns] == [("id", "Int64"), ("name", "String")]
    key = dg.AssetKey("frame")

    def result(kind: str, argument):
        return evaluate(DatasetCheck("frame", kind, kind, argument, False, ""), key, frame, ".")

    not_null, unique = result("not_null", ["name"]), result("unique", ["id"])
    assert not not_null.passed and not_null.metadata["sample"].value == [{"name": None}]
    assert not unique.passed and unique.metadata["failing_rows"].value == 2
    assert result("columns", {"id": "int64", "name": None}).passed  # dtypes compare case-insensitively
