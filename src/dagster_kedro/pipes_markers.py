"""Partial-save markers of a step run by the project's own interpreter, in the event log before each save.

In process, ``save_markers`` writes a marker to the run's event log from Kedro's
``before_dataset_saved`` hook, so a step killed mid-save leaves it behind. With
``python_executable`` the save happens in the project's interpreter, which has neither dagster nor
the event log: its hook (``pipes_runner``) sends the marker as a Pipes custom message and waits
until this side has written it. The message reader here is Dagster's temp-file reader (its thread
tails the messages file every 10 ms) with one addition: a marker message is written to the event
log as soon as that thread reads it, then acknowledged by a file in a folder the two sides agree
on, and only then does the project's interpreter start the save. So the marker is in the event log
before the first byte is written, even when both processes of the step are killed mid-save. Every
other message goes to Dagster's own handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.pipes.utils import PipesTempFileMessageReader

from dagster_kedro.pipes_protocol import PARTIAL_SAVE_MESSAGE
from dagster_kedro.steps import StepPlan


class MarkingMessageReader(PipesTempFileMessageReader):
    """Dagster's temp-file message reader, writing partial-save markers the moment they arrive."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        plan: StepPlan,
        keys: Mapping[str, dg.AssetKey],
        save_version: str,
        acknowledgements: Path,
    ):
        super().__init__()
        self._context, self._plan, self._keys, self._save_version = context, plan, keys, save_version
        self.acknowledgements = acknowledgements  # one file per marker written, named by its id

    @contextmanager
    def read_messages(self, handler: Any) -> Iterator[Any]:
        with super().read_messages(_MarkingHandler(handler, self._mark)) as params:
            yield params

    def _mark(self, request: Mapping[str, Any]) -> None:
        from dagster_kedro.save_markers import write_marker  # Kedro's hook marker: only when a step runs

        try:
            dataset = request["dataset"]
            write_marker(self._context, self._keys[dataset], self._plan, dataset, request["node"], self._save_version)
        except Exception as error:  # the reader thread must go on; the save goes on unmarked
            self._context.log.warning(f"dagster-kedro: no partial-save marker for {request}: {error!r}")
        finally:
            (self.acknowledgements / str(request["id"])).touch()


class _MarkingHandler:
    """Dagster's ``PipesMessageHandler`` for every message but the markers."""

    def __init__(self, handler: Any, mark: Callable[[Mapping[str, Any]], None]):
        self._handler = handler
        self._mark = mark

    def handle_message(self, message: Mapping[str, Any]) -> None:
        payload = (message.get("params") or {}).get("payload") if message.get("method") == "report_custom_message" else None
        if isinstance(payload, dict) and PARTIAL_SAVE_MESSAGE in payload:
            self._mark(payload[PARTIAL_SAVE_MESSAGE])
        else:
            self._handler.handle_message(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)
