"""Executors declared in YAML: named or inline ``{type, config}``, validated at load time.

The distributed types come from optional extras (``pip install 'dagster-kedro[celery]'`` ...);
naming one whose extra is missing is a load error saying which extra to install. How a resolved
executor runs a job (wrapped so that Kedro's pipeline hooks fire once per run, and routed for
ad-hoc materializations) is ``run_executor``'s.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import dagster as dg
from dagster.components.resolved.model import Resolver

from dagster_kedro.errors import KedroComponentError, SuggestsFieldNames, did_you_mean
from dagster_kedro.step_processes import with_kedro_start_method

# type -> (module, attribute, extra that installs the module)
EXECUTOR_TYPES: dict[str, tuple[str, str, str | None]] = {
    "in_process": ("dagster", "in_process_executor", None),
    "multiprocess": ("dagster", "multiprocess_executor", None),
    "celery": ("dagster_celery", "celery_executor", "celery"),
    "dask": ("dagster_dask", "dask_executor", "dask"),
    "k8s": ("dagster_k8s", "k8s_job_executor", "k8s"),
    "docker": ("dagster_docker", "docker_executor", "docker"),
}


class ExecutorSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """One executor: a type and that Dagster executor's own config."""

    type: Annotated[
        str,
        Resolver.default(
            description="in_process | multiprocess | celery | dask | k8s | docker (the last four "
            "need the extra of the same name: pip install 'dagster-kedro[celery]'), or the dotted "
            "path of any ExecutorDefinition ('my_package.executors.my_executor').",
            examples=["multiprocess", "celery"],
        ),
    ]
    config: Annotated[
        dict[str, Any],
        Resolver.default(
            description="The Dagster executor's own config (what `execution: config:` would hold), "
            "validated against its config schema when the definitions load.",
            examples=[{"max_concurrent": 4}, {"broker": "redis://127.0.0.1:6379/0"}],
        ),
    ] = {}


ExecutorRef = str | ExecutorSpec


@dataclass(eq=False)
class ResolvedExecutor:
    """A validated executor: its Dagster definition and processed config."""

    label: str
    type: str
    definition: dg.ExecutorDefinition
    raw_config: Mapping[str, Any]
    config: Mapping[str, Any]

    @property
    def key(self) -> tuple[int, str]:
        """Equal for two executors of the same definition and config (e.g. in two components)."""
        return id(self.definition), json.dumps(self.raw_config, sort_keys=True, default=str)

    def create(self, init_context: Any) -> dg.Executor:
        """The (unwrapped) executor itself, for a run whose Definitions-level executor routes here."""
        from dagster._core.executor.init import InitExecutorContext

        context = InitExecutorContext(
            job=init_context.job,
            executor_def=self.definition,
            executor_config=dict(self.config),
            instance=init_context.instance,
        )
        return self.definition.executor_creation_fn(with_kedro_start_method(context, self.definition.name))


def executor_definition(type_name: str, *, source: Path | None, field_name: str) -> dg.ExecutorDefinition:
    """The Dagster ExecutorDefinition for a YAML executor type (a load error if unavailable)."""
    if type_name in EXECUTOR_TYPES:
        module_name, attribute, extra = EXECUTOR_TYPES[type_name]
    elif "." in type_name:
        module_name, _, attribute = type_name.rpartition(".")
        extra = None
    else:
        raise KedroComponentError(
            f"unknown executor type '{type_name}'.",
            source=source,
            field=field_name,
            value=type_name,
            fix=f"use one of {sorted(EXECUTOR_TYPES)}, or the dotted path of an ExecutorDefinition."
            + did_you_mean(type_name, sorted(EXECUTOR_TYPES)),
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        if extra is None:
            raise KedroComponentError(
                f"cannot import '{module_name}' for executor type '{type_name}': {error}",
                source=source,
                field=field_name,
                value=type_name,
                fix="install the package that provides it in the code location's environment.",
            ) from error
        raise KedroComponentError(
            f"executor type '{type_name}' needs the package '{module_name.replace('_', '-')}', which "
            "is not installed.",
            source=source,
            field=field_name,
            value=type_name,
            fix=f"pip install 'dagster-kedro[{extra}]'",
        ) from error
    definition = getattr(module, attribute, None)
    if not isinstance(definition, dg.ExecutorDefinition):
        raise KedroComponentError(
            f"'{type_name}' is not a Dagster ExecutorDefinition.",
            source=source,
            field=field_name,
            value=type_name,
            fix="name a module attribute created with @executor or ExecutorDefinition(...).",
        )
    return definition


def resolve_executor(spec: ExecutorSpec, *, label: str, source: Path | None, field_name: str) -> ResolvedExecutor:
    """Import the executor and validate ``spec.config`` against its config schema."""
    from dagster._config import process_config

    definition = executor_definition(spec.type, source=source, field_name=f"{field_name}.type")
    config = dict(spec.config or {})
    schema = definition.config_schema
    if schema is None:
        processed: Mapping[str, Any] = config
    else:
        result = process_config(schema.config_type, config)
        if not result.success:
            problems = "; ".join(_short(error.message) for error in result.errors or [])
            raise KedroComponentError(
                f"invalid config for executor '{label}' (type {spec.type}): {problems}",
                source=source,
                field=f"{field_name}.config",
                value=config,
                fix=f"use the config keys of Dagster's {definition.name} executor "
                f"(see its documentation); allowed at the top level: {_top_level_keys(schema)}.",
            )
        processed = result.value or {}
    return ResolvedExecutor(label=label, type=spec.type, definition=definition, raw_config=config, config=processed)


def _short(message: str) -> str:
    """Dagster's message without the full schema dump (the fix names the allowed keys)."""
    head, _, _ = message.partition(' Expected: "')
    return head if len(message) > 240 else message


def _top_level_keys(schema: Any) -> list[str]:
    fields = getattr(schema.config_type, "fields", None) or {}
    return sorted(fields)


class ExecutorCatalog:
    """The component's named executors, resolved once; jobs refer to them by name or inline."""

    def __init__(self, named: Mapping[str, ExecutorSpec] | None, source: Path | None):
        self.source = source
        self.named: dict[str, ResolvedExecutor] = {
            name: resolve_executor(spec, label=name, source=source, field_name=f"executors.{name}")
            for name, spec in (named or {}).items()
        }

    def resolve(self, ref: ExecutorRef | None, *, field_name: str, label: str) -> ResolvedExecutor | None:
        if ref is None:
            return None
        if isinstance(ref, str):
            if ref in self.named:
                return self.named[ref]
            raise KedroComponentError(
                f"unknown executor name '{ref}'.",
                source=self.source,
                field=field_name,
                value=ref,
                fix=f"use one of the names under `executors:` ({sorted(self.named) or 'none defined'}), "
                "or give the executor inline as {type: ..., config: {...}}." + did_you_mean(ref, sorted(self.named)),
            )
        return resolve_executor(ref, label=label, source=self.source, field_name=field_name)


def describe(executor: ResolvedExecutor | None) -> str:
    if executor is None:
        return "in_process (the default; the run config may select multiprocess)"
    return executor.label if executor.label == executor.type else f"{executor.label} ({executor.type})"
