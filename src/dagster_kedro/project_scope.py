"""The process environment Kedro code sees in a step and in the pipeline hooks: as under ``kedro run``.

``kedro run`` runs from the project root: hooks find the project from the working directory
(kedro-viz writes ``.viz/`` there), and the project's logging configuration (``conf/logging.yml``,
or ``$KEDRO_LOGGING_CONFIG``) names files relative to it (``info.log``). A Dagster step runs in
the dg project's directory, in a process that may run other steps and Dagster's own work too
(the in-process executor runs every step in the run worker). So both are scoped:
:func:`in_project` switches the working directory and applies the project's logging for a block,
and restores them after, failure or not. :func:`runs_in_project` does it for a step's generator,
and gives the working directory back while Dagster handles each yielded output (its IO managers
resolve relative paths against the dg project, in every process alike).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from dagster_kedro.kedro_runtime import configure_project_logging
from dagster_kedro.logging_scope import isolated_logging
from dagster_kedro.process_state import PROCESS

T = TypeVar("T")


@contextmanager
def working_directory(path: str | Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextmanager
def project_logging(project_path: str | Path, package_name: str) -> Iterator[None]:
    """The project's logging configuration, as ``kedro run`` applies it from the project root,
    for the block: file handlers write where ``kedro run`` writes (``info.log`` in the project
    root), console handlers print to the process's stdout/stderr, which Dagster captures as the
    step's compute logs (``step_logs`` keeps the records it forwards as events off them)."""
    with isolated_logging():
        with working_directory(project_path):
            configure_project_logging(package_name, PROCESS.kedro.logging_configs)
        yield


@contextmanager
def in_project(project_path: str | Path, package_name: str) -> Iterator[None]:
    """Working directory = the project root and the project's logging, for the block."""
    with project_logging(project_path, package_name), working_directory(project_path):
        yield


_DONE = object()


def runs_in_project(step: Callable[..., Iterator[T]]) -> Callable[..., Iterator[T]]:
    """Run a step's generator ``step(context, target, ...)`` in its Kedro project's environment:
    its logging for the whole step, its working directory whenever the step's own code runs."""

    @functools.wraps(step)
    def run(context: Any, target: Any, *args: Any, **kwargs: Any) -> Iterator[T]:
        events = step(context, target, *args, **kwargs)
        with project_logging(target.project_path, target.package_name):
            try:
                while True:
                    with working_directory(target.project_path):
                        item = next(events, _DONE)
                    if item is _DONE:
                        return
                    yield item
            finally:
                events.close()

    return run
