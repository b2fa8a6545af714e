"""How Kedro nodes fold into Dagster steps, and which datasets therefore become assets.

Pure functions of a :class:`ProjectSnapshot`: no Kedro, no Dagster. The same plan is computed at
load time (to build multi-assets) and inside a running step (to pick the nodes a subset needs),
so both sides always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from dagster_kedro.snapshot import ProjectSnapshot

GroupBy = Literal["memory", "namespace", "node", "pipeline"]


def is_parameter(dataset: str) -> bool:
    return dataset == "parameters" or dataset.startswith("params:")


def python_identifier(text: str) -> str:
    """A name Dagster accepts for ops, groups and key parts (letters, digits, underscores)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return f"_{name}" if name[:1].isdigit() else name


def op_name(snapshot: ProjectSnapshot, step: Step) -> str:
    """The Dagster op (and step key) of a step: unique across a code location's projects."""
    return f"{python_identifier(snapshot.package_name)}__{step.name}"


@dataclass(frozen=True)
class Step:
    """One Dagster step (one multi-asset op): Kedro nodes that run together in one process."""

    name: str
    nodes: tuple[str, ...]
    assets: tuple[str, ...]
    """Datasets this step materializes as assets."""
    stored_inputs: tuple[str, ...]
    """Memory datasets produced by other steps; they arrive through the IO manager."""


@dataclass
class StepPlan:
    snapshot: ProjectSnapshot
    steps: list[Step]
    producer: dict[str, str] = field(default_factory=dict)
    """dataset -> name of the node writing it."""
    stored_memory: set[str] = field(default_factory=set)
    """Memory datasets whose values cross steps through the IO manager."""
    external: list[str] = field(default_factory=list)
    """Catalog datasets read by selected nodes and written by none: raw data."""

    @cached_property
    def asset_steps(self) -> dict[str, Step]:
        """dataset -> the step materializing it (computed once: lineage asks for every asset)."""
        return {dataset: step for step in self.steps for dataset in step.assets}

    def nodes_to_run(self, step: Step, selected: set[str]) -> list[str]:
        """Nodes of ``step`` needed to materialize the ``selected`` datasets.

        A node runs when it writes a selected dataset or in-step memory data that a running node
        reads; persisted data and stored memory data are read back instead of recomputed.
        """
        needed: set[str] = set()
        wanted = set(selected)
        for name in reversed(step.nodes):
            node = self.snapshot.nodes[name]
            if wanted.intersection(node.outputs):
                needed.add(name)
                wanted.update(
                    d
                    for d in node.inputs
                    if not self.snapshot.dataset(d).is_persisted and d not in step.stored_inputs
                )
        return [n for n in step.nodes if n in needed]


def plan_steps(snapshot: ProjectSnapshot, group_by: GroupBy) -> StepPlan:
    order = snapshot.ordered_node_names()
    nodes = snapshot.nodes
    producer = {out: name for name in order for out in nodes[name].outputs}
    consumers: dict[str, list[str]] = {}
    for name in order:
        for dataset in nodes[name].inputs:
            consumers.setdefault(dataset, []).append(name)

    groups = _UnionFind(order)
    if group_by == "pipeline":
        for name in order[1:]:
            groups.union(order[0], name)
    elif group_by in ("memory", "namespace"):
        for dataset, writer in producer.items():
            if snapshot.dataset(dataset).is_persisted:
                continue
            for reader in consumers.get(dataset, []):
                if group_by == "memory" or nodes[writer].namespace is nodes[reader].namespace is None:
                    groups.union(writer, reader)
        if group_by == "namespace":
            first_in_namespace: dict[str, str] = {}
            for name in order:
                namespace = nodes[name].top_namespace
                if namespace:
                    groups.union(first_in_namespace.setdefault(namespace, name), name)
    _merge_cycles(groups, order, nodes, producer)

    members: dict[str, list[str]] = {}
    for name in order:
        members.setdefault(groups.find(name), []).append(name)
    step_of_node = {name: group[0] for group in members.values() for name in group}

    stored_memory = {
        d
        for d, writer in producer.items()
        if not snapshot.dataset(d).is_persisted
        and any(step_of_node[r] != step_of_node[writer] for r in consumers.get(d, []))
    }
    steps, used_names = [], set()
    for group in members.values():
        in_step = set(group)
        assets, stored_inputs = [], []
        for name in group:
            for out in nodes[name].outputs:
                readers = consumers.get(out, [])
                if snapshot.dataset(out).is_persisted or out in stored_memory or not any(
                    r in in_step for r in readers
                ):
                    assets.append(out)
            for dataset in nodes[name].inputs:
                if dataset in stored_memory and producer[dataset] not in in_step:
                    stored_inputs.append(dataset)
        step_name = _step_name(group, nodes, group_by, used_names)
        steps.append(Step(step_name, tuple(group), tuple(assets), tuple(dict.fromkeys(stored_inputs))))
    external = sorted(
        d
        for d in consumers
        if d not in producer and not is_parameter(d) and d in snapshot.datasets
        and snapshot.dataset(d).is_persisted
    )
    return StepPlan(snapshot, steps, producer, stored_memory, external)


def unproduced_memory_inputs(snapshot: ProjectSnapshot, plan: StepPlan) -> dict[str, str]:
    """Inputs that no selected node writes and that are not in the catalog: dataset -> reader."""
    missing = {}
    for node in snapshot.nodes.values():
        for dataset in node.inputs:
            if not is_parameter(dataset) and dataset not in plan.producer and not snapshot.dataset(
                dataset
            ).is_persisted:
                missing.setdefault(dataset, node.name)
    return missing


def _step_name(group: list[str], nodes, group_by: GroupBy, used: set[str]) -> str:
    """pipeline: 'all_nodes'; namespace: the group's namespace; otherwise its last node's name."""
    namespaces = [nodes[n].top_namespace for n in group if nodes[n].top_namespace]
    if group_by == "pipeline":
        base = "all_nodes"
    elif group_by == "namespace" and namespaces:
        base = namespaces[0]
    else:
        base = group[-1]
    name = python_identifier(base)
    candidate, index = name, 1
    while candidate in used:
        index += 1
        candidate = f"{name}_{index}"
    used.add(candidate)
    return candidate


class _UnionFind:
    def __init__(self, items: list[str]):
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(b)] = self.find(a)


def _merge_cycles(groups: _UnionFind, order: list[str], nodes, producer: dict[str, str]) -> None:
    """Merge groups that depend on each other in a cycle (e.g. A -> B -> A through a namespace).

    Folding nodes into groups can create cycles between groups; the strongly connected
    components of the group graph are merged, which always leaves an acyclic step graph.
    """
    edges: dict[str, set[str]] = {}
    for name in order:
        here = groups.find(name)
        for dataset in nodes[name].inputs:
            if dataset in producer:
                there = groups.find(producer[dataset])
                if there != here:
                    edges.setdefault(there, set()).add(here)
    for component in _strongly_connected(sorted({groups.find(n) for n in order}), edges):
        for other in component[1:]:
            groups.union(component[0], other)


def _strongly_connected(vertices: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (step graphs of thousands of nodes exceed recursion limits)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    for root in vertices:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            vertex, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[vertex] = min(low[vertex], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[vertex])
            if low[vertex] == index[vertex]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == vertex:
                        break
                if len(component) > 1:
                    result.append(component)
    return result
