"""Logging configuration that lasts for a block and no longer.

Kedro configures the process's logging with ``logging.config.dictConfig``: once when
``kedro.framework.project`` is first imported, again on every ``configure_project``. In a ``dg``
process that routes root logging to stdout, which ``dg list defs`` captures, so load errors
vanish; in a step it must apply the project's ``conf/logging.yml`` for that step only (with the
in-process executor, steps and the ``dg``/run worker process are one process).
:func:`isolated_logging` gives every such configuration a scope: whatever the block does to the
logging module, the process's handlers, levels and logger flags are as before afterwards.

``dictConfig`` closes every handler it knows of before configuring; the scope hides the
process's own handlers from it, so they stay open, and closes the handlers created inside.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _loggers() -> list[logging.Logger]:
    return [logging.root] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]


def _state(logger: logging.Logger) -> tuple[Any, ...]:
    return logger.level, list(logger.handlers), logger.propagate, logger.disabled, list(logger.filters)


@contextmanager
def isolated_logging() -> Iterator[None]:
    """Restore the logging module on exit: every logger's level, handlers, filters, ``propagate``
    and ``disabled`` flags; loggers created inside are left as ``getLogger`` makes them."""
    with logging._lock:
        saved = {logger: _state(logger) for logger in _loggers()}
        handler_refs = list(logging._handlerList)
        named_handlers = dict(logging._handlers)
        del logging._handlerList[:]  # what dictConfig closes: only handlers created inside
    try:
        yield
    finally:
        with logging._lock:
            created = [ref() for ref in logging._handlerList]
            for handler in created:
                if handler is not None:
                    handler.close()
            logging._handlerList[:] = handler_refs
            logging._handlers.clear()
            logging._handlers.update(named_handlers)
            for logger in _loggers():
                level, handlers, propagate, disabled, filters = saved.get(
                    logger, (logging.NOTSET, [], True, False, [])
                )
                logger.level, logger.handlers, logger.propagate = level, handlers, propagate
                logger.disabled, logger.filters = disabled, filters
            logging.root.manager._clear_cache()


def console_handlers() -> list[logging.Handler]:
    """The handlers of any logger that print to the terminal (stream handlers on stdout/stderr,
    rich handlers): in a step, what they print is the step's captured compute logs."""
    consoles = {id(s) for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__) if s is not None}
    found: dict[int, logging.Handler] = {}
    for logger in _loggers():
        for handler in logger.handlers:
            if _is_console(handler, consoles):
                found[id(handler)] = handler
    return list(found.values())


def _is_console(handler: logging.Handler, consoles: set[int]) -> bool:
    if isinstance(handler, logging.FileHandler):
        return False
    if isinstance(handler, logging.StreamHandler):
        return id(handler.stream) in consoles
    return any(cls.__module__.startswith("rich.") and cls.__name__ == "RichHandler" for cls in type(handler).__mro__)
