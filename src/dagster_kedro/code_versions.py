"""What an asset's code version is made of, computed when the project is read.

Dagster calls an asset stale when the code version it was materialized with differs from the
current one. An asset's code version (``translation.asset_code_version``) combines two hashes
recorded in the snapshot, so that loads from state import no project code:

- the producing node's **code hash** (:func:`node_code_hash`): the source of the node's function;
  the sources of the functions of the project package it refers to by name, transitively
  (``helper(x)`` and ``module.helper(x)`` where ``helper`` is defined in the package: what the
  function's code objects name, so a call through a variable or a ``getattr`` is not followed);
  ``functools.partial`` arguments; and the values of the parameters the node reads
  (``params:x`` inputs, the whole ``parameters`` dict);
- the dataset's **catalog entry hash** (:func:`catalog_entry_hash`): the resolved entry (type,
  filepath, load/save args, versioned...) without ``metadata`` (documentation, not data) and
  without credentials references (never read at load time).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import types
from collections.abc import Iterator, Mapping
from typing import Any


def node_code_hash(node: Any, params: Mapping[str, Any], package: str) -> str | None:
    """sha256 (16 hex digits) of what decides the node's outputs besides its data inputs; None
    when Python has no source for its function (a builtin, a C extension)."""
    func = node.func
    partial_args = ""
    if isinstance(func, functools.partial):
        partial_args = repr((func.args, sorted(func.keywords.items())))
        func = func.func
    sources = list(_sources(inspect.unwrap(func), package))
    if not sources:
        return None
    digest = hashlib.sha256(partial_args.encode())
    for name, source in sources:
        digest.update(f"{name}\0{source}\0".encode())
    for name in node.inputs:
        if name == "parameters":
            digest.update(f"parameters={_json(params)}".encode())
        elif name.startswith("params:"):
            digest.update(f"{name}={_json(_param(params, name[len('params:'):]))}".encode())
    return digest.hexdigest()[:16]


def catalog_entry_hash(config: Mapping[str, Any]) -> str:
    """sha256 (16 hex digits) of a resolved catalog entry, ``metadata`` left out."""
    entry = {k: v for k, v in config.items() if k != "metadata"}
    return hashlib.sha256(_json(entry).encode()).hexdigest()[:16]


def _sources(func: Any, package: str) -> Iterator[tuple[str, str]]:
    """``(qualified name, source)`` of ``func`` and of the package functions it names, each once."""
    pending, seen = [func], set()
    while pending:
        current = pending.pop()
        name = f"{getattr(current, '__module__', '')}.{getattr(current, '__qualname__', type(current).__qualname__)}"
        if name in seen:
            continue
        seen.add(name)
        try:
            yield name, inspect.getsource(current if inspect.isroutine(current) else type(current))
        except (OSError, TypeError):
            continue
        pending.extend(_called_package_functions(current, package))


def _called_package_functions(func: Any, package: str) -> list[Any]:
    code, namespace = getattr(func, "__code__", None), getattr(func, "__globals__", None)
    if code is None or namespace is None:
        return []
    names = set(_names(code))
    found = []
    for name in names:
        value = namespace.get(name)
        if isinstance(value, types.ModuleType) and _in_package(value.__name__, package):
            found += [getattr(value, n) for n in names if inspect.isfunction(getattr(value, n, None))]
        elif inspect.isfunction(value):
            found.append(value)
    return [f for f in found if _in_package(f.__module__, package)]


def _names(code: types.CodeType) -> Iterator[str]:
    """Global and attribute names used by ``code`` and the functions and lambdas nested in it."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _in_package(module: str | None, package: str) -> bool:
    return bool(module) and (module == package or module.startswith(package + "."))


def _param(params: Mapping[str, Any], key: str) -> Any:
    """``params:a.b`` reads ``params['a']['b']`` (or a top-level key with a dot)."""
    if key in params:
        return params[key]
    head, _, rest = key.partition(".")
    value = params.get(head)
    return _param(value, rest) if rest and isinstance(value, Mapping) else None


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
