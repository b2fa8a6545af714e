"""Steps rebuild their Kedro nodes from the snapshot: a multiprocess step from fresh state never
calls the project's ``register_pipelines()``; nodes that cannot be rebuilt (a lambda) still run,
taken from the registered pipelines."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

import pytest
from kedro.pipeline import Node, Pipeline

from conftest import IN_PROCESS, MULTIPROCESS, read_records
from dagster_kedro.node_loading import node_call, parameter_types, rebuild_node, rebuild_parameter_types
from dagster_kedro.snapshot import NodeSnapshot

RECORDING_REGISTRY = '''

def _record_call():
    import os
    path = os.environ.get("REGISTER_RECORD_FILE")
    if path:
        with open(path, "a") as f:
            f.write(f"{os.getpid()}\\n")


_register = register_pipelines


def register_pipelines():
    _record_call()
    return _register()
'''

LAMBDA_NODE = '''

def create_pipeline(**kwargs) -> Pipeline:
    """The report pipeline plus a node made from a lambda."""
    return Pipeline([*_create_pipeline().nodes, Node(lambda summary: summary, "summary", "summary_copy", name="copy_summary")])
'''


CONTEXT_HOOKS = """

from kedro.framework.hooks import hook_impl

from hooked.hooks import _record


class ContextHooks:
    @hook_impl
    def after_context_created(self, context):
        _record("after_context_created")

    @hook_impl
    def after_catalog_created(self, catalog):
        _record("after_catalog_created")


