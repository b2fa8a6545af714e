"""What one run may set: the Kedro parameters as typed Dagster config, untyped runtime params and
load versions, under ``resources.kedro_<package>.config`` (the Launchpad, ``dg launch
--config-json``, schedules and sensors).

The component's resource gets a config schema built from the snapshot's parameters (for the
component's env, its YAML ``runtime_params`` included): one field per parameter, nested as in
Kedro, typed by its value and defaulting to it. The Launchpad's default config therefore lists
every parameter and a user edits ``params.model_options.test_size`` in place; Dagster's config
validation refuses a key the project does not define, naming it (``kedro run --params`` adds it
silently). Only the parameters that differ from their defaults become runtime params, so a run
with the default config passes Kedro exactly the runtime params it would pass without this.

``load_versions`` is ``kedro run --load-versions``: it is checked against the versioned datasets
of the snapshot when the run starts (the run worker reads it before any step), and the version's
existence when a step is about to read it. The untyped ``runtime_params`` mapping keeps working;
where both set a key, the typed value wins (it is the form the Launchpad shows).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._config import process_config

from dagster_kedro.errors import KedroComponentError, did_you_mean
from dagster_kedro.run_layers import nested_params
from dagster_kedro.snapshot import ProjectSnapshot

PARAMS_DESCRIPTION = (
    "The project's Kedro parameters (its parameters files for the component's env, with the YAML's "
    "runtime_params), nested as in Kedro, each defaulting to its value: a value changed here is a "
    "runtime param of this run (like `kedro run --params`); a key the project does not define is "
    "refused."
)
RUNTIME_PARAMS_DESCRIPTION = (
    "Untyped Kedro runtime params for this run, merged over the YAML's runtime_params; dotted keys "
    "nest like `kedro run --params`. Unknown keys are passed on, as Kedro does. A key also changed "
    "under `params` takes the value given there."
)
LOAD_VERSIONS_DESCRIPTION = (
    "dataset -> version, like `kedro run --load-versions`: the versioned datasets named here are "
    "loaded at that version (over the job's load_versions and the run chain's own versions)."
)


@dataclass(frozen=True)
class KedroRunConfig:
    """What a run's config adds: runtime params (the untyped ones with the changed typed ones on
    top) and load versions. The value of the component's ``kedro_<package>`` resource."""

    runtime_params: dict[str, Any] = field(default_factory=dict)
    load_versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfigSpec:
    """The run config of one component, from its snapshot: plain data (steps' targets carry it)."""

    resource_key: str
    defaults: Mapping[str, Any]
    """The typed parameters and their defaults (parameters set by partitions left out)."""
    versioned: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()

    @classmethod
    def of(cls, snapshot: ProjectSnapshot, resource_key: str, skipped: list[str]) -> RunConfigSpec:
        """The spec of ``snapshot``'s project; ``skipped`` (dotted) parameters are not offered:
        the partition sets them on every run."""
        return cls(
            resource_key=resource_key,
            defaults=_without(snapshot.parameters, skipped),
            versioned=tuple(sorted(n for n, d in snapshot.datasets.items() if d.versioned)),
            datasets=tuple(sorted(snapshot.datasets)),
        )

    def schema(self) -> dict[str, dg.Field]:
        return {
            "params": dg.Field(_shape(self.defaults), description=PARAMS_DESCRIPTION),
            "runtime_params": dg.Field(dg.Permissive(), default_value={}, description=RUNTIME_PARAMS_DESCRIPTION),
            "load_versions": dg.Field(dg.Map(str, str), default_value={}, description=LOAD_VERSIONS_DESCRIPTION),
        }

    def resource(self) -> dg.ResourceDefinition:
        """The component's resource: its value is the run's :class:`KedroRunConfig`."""
        return dg.ResourceDefinition(
            resource_fn=lambda init_context: self.read(init_context.resource_config),
            config_schema=self.schema(),
            description="Per-run Kedro parameters, runtime params and load versions of this Kedro project.",
        )

    def read(self, config: Mapping[str, Any] | None) -> KedroRunConfig:
        """The run's :class:`KedroRunConfig` from the resource's config, raw (the run config as
        given) or already processed: both give the same values."""
        processed = process_config(dg.Shape(self.schema()), dict(config or {}))
        if not processed.success:  # Dagster validated the run config at launch: not expected
            raise dg.DagsterInvalidConfigError("Invalid Kedro run config", processed.errors, config)
        values = processed.value or {}
        changed = _changed(values.get("params") or {}, self.defaults)
        load_versions = self.checked_load_versions(
            values.get("load_versions") or {}, source="run config",
            where=f"resources.{self.resource_key}.config.load_versions",
        )
        return KedroRunConfig(nested_params(values.get("runtime_params") or {}, changed), load_versions)

    def checked_load_versions(
        self, given: Mapping[str, str], *, source: Path | str | None, where: str, field_name: str | None = None
    ) -> dict[str, str]:
        """``given`` when every dataset it names is versioned; else one error naming the first
        that is not (with the closest versioned name)."""
        for name, version in given.items():
            if name in self.versioned:
                continue
            known = "is not versioned" if name in self.datasets else "is no dataset of the selected pipelines"
            raise KedroComponentError(
                f"load_versions names '{name}', which {known}. Versioned datasets: {list(self.versioned)}.",
                source=source,
                field=f"{field_name}.{name}" if field_name else None,
                entry=None if field_name else f"{where}.{name}",
                value=version,
                fix="name a dataset with `versioned: true` in the catalog, or remove the entry."
                + _suggestion(name, self.versioned),
            )
        return dict(given)


