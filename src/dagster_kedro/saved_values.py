"""The value each dataset of a step was last saved with, captured as Kedro saves it.

:class:`SavedValues` is a Kedro dataset hook on the step's own hook manager: ``after_dataset_saved``
hands it the very object the node returned, just after Kedro saved it, so the step's metadata
(``run_metadata``) and asset checks (``checks``) read it without loading the dataset again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kedro.framework.hooks import hook_impl

_PLUGIN_NAME = "dagster_kedro.saved_values"
NOT_SAVED = object()
"""What :meth:`SavedValues.pop` returns for a dataset that was not saved (a failed node)."""


def replace_step_plugin(hook_manager: Any, name: str, plugin: Any) -> None:
    """Register a step's own Kedro hooks under ``name``, in place of the previous step's: a
    process running several steps of a run shares one session (and hook manager)."""
    if hook_manager.get_plugin(name) is not None:
        hook_manager.unregister(name=name)
    hook_manager.register(plugin, name=name)


class SavedValues:
    """Kedro hooks of one step: the value each wanted dataset was last saved with."""

    def __init__(self, datasets: Iterable[str]):
        self._wanted = set(datasets)
        self._values: dict[str, Any] = {}
        self._saves: dict[str, int] = {}

    def replace_in(self, hook_manager: Any) -> None:
        """Register in place of the previous step's (a process's steps share one hook manager)."""
        replace_step_plugin(hook_manager, _PLUGIN_NAME, self)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        if dataset_name in self._wanted:
            self._values[dataset_name] = data
            self._saves[dataset_name] = self._saves.get(dataset_name, 0) + 1

    def pop(self, dataset: str) -> tuple[Any, bool]:
        """The saved value (or :data:`NOT_SAVED`) and whether it is the whole data: a generator
        node saves its dataset chunk by chunk, and its last chunk says nothing about the whole."""
        whole = self._saves.pop(dataset, 0) == 1
        return self._values.pop(dataset, NOT_SAVED), whole
