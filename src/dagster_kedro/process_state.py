"""Everything a dagster-kedro process remembers between Dagster's calls into it: one home.

Dagster calls into a code location at separate moments, often in one process: it builds the
Definitions (``dg launch`` five times, ``dg list defs`` twice), creates a run's executor, runs op
bodies (all in one process for the in-process executor, one process per step for multiprocess).
Nothing links these calls but the Python process, so what one call leaves for another lives in
the single :data:`PROCESS` object below, and nowhere else in the package. Each attribute says who
writes it, who reads it and why it cannot be passed along instead.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dagster_kedro.kedro_sessions import KedroProcessRuntime

T = TypeVar("T")


@dataclass
class RunOutcome:
    """What the steps of a run that ran in this process hand to its pipeline hooks, used when the
    run worker is this process (in-process runs): the values of terminal memory outputs
    (``run_result``) and the exceptions nodes raised (``on_pipeline_error``)."""

    values: dict[str, Any] = field(default_factory=dict)
    node_errors: dict[str, BaseException] = field(default_factory=dict)


class _Memo:
    """A bounded cache (least recently used out): the same inputs give the same object."""

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: a build may itself use another memo
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


class ProcessState:
    """The process's dagster-kedro state (one instance: :data:`PROCESS`)."""

    def __init__(self) -> None:
        self.steps: dict[str, Any] = {}
        """op name -> ``execution.StepRef``. Written on each load of a component; read by
        the run executor (``run_hooks``), which gets only op names from Dagster's execution plan and
        must find the Kedro project, plan and nodes behind each to fire the pipeline hooks."""
        self.default_routes: dict[str, Any] = {}
        """op name -> ``executors.ResolvedExecutor``: what the component's jobs run on (its YAML
        ``executor``, else in process). Written on each load of a component; read when the shared
        Definitions-level executor is created for a run
        (``run_executor``), which Dagster creates from the run's job alone."""
        self.wrapped_executors: dict[Hashable, Any] = {}
        """What :func:`run_executor.kedro_executor` returned for an executor (by identity, or by
        definition and config): the same executor wrapped twice must be the same object, or
        ``Definitions.merge`` of several components sees two different executors."""
        self.kedro = KedroProcessRuntime()
        """Kedro sessions and nodes, kept across the steps and pipeline hooks of a run."""
        self._outcomes: dict[str, RunOutcome] = {}
        self._outcomes_lock = threading.Lock()
        self.snapshots = _Memo(16)
        """Project snapshots: live reads (by settings and project fingerprint) and parsed state
        files (by content). Dagster builds the Definitions several times per command."""
        self.definitions = _Memo(16)
        """Built Definitions, by component class, YAML, attributes and snapshot: the second and later
        loads of a command (and of every step process) reuse the first build."""
        self.packages: dict[tuple[str, str], tuple[str, str]] = {}
        """(dg project root, Kedro package name) -> (project path, defs.yaml) of the component that
        loaded it: one package name per code location (``location``)."""
        self.asset_keys: dict[str, dict[Any, str]] = {}
        """dg project root -> asset key -> defs.yaml of the component producing it (``location``)."""

    def outcome(self, run_id: str) -> RunOutcome:
        """The outcome the steps of ``run_id`` in this process add to (created on first use)."""
        with self._outcomes_lock:
            return self._outcomes.setdefault(run_id, RunOutcome())

    def pop_outcome(self, run_id: str) -> RunOutcome:
        """The run's outcome, forgotten: the run executor takes it once, at the end of the run."""
        with self._outcomes_lock:
            return self._outcomes.pop(run_id, None) or RunOutcome()


PROCESS = ProcessState()