def check_versions_exist(catalog: Any, load_versions: Mapping[str, str], read: set[str], snapshot: ProjectSnapshot) -> None:
    """Before a step's nodes run: every dataset they read at a given version has that version
    (Kedro would fail in the node's load with a 'No such file' deep in a DatasetError)."""
    for name in sorted(read & set(load_versions)):
        if catalog.get(name).exists():
            continue
        version = load_versions[name]
        info = snapshot.dataset(name)
        folder = Path(snapshot.project_path) / info.filepath if info.filepath else None
        saved = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder and folder.is_dir() else []
        raise KedroComponentError(
            f"load_versions asks for version '{version}' of '{name}', which has no such version "
            f"(saved versions under {info.filepath}: {saved or 'none'}).",
            source="run config (or the job's load_versions)",
            entry=f"load_versions.{name}",
            value=version,
            fix="use one of the saved versions (a run's `kedro/save_version` metadata), or drop the "
            "entry to load the newest.",
        )


def _shape(defaults: Mapping[str, Any]) -> dg.Shape:
    return dg.Shape({key: _field(value) for key, value in defaults.items()})


def _field(value: Any) -> dg.Field:
    """A config field typed by a parameter's value, defaulting to it."""
    if isinstance(value, Mapping):
        return dg.Field(_shape(value)) if value else dg.Field(dg.Permissive(), default_value={})
    if isinstance(value, list):
        kinds = {_scalar(item) for item in value}
        item_type = kinds.pop() if len(kinds) == 1 else None
        return dg.Field(dg.Array(item_type) if item_type else dg.Any, default_value=list(value))
    kind = _scalar(value)
    return dg.Field(kind if kind else dg.Noneable(dg.Any), default_value=value)


def _scalar(value: Any) -> Any:
    """Dagster's config type for a scalar value (bool before int: a bool is an int in Python)."""
    for python, config in ((bool, dg.Bool), (int, dg.Int), (float, dg.Float), (str, dg.String)):
        if isinstance(value, python):
            return config
    return None


def _changed(given: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The leaves of ``given`` that differ from ``defaults``, nested."""
    changed: dict[str, Any] = {}
    for key, value in given.items():
        default = defaults.get(key)
        if isinstance(value, Mapping) and isinstance(default, Mapping) and default:
            inner = _changed(value, default)
            if inner:
                changed[key] = inner
        elif value != default:
            changed[key] = value
    return changed


def _suggestion(name: str, names: tuple[str, ...]) -> str:
    """`` Did you mean 'x'?`` for the name closest to ``name``, whole or by its last part
    (``regressor`` finds ``data_science.regressor``, a namespaced dataset)."""
    whole = did_you_mean(name, names)
    if whole or "." in name:
        return whole
    by_last = {n.rsplit(".", 1)[-1]: n for n in names}
    close = difflib.get_close_matches(name, list(by_last), n=1)
    return f" Did you mean {by_last[close[0]]!r}?" if close else ""


def _without(params: Mapping[str, Any], dotted: list[str]) -> dict[str, Any]:
    """``params`` without the (dotted) keys ``dotted``."""
    result = {k: dict(v) if isinstance(v, Mapping) else v for k, v in params.items()}
    for name in dotted:
        first, _, rest = name.partition(".")
        if not rest:
            result.pop(first, None)
        elif isinstance(result.get(first), Mapping):
            result[first] = _without(result[first], [rest])
    return result
