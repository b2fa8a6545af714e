"""What ``on_pipeline_error`` gets when a Dagster run fails: what ``kedro run`` would pass.

Under ``kedro run`` it is the exception the failing node raised. Dagster records a failed step as
serialized error info (message, class name, stack, cause chain: Dagster's wrapper, then our
:class:`KedroNodeError`, then the node's exception), not as the exception. So the executor
collects failures from the run's events and, per failed step:

- a node raised in this process (in_process runs): that very exception object;
- in another process: the same type rebuilt with the same message when the type is importable
  here, else a :class:`KedroNodeError` carrying the node name and the original type and message;
- the step's process died (e.g. SIGKILL): a :class:`KedroPipelineError` naming the step, its
  nodes and how the process ended;
- any other step failure: a :class:`KedroPipelineError` with Dagster's message.

The failing node and step are added as a note (``error.__notes__``, shown in tracebacks), which
leaves ``str(error)`` as ``kedro run`` has it; further failed steps get a note each.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from dagster_kedro.errors import KedroNodeError, KedroPipelineError

_CRASH = "ChildProcessCrashException"


class StepFailures:
    """The failed steps of one Dagster run, as its executor sees the run's events."""

    def __init__(self) -> None:
        self._failed: dict[str, Any] = {}  # step key -> SerializableErrorInfo
        self._crashes: dict[str, str] = {}  # step key -> Dagster's account of the process's end

    def see(self, event: Any) -> None:
        if event.is_step_failure:
            self._failed[event.step_key] = event.step_failure_data.error
        elif event.is_engine_event and event.step_key:
            data = event.engine_event_data
            if data is not None and data.error is not None and data.error.cls_name == _CRASH:
                self._crashes[event.step_key] = event.message or ""

    def __bool__(self) -> bool:
        return bool(self._failed)

    def error(self, step_nodes: Mapping[str, list[str]], originals: Mapping[str, BaseException]) -> BaseException:
        """The error for a project whose steps (key -> node names) are ``step_nodes``: its own
        first failed step, else the run's first; ``originals`` are node exceptions raised here."""
        keys = [key for key in self._failed if key in step_nodes] or list(self._failed)
        errors = [self._step_error(key, step_nodes.get(key, []), originals) for key in keys]
        for key, other in zip(keys[1:], errors[1:]):
            _note(errors[0], f"Dagster step '{key}' failed as well: {type(other).__name__}: {other}")
        return errors[0]

    def _step_error(self, key: str, nodes: list[str], originals: Mapping[str, BaseException]) -> BaseException:
        info = self._failed[key]
        node_info = next((i for i in _chain(info) if i.cls_name == KedroNodeError.__name__), None)
        if node_info is not None:
            node = KedroNodeError.node_name_in(node_info.message) or "?"
            original = node_info.cause
            error = originals.get(node) or _rebuilt(original)
            if error is None:  # without a cause (a node of a project's own interpreter): its message
                first_line = node_info.message.strip().split("\n", 1)[0]
                described = original.message.strip() if original else first_line.partition(" failed: ")[2]
                error_type, _, message = described.partition(": ")
                error = KedroNodeError(node, error_type=error_type or None, error_message=message)
            _note(error, f"Kedro node '{node}' failed in Dagster step '{key}'")
            return error
        listed = ", ".join(nodes) or "none"
        if any(i.cls_name == _CRASH for i in _chain(info)):
            how = self._crashes.get(key) or "the process ended unexpectedly"
            return KedroPipelineError(
                f"The process of Dagster step '{key}' died while running Kedro node(s) {listed}: {how}"
            )
        return KedroPipelineError(f"Dagster step '{key}' (Kedro node(s) {listed}) failed: {info.message.strip()}")


def _chain(info: Any) -> Iterator[Any]:
    while info is not None:
        yield info
        info = info.cause


def _rebuilt(info: Any) -> BaseException | None:
    """The exception Dagster serialized as ``info`` (``module.Type: message``), rebuilt from its
    type and message when the type is importable here and takes a message."""
    if info is None or not info.cls_name:
        return None
    qualified, _, message = info.message.strip().partition(": ")
    if qualified.rpartition(".")[2] != info.cls_name:
        return None
    return rebuilt_exception(qualified, message)


def rebuilt_exception(qualified: str, message: str) -> BaseException | None:
    """An exception of the type named ``qualified`` (``module.Type``) with ``message``, when the
    type is importable here and takes a message; else None."""
    module, _, name = qualified.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module or "builtins"), name)
        if isinstance(cls, type) and issubclass(cls, Exception):
            return cls(message) if message else cls()
    except Exception:  # not importable here, or a constructor that wants other arguments
        pass
    return None


def _note(error: BaseException, note: str) -> None:
    if note not in getattr(error, "__notes__", ()):
        error.add_note(note)
