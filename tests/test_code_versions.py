"""Code versions and staleness: an asset's code version follows its node's code, the parameters
the node reads and its catalog entry; Dagster then calls exactly the changed assets stale.

Each variant of the project is a fresh copy at its own path (a changed copy is read as another
project would be, with its modules imported anew: what a code-server reload does).
"""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
from conftest import copy_kedro_project, loaded_in_process
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleCauseCategory, StaleStatus
from dagster._core.loader import LoadingContextForTest

from dagster_kedro import KedroProjectComponent
from dagster_kedro.project import read_project
from dagster_kedro.state import fresh_state_snapshot

NODES = "src/hooked/pipelines/report/nodes.py"


@pytest.fixture
def base(tmp_path):
    """hooked, with count_rows calling a helper of the package (found through its code object)."""
    project = copy_kedro_project("hooked", tmp_path / "base")
    edit(project, NODES, "return int(len(doubled))", "return _length(doubled)")
    (project / NODES).write_text((project / NODES).read_text() + "\n\ndef _length(frame):\n    return int(len(frame))\n")
    return project


def edit(project, relative: str, old: str, new: str) -> None:
    path = project / relative
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))


def variant(base, tmp_path, name: str, relative: str, old: str, new: str):
    project = shutil.copytree(base, tmp_path / name / "hooked")
    edit(project, relative, old, new)
    return project


def live_versions(project, sandbox) -> dict[str, str | None]:
    with loaded_in_process({"project_path": str(project)}, sandbox=sandbox) as defs:
        return {s.key.to_user_string(): s.code_version for s in defs.resolve_all_asset_specs()}


def state_versions(project, tmp_path, sandbox) -> dict[str, str | None]:
    """Through the component state: the snapshot written as JSON and read back, as dg loads it."""
    state = tmp_path / f"{project.parent.name}.state.json"
    state.write_text(read_project(project).to_json())
    snapshot = fresh_state_snapshot(state, str(project), None)
    assert snapshot is not None
    yaml_file = sandbox.defs_folder_path / "kedro" / "defs.yaml"  # the loads' own: one claim of the keys
    defs = KedroProjectComponent(project_path=str(project)).build_defs_from_snapshot(snapshot, yaml_file)
    return {s.key.to_user_string(): s.code_version for s in defs.resolve_all_asset_specs()}


def changed(before: dict, after: dict) -> set[str]:
    return {k for k in before if before[k] != after[k]}


def test_code_versions_change_with_exactly_the_node_code_and_parameters_they_depend_on(base, tmp_path, defs_sandbox):
    before = live_versions(base, defs_sandbox)
    assert before["numbers"] is None  # raw input: no code of the project computes it
    assert all(v for k, v in before.items() if k != "numbers")
    assert state_versions(base, tmp_path, defs_sandbox) == before

    source = variant(base, tmp_path, "source", NODES, '"rows": int(len(doubled))', '"rows": len(doubled)')
    after = live_versions(source, defs_sandbox)
    assert changed(before, after) == {"summary"}
    assert state_versions(source, tmp_path, defs_sandbox) == after

    helper = variant(base, tmp_path, "helper", NODES, "return int(len(frame))", "return len(frame)")
    assert changed(before, live_versions(helper, defs_sandbox)) == {"row_count"}

    factor = variant(base, tmp_path, "factor", "conf/base/parameters.yml", "factor: 2", "factor: 3")
    assert changed(before, live_versions(factor, defs_sandbox)) == {"doubled"}  # double_numbers reads params:factor

    entry = variant(base, tmp_path, "entry", "conf/base/catalog.yml", "data/03_primary/checked.csv", "data/03_primary/checked_v2.csv")
    assert changed(before, live_versions(entry, defs_sandbox)) == {"checked"}

    described = variant(base, tmp_path, "described", "conf/base/catalog.yml", "summary.json", "summary.json\n  metadata: {description: Sums.}")
    assert changed(before, live_versions(described, defs_sandbox)) == set()  # metadata is not data


def test_a_changed_node_makes_its_asset_stale_after_a_run(base, tmp_path, defs_sandbox):
    def statuses(instance, defs) -> dict[str, StaleStatus]:
        resolver = CachingStaleStatusResolver(instance, defs.resolve_asset_graph(), LoadingContextForTest(instance))
        return {k: resolver.get_status(dg.AssetKey(k)) for k in ("doubled", "summary", "row_count", "checked")}

    with dg.instance_for_test() as instance:
        with loaded_in_process({"project_path": str(base)}, sandbox=defs_sandbox) as defs:
            assert set(statuses(instance, defs).values()) == {StaleStatus.MISSING}
            assert defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance).success
            assert set(statuses(instance, defs).values()) == {StaleStatus.FRESH}

        source = variant(base, tmp_path, "source", NODES, '"rows": int(len(doubled))', '"rows": len(doubled)')
        with loaded_in_process({"project_path": str(source)}, sandbox=defs_sandbox) as defs:
            after = statuses(instance, defs)
            resolver = CachingStaleStatusResolver(instance, defs.resolve_asset_graph(), LoadingContextForTest(instance))
            causes = resolver.get_stale_causes(dg.AssetKey("summary"))
    assert after == {
        "doubled": StaleStatus.FRESH, "summary": StaleStatus.STALE,
        "row_count": StaleStatus.FRESH, "checked": StaleStatus.FRESH,
    }
    assert [c.category for c in causes] == [StaleCauseCategory.CODE]
