"""Folding nodes into steps: pure functions of a snapshot, tested on hand-made graphs."""

from __future__ import annotations

from dagster_kedro.snapshot import DatasetSnapshot, NodeSnapshot, ProjectSnapshot
from dagster_kedro.steps import plan_steps


def snapshot(nodes: list[tuple[str, str | None, list[str], list[str]]], persisted: set[str]) -> ProjectSnapshot:
    """nodes: (name, namespace, inputs, outputs); datasets in ``persisted`` are CSV files."""
    return ProjectSnapshot(
        project_path="/p",
        package_name="p",
        project_name="p",
        kedro_version="1.7.0",
        pipelines={"__default__": [n[0] for n in nodes]},
        nodes={
            name: NodeSnapshot(name=name, func_name=name, namespace=ns, inputs=ins, outputs=outs)
            for name, ns, ins, outs in nodes
        },
        datasets={d: DatasetSnapshot(name=d, type="pandas.CSVDataset") for d in persisted},
    )


CHAIN = snapshot(
    [
        ("a", None, ["raw", "params:x"], ["m1"]),
        ("b", None, ["m1"], ["p1"]),
        ("c", None, ["p1"], ["m2"]),
        ("d", None, ["m2", "m1"], ["p2", "terminal"]),
    ],
    persisted={"raw", "p1", "p2"},
)


def test_memory_mode_joins_nodes_linked_by_memory_data_and_merges_cycles():
    plan = plan_steps(CHAIN, "memory")
    # a-b and a-d share m1, c-d share m2: all one step (a cycle a->b->c->d would otherwise split)
    assert [s.nodes for s in plan.steps] == [("a", "b", "c", "d")]
    assert plan.steps[0].assets == ("p1", "p2", "terminal")
    assert plan.external == ["raw"]
    assert plan.stored_memory == set()


def test_node_mode_stores_memory_data_that_crosses_steps():
    plan = plan_steps(CHAIN, "node")
    assert [s.nodes for s in plan.steps] == [("a",), ("b",), ("c",), ("d",)]
    assert plan.stored_memory == {"m1", "m2"}
    assert plan.steps[3].stored_inputs == ("m2", "m1")
    assert plan.steps[0].assets == ("m1",)


def test_pipeline_mode_is_one_step():
    plan = plan_steps(CHAIN, "pipeline")
    assert [s.name for s in plan.steps] == ["all_nodes"]


def test_namespace_mode_merges_a_namespace_split_by_an_outside_node():
    graph = snapshot(
        [
            ("ns.first", "ns", ["raw"], ["ns.p1"]),
            ("outside", None, ["ns.p1"], ["p2"]),
            ("ns.second", "ns", ["p2"], ["ns.p3"]),
            ("other.x", "other", ["ns.p3"], ["other.p4"]),
        ],
        persisted={"raw", "ns.p1", "p2", "ns.p3", "other.p4"},
    )
    plan = plan_steps(graph, "namespace")
    steps = {s.name: s.nodes for s in plan.steps}
    assert steps == {"ns": ("ns.first", "outside", "ns.second"), "other": ("other.x",)}


def test_subset_runs_memory_producers_but_reads_persisted_inputs():
    plan = plan_steps(CHAIN, "pipeline")
    step = plan.steps[0]
    assert plan.nodes_to_run(step, {"p2"}) == ["a", "c", "d"]  # m1 from a, m2 from c; p1 read back
    assert plan.nodes_to_run(step, {"p1"}) == ["a", "b"]
    assert plan.nodes_to_run(step, set()) == []
