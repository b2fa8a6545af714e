"""Where the log records of Kedro and the project's code go: the Dagster event log or the compute logs.

Every Dagster log event is one event-log write (tens of milliseconds on a busy sqlite instance),
and Kedro logs four or five INFO records per node (loading, running, saving, ...): forwarded one
event each, they were most of a 1000-node run's time. So while a step runs its nodes, only
records at or above the forwarding level (``log_level``, default WARNING) become Dagster events
of the step, through :class:`_ForwardToDagster` on the root logger. The rest go where ``kedro
run`` prints them: the console handlers of the project's logging configuration (Kedro's rich
handler by default), i.e. the process's stdout/stderr, which Dagster captures as the step's
compute logs. Console handlers skip the records that are forwarded, since Dagster's console
logger prints every event already: each record appears once in the compute logs. Records logged
before and after the nodes run (opening the session) only go to the console handlers.

The level comes from the component's ``log_level`` field; the run tag :data:`RUN_TAG` overrides it
for one run. The pipeline hooks fire in the run worker, whose output Dagster does not capture, so
their records are forwarded from INFO (or the lower level asked for): a handful per run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster_kedro.errors import KedroComponentError, did_you_mean
from dagster_kedro.logging_scope import console_handlers

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LOG_LEVEL = "WARNING"
RUN_TAG = "dagster-kedro/log_level"


def resolve_log_level(context: Any, value: str) -> str:
    """The ``log_level`` field, upper-cased; anything but a level name is a clear error."""
    resolved = str(context.resolve_value(value, as_type=str))
    return _level_name(resolved, field="log_level", value=resolved)


def events_level(configured: str, run_tags: Mapping[str, str]) -> int:
    """The lowest level forwarded as Dagster events in a run: its :data:`RUN_TAG`, else the field."""
    tag = run_tags.get(RUN_TAG)
    if tag is None:
        return logging.getLevelName(configured)
    return logging.getLevelName(_level_name(tag, entry=f"run tag {RUN_TAG}", value=tag))


def _level_name(name: str, **where: Any) -> str:
    if name.upper() not in LOG_LEVELS:
        raise KedroComponentError(
            f"{name!r} is not a log level: records at this level and above become Dagster events.",
            fix=f"use one of {', '.join(LOG_LEVELS)} (default {DEFAULT_LOG_LEVEL})." + did_you_mean(name.upper(), LOG_LEVELS),
            **where,
        )
    return name.upper()


def _forwarded(record: logging.LogRecord, level: int) -> bool:
    # Dagster's own loggers print themselves; their records are never forwarded
    return record.levelno >= level and not record.name.startswith("dagster")


class _ForwardToDagster(logging.Handler):
    """Sends log records of Kedro and the project's code at ``level`` and above to a Dagster log
    (a step's or the run's), prefixed with the logger name."""

    def __init__(self, dagster_log: Any, level: int):
        super().__init__(level)
        self._log = dagster_log
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if not _forwarded(record, self.level) or getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            self._log.log(record.levelno, f"[{record.name}] {record.getMessage()}")
        except Exception:  # a logging failure must never fail the node
            pass
        finally:
            self._busy.on = False


class _NotForwarded(logging.Filter):
    """On a console handler: only the records that do not become Dagster events."""

    def __init__(self, level: int):
        super().__init__()
        self._level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return not _forwarded(record, self._level)


@contextmanager
def kedro_logs_to_dagster(dagster_log: Any, level: int) -> Iterator[None]:
    """For the block: records at ``level`` and above to ``dagster_log``, the rest to the console
    handlers configured now (the step's compute logs)."""
    handler = _ForwardToDagster(dagster_log, level)
    consoles = console_handlers()
    quiet = _NotForwarded(level)
    for console in consoles:
        console.addFilter(quiet)
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        for console in consoles:
            console.removeFilter(quiet)
