"""A step's Kedro nodes, rebuilt from the snapshot instead of the project's ``register_pipelines()``.

``register_pipelines()`` imports every pipeline module and builds every node of the project: a
multiprocess step paid that (seconds, at 1000 nodes) to run one node or a few. The snapshot
records, for each node whose function has an import path, that path, a hash of the function's
source and the arguments ``Node`` was built with (:class:`NodeCall`); a step imports only its
nodes' modules and builds the same ``Node`` again.

A node comes from the registered pipelines instead (loaded once per process and project
version, see :class:`NodeLoader`) when it cannot be rebuilt faithfully: its function has no
import path (a lambda, a ``functools.partial``, a nested function, a method or callable object,
a decorator without ``functools.wraps``), the path no longer leads to that function, the
function's source differs from the snapshot's, or the rebuilt node's name, inputs or outputs
differ from the snapshot's. The step's debug log says which node and why.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dagster_kedro.snapshot import NodeCall, NodeSnapshot, ParameterType, ProjectSnapshot


def source_hash(func: Callable) -> str | None:
    """sha256 (16 hex digits) of the function's source text (of the wrapped function, for a
    ``functools.wraps`` decorator); None when Python has no source for it."""
    try:
        return hashlib.sha256(inspect.getsource(func).encode()).hexdigest()[:16]
    except (OSError, TypeError):
        return None


def resolve(module: str, qualname: str) -> Any:
    """The object at ``module:qualname`` (importing the module), or None when there is none."""
    value: Any = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _import_path(value: Any) -> tuple[str, str] | None:
    """``(module, qualname)`` that leads back to exactly ``value``, or None."""
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", "")
    if not module or module == "__main__" or not qualname or "<" in qualname:
        return None  # lambdas and nested functions: '<lambda>', 'f.<locals>.g'
    try:
        return (module, qualname) if resolve(module, qualname) is value else None
    except Exception:  # an import path that does not import is no import path
        return None


def node_call(node: Any) -> NodeCall | None:
    """What a step needs to rebuild ``node``; None when its function has no import path."""
    from dagster_kedro.kedro_runtime import node_arguments

    func, arguments = node.func, node_arguments(node)
    path = _import_path(func) if inspect.isfunction(func) else None
    digest = source_hash(func) if path else None
    if path is None or digest is None or arguments["preview_fn"] is not None:
        return None
    return NodeCall(
        func_module=path[0],
        func_qualname=path[1],
        source_hash=digest,
        inputs=arguments["inputs"],
        outputs=arguments["outputs"],
        name=arguments["name"],
        confirms=arguments["confirms"],
    )


def parameter_types(pipelines: dict[str, Any]) -> dict[str, ParameterType] | None:
    """The parameter types Kedro validates against for ``pipelines``, by import path; None when
    one has none (a model defined inside a function)."""
    from dagster_kedro.kedro_runtime import parameter_requirements

    found = {}
    for key, (kind, optional) in parameter_requirements(pipelines).items():
        path = _import_path(kind)
        if path is None:
            return None
        found[key] = ParameterType(type_module=path[0], type_qualname=path[1], optional=optional)
    return found


def rebuild_parameter_types(types: dict[str, ParameterType]) -> dict[str, tuple[type, bool]] | None:
    """The snapshot's parameter types as Kedro's requirements, or None when one does not resolve."""
    found = {}
    for key, info in types.items():
        try:
            kind = resolve(info.type_module, info.type_qualname)
        except Exception:
            return None
        if not isinstance(kind, type):
            return None
        found[key] = (kind, info.optional)
    return found


def rebuild_node(info: NodeSnapshot) -> tuple[Any, str | None]:
    """``(Node, None)`` rebuilt from the snapshot, or ``(None, why it cannot be)``."""
    from kedro.pipeline import Node

    call = info.call
    if call is None:
        return None, "its function has no import path (a lambda, partial, nested function or callable object)"
    where = f"{call.func_module}:{call.func_qualname}"
    try:
        func = resolve(call.func_module, call.func_qualname)
    except Exception as error:
        return None, f"importing {where} failed ({type(error).__name__}: {error})"
    if not inspect.isfunction(func):
        return None, f"{where} is no longer a function"
    if source_hash(func) != call.source_hash:
        return None, f"the source of {where} differs from the snapshot's"
    node = Node(
        func, call.inputs, call.outputs, name=call.name, namespace=info.namespace,
        tags=info.tags, confirms=call.confirms,
    )
    if (node.name, list(node.inputs), list(node.outputs)) != (info.name, info.inputs, info.outputs):
        return None, f"the node rebuilt from {where} differs from the snapshot's (name, inputs or outputs)"
    return node, None


class NodeLoader:
    """The Kedro nodes of steps, rebuilt from the snapshot, with the project's registered
    pipelines as the fallback: read at most once per process and project version (project path
    and fingerprint), and only when some node needs them."""

    def __init__(self) -> None:
        self._registered: dict[tuple[Path, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def load(self, target: Any, snapshot: ProjectSnapshot, names: list[str], log: Any = None) -> list[Any]:
        """The ``Node`` objects named ``names``, in that order, with ``target``'s project active."""
        from dagster_kedro.kedro_runtime import activate_project

        activate_project(target.project_path)
        nodes, fallbacks = {}, []
        for name in names:
            node, reason = rebuild_node(snapshot.nodes[name])
            if node is None:
                fallbacks.append(name)
                if log is not None:
                    log.debug(f"Kedro node {name}: loaded from register_pipelines(), {reason}")
            nodes[name] = node
        if fallbacks:
            registered = self._registered_nodes(target, snapshot.fingerprint)
            nodes.update({name: registered[name] for name in fallbacks})
        return [nodes[name] for name in names]

    def _registered_nodes(self, target: Any, fingerprint: str) -> dict[str, Any]:
        from dagster_kedro.kedro_runtime import registered_pipelines

        key = (Path(target.project_path).resolve(), fingerprint)
        with self._lock:
            if key not in self._registered:
                self._registered[key] = {
                    node.name: node
                    for pipeline in registered_pipelines(list(target.pipelines)).values()
                    for node in pipeline.nodes
                }
            return self._registered[key]
