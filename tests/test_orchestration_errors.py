"""Bad orchestration YAML is a load error naming the field, the value and the fix.

The cases build Definitions in this process from one snapshot of the chores fixture project
(read once), so each case costs milliseconds; one case goes through `dg check defs` end to end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import orchestration_helpers  # noqa: F401  (registers the fixture projects)
from bad_inputs import ORCHESTRATION
from conftest import copy_kedro_project

SOURCE = Path("/somewhere/defs/chores/defs.yaml")


@pytest.fixture(scope="module")
def chores(tmp_path_factory):
    from dagster_kedro import read_project

    project = copy_kedro_project("chores", tmp_path_factory.mktemp("errors"))
    return project, read_project(project, pipelines=["__default__", "ingest", "loads"])


def load_error(chores, **attributes) -> str:
    from dagster_kedro import KedroProjectComponent
    from dagster_kedro.errors import KedroComponentError

    project, snapshot = chores
    component = KedroProjectComponent.resolve_from_dict({"project_path": str(project), **attributes})
    with pytest.raises(KedroComponentError) as error:
        component.build_defs_from_snapshot(snapshot, SOURCE)
    message = str(error.value)
    assert message.startswith(str(SOURCE)), message
    return message


@pytest.mark.parametrize("case", list(ORCHESTRATION))
def test_load_error(case, chores):
    attributes, expected = ORCHESTRATION[case]
    message = load_error(chores, **attributes)
    for text in expected:
        assert text in message, f"{text!r} not in:\n{message}"


@pytest.mark.parametrize("executor_type,module", [("celery", "dagster_celery"), ("dask", "dagster_dask"), ("k8s", "dagster_k8s"), ("docker", "dagster_docker")])
def test_missing_extra_names_the_extra_to_install(executor_type, module, chores, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)  # as if the package were not installed
    message = load_error(chores, executors={"remote": {"type": executor_type}})
    assert f"attributes.executors.remote.type = '{executor_type}'" in message
    assert f"needs the package '{module.replace('_', '-')}', which is not installed" in message
    assert f"Fix: pip install 'dagster-kedro[{executor_type}]'" in message


@pytest.mark.parametrize(
    "executor_type,module,config",
    [
        ("celery", "dagster_celery", {"broker": "redis://127.0.0.1:6379/0", "backend": "redis://127.0.0.1:6379/0"}),
        ("dask", "dagster_dask", {"cluster": {"local": {"n_workers": 2, "threads_per_worker": 1}}}),
        ("k8s", "dagster_k8s", {"job_namespace": "dagster", "max_concurrent": 4}),
        ("docker", "dagster_docker", {"image": "my-kedro-project:1.0", "networks": ["dagster"]}),
    ],
)
def test_installed_extra_executors_validate_their_own_config(executor_type, module, config, chores):
    pytest.importorskip(module)
    from dagster_kedro import KedroProjectComponent

    project, snapshot = chores
    attributes = {
        "project_path": str(project),
        "executors": {"remote": {"type": executor_type, "config": config}},
        "jobs": [{"name": "nightly", "executor": "remote"}],
    }
    defs = KedroProjectComponent.resolve_from_dict(attributes).build_defs_from_snapshot(snapshot, SOURCE)
    assert defs.resolve_job_def("nightly").executor_def.name == executor_type
    message = load_error(chores, executors={"remote": {"type": executor_type, "config": {**config, "typo_key": 1}}})
    assert "attributes.executors.remote.config" in message
    assert f"invalid config for executor 'remote' (type {executor_type})" in message
    assert 'unexpected config entry "typo_key"' in message


def test_node_name_override_wins_over_tag_override(chores):
    from dagster_kedro import KedroProjectComponent

    project, snapshot = chores
    component = KedroProjectComponent.resolve_from_dict(
        {
            "project_path": str(project),
            "group_by": "node",
            "node_overrides": {
                "*": {"op_tags": {"owner": "data"}},
                "tag:db": {"pool": "warehouse", "retry_policy": {"max_retries": 2}},
                "load_b": {"pool": "slow_warehouse"},
            },
        }
    )
    defs = component.build_defs_from_snapshot(snapshot, SOURCE)
    ops = {a.op.name: a.op for a in defs.assets if hasattr(a, "op")}
    assert ops["chores__load_a"].pool == "warehouse"
    assert ops["chores__load_b"].pool == "slow_warehouse"
    assert ops["chores__load_a"].retry_policy.max_retries == 2
    assert ops["chores__load_c"].pool is None and ops["chores__load_c"].retry_policy is None
    assert all(op.tags["owner"] == "data" for op in ops.values())


def test_job_pipeline_that_is_not_registered(kedro_project, dg_project):
    project = kedro_project("chores")
    yaml_file = dg_project.add_component(
        "chores", {"project_path": str(project), "jobs": [{"name": "nightly", "pipeline": "nope"}]}
    )
    result = dg_project.dg("check", "defs", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert str(yaml_file) in output
    assert "attributes.jobs[0].pipeline = 'nope'" in output
    assert "job 'nightly' selects pipeline 'nope'" in output
    assert "Registered: ['__default__', 'ingest', 'loads']" in output