HOOKS = (*HOOKS, ContextHooks())
"""


@pytest.fixture
def recording_project(kedro_project, tmp_path):
    """A copy of `hooked` whose register_pipelines() records the pid of each caller, whose hooks
    also record after_context_created and after_catalog_created, with a lambda node writing
    summary_copy.json."""
    project = kedro_project("hooked")
    settings = project / "src/hooked/settings.py"
    settings.write_text(settings.read_text() + CONTEXT_HOOKS)
    registry = project / "src/hooked/pipeline_registry.py"
    registry.write_text(registry.read_text() + RECORDING_REGISTRY)
    report = project / "src/hooked/pipelines/report/pipeline.py"
    text = report.read_text().replace("def create_pipeline(", "def _create_pipeline(")
    report.write_text(text + LAMBDA_NODE)
    catalog = project / "conf/base/catalog.yml"
    catalog.write_text(
        catalog.read_text() + "\nsummary_copy:\n  type: json.JSONDataset\n  filepath: data/08_reporting/summary_copy.json\n"
    )
    return project


def test_a_multiprocess_step_from_fresh_state_does_not_call_register_pipelines(recording_project, dg_project, tmp_path):
    dg_project.add_component(
        "hooked",
        {
            "project_path": str(recording_project),
            "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False},
        },
    )
    dg_project.dg("utils", "refresh-defs-state")
    calls, hooks = tmp_path / "register_calls.txt", tmp_path / "hooks.jsonl"
    dg_project.env.update(REGISTER_RECORD_FILE=str(calls), HOOKED_RECORD_FILE=str(hooks))

    # three steps (group_by memory): load_numbers + double_numbers, summarise, copy_summary
    launched = dg_project.launch(assets="doubled,summary,summary_copy", config=MULTIPROCESS)

    records = read_records(hooks)
    step_pid = {r["node"]: r["pid"] for r in records if r["hook"] == "before_node_run"}
    assert sorted(step_pid) == ["copy_summary", "double_numbers", "load_numbers", "summarise"]
    assert len(set(step_pid.values())) == 3
    callers = [int(line) for line in calls.read_text().split()]
    # only the lambda node's step read the registry; the run worker (pipeline hooks) is not a step
    assert [pid for pid in callers if pid in step_pid.values()] == [step_pid["copy_summary"]]
    assert "Kedro node copy_summary: loaded from register_pipelines(), its function has no import path" in launched.stderr
    reporting = recording_project / "data/08_reporting"
    assert (reporting / "summary_copy.json").read_bytes() == (reporting / "summary.json").read_bytes()
    # node hooks once per node, pipeline hooks once per run
    assert sorted(r["node"] for r in records if r["hook"] == "after_node_run") == sorted(step_pid)
    assert [r["hook"] for r in records if "pipeline" in r["hook"]] == ["before_pipeline_run", "after_pipeline_run"]
    # one session and one catalog per step process, and one of each in the run worker
    for hook in ("after_context_created", "after_catalog_created"):
        pids = [r["pid"] for r in records if r["hook"] == hook]
        assert len(pids) == len(set(pids)) == 4 and set(step_pid.values()) < set(pids), hook

    # without the lambda node no process reads the registry, the run worker's pipeline hooks included
    calls.write_text("")
    dg_project.launch(assets="doubled,summary", config=MULTIPROCESS)
    assert calls.read_text().split() == []


def test_an_in_process_run_opens_one_kedro_session(recording_project, dg_project, tmp_path):
    """As `kedro run`: after_context_created once; after_catalog_created once per step (its own
    load versions and inputs) plus once for the pipeline hooks."""
    dg_project.add_component("hooked", {"project_path": str(recording_project), "group_by": "node"})
    hooks = tmp_path / "hooks.jsonl"
    dg_project.env.update(HOOKED_RECORD_FILE=str(hooks))
    dg_project.launch(job="hooked__default", config=IN_PROCESS)
    records = read_records(hooks)
    counts = Counter(r["hook"] for r in records)
    assert counts["after_node_run"] == 6
    assert counts["after_context_created"] == 1
    assert counts["after_catalog_created"] == 6 + 1
    assert (recording_project / "data/08_reporting/summary_copy.json").exists()


# In-process: how nodes are rebuilt, and when they are not.


def combine(left, right, scale=1):
    return {"total": (left + right) * scale, "diff": left - right}


def with_wraps(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def without_wraps(func):
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


@with_wraps
def wrapped_double(x):
    return 2 * x


bare_wrapped_double = without_wraps(lambda x: 2 * x)


class Doubler:
    def double(self, x):
        return 2 * x


def snapshot_of(node) -> NodeSnapshot:
    return NodeSnapshot(
        name=node.name, func_name=node._func_name, namespace=node.namespace, tags=sorted(node.tags),
        inputs=list(node.inputs), outputs=list(node.outputs), call=node_call(node),
    )


def test_a_node_with_dict_inputs_and_outputs_in_a_namespace_is_rebuilt_identically():
    original = Node(
        combine,
        {"right": "ns.b", "left": "ns.a", "scale": "params:ns.scale"},
        {"total": "ns.total", "diff": "ns.diff"},
        namespace="ns", tags=["x", "y"], confirms="ns.a",
    )
    rebuilt, reason = rebuild_node(snapshot_of(original))
    assert reason is None
    assert rebuilt.name == original.name and rebuilt.name.startswith("ns.combine__")  # unnamed: Kedro's hash name
    assert rebuilt == original and rebuilt.tags == original.tags and rebuilt.confirms == original.confirms
    inputs = {"ns.a": 5, "ns.b": 2, "params:ns.scale": 10}
    assert rebuilt.run(inputs) == original.run(inputs) == {"ns.total": 70, "ns.diff": 3}


@pytest.mark.parametrize(
    "func",
    [lambda x: 2 * x, functools.partial(combine, right=1), Doubler().double, bare_wrapped_double],
    ids=["lambda", "partial", "method", "decorator_without_wraps"],
)
def test_a_function_without_an_import_path_is_taken_from_the_registry(func):
    node = Node(func, "x", "y", name="n")
    assert node_call(node) is None
    rebuilt, reason = rebuild_node(snapshot_of(node))
    assert rebuilt is None and "no import path" in reason


def test_a_nested_function_is_taken_from_the_registry():
    def nested(x):
        return x

    assert node_call(Node(nested, "x", "y")) is None


def test_a_functools_wraps_decorated_function_is_rebuilt():
    node = Node(wrapped_double, "x", "y", name="double")
    rebuilt, reason = rebuild_node(snapshot_of(node))
    assert reason is None and rebuilt.func is wrapped_double and rebuilt.run({"x": 4}) == {"y": 8}


def test_a_changed_source_falls_back_and_says_why():
    info = snapshot_of(Node(combine, ["a", "b"], "c", name="c"))
    stale = info.model_copy(update={"call": info.call.model_copy(update={"source_hash": "0" * 16})})
    node, reason = rebuild_node(stale)
    assert node is None
    assert reason == "the source of test_node_loading:combine differs from the snapshot's"


def test_a_rebuilt_node_that_differs_from_the_snapshot_falls_back():
    info = snapshot_of(Node(combine, ["a", "b"], "c", name="c"))
    node, reason = rebuild_node(info.model_copy(update={"inputs": ["a", "other"]}))
    assert node is None and "differs from the snapshot's (name, inputs or outputs)" in reason


@dataclass
class Model:
    size: int


def uses_model(model: Model | None, data):
    return data


def test_typed_parameters_are_recorded_by_import_path_and_resolved_again():
    pipelines = {"p": Pipeline([Node(uses_model, ["params:model", "d"], "out", name="u")])}
    types = parameter_types(pipelines)
    assert {k: v.model_dump() for k, v in types.items()} == {
        "model": {"type_module": "test_node_loading", "type_qualname": "Model", "optional": True}
    }
    assert rebuild_parameter_types(types) == {"model": (Model, True)}


def _local_model():
    @dataclass
    class Local:
        size: int

    return Local


LocalModel = _local_model()  # its qualname, '_local_model.<locals>.Local', is no import path


def uses_local(model: LocalModel):
    return model


def test_a_parameter_type_without_an_import_path_leaves_validation_to_kedro():
    assert parameter_types({"p": Pipeline([Node(uses_local, "params:m", "out", name="u")])}) is None


def test_a_step_context_validates_typed_parameters_without_the_registry(recording_project, tmp_path, monkeypatch):
    """Kedro's parameter validation, fed the snapshot's types: `params:model` reaches the catalog as
    the model, and register_pipelines() is not called for it (Kedro's own path would call it)."""
    from dagster_kedro.kedro_runtime import (
        activate_project, open_session, preserved_kedro_globals, session_catalog, validate_parameters_with,
    )

    project, calls = recording_project, tmp_path / "register_calls.txt"
    monkeypatch.setenv("REGISTER_RECORD_FILE", str(calls))
    (project / "conf/base/parameters.yml").write_text("factor: 2\nfail: false\nmodel:\n  size: 3\n")
    with preserved_kedro_globals():
        activate_project(project)
        context = open_session(project, None, None, {"factor": 5}).load_context()
        validate_parameters_with(context, {"model": (Model, False)})
        catalog = session_catalog(context, "2026-01-01T00.00.00.000Z")
        assert catalog.load("params:model") == Model(size=3)
        assert catalog.load("params:factor") == 5  # runtime params still apply
    assert not calls.exists()
