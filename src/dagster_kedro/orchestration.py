"""Jobs, retries and per-node overrides: how Kedro pipelines show up in Dagster's job list.

Names are derived from the Kedro package name so that several Kedro projects can live in one
code location without clashing (op names must be unique across a whole location).

A job of the YAML's ``jobs:`` selects a registered pipeline narrowed by the same filters as
``kedro run`` (Kedro's own ``Pipeline.filter``, applied to the snapshot's nodes), and becomes an
asset job over the assets those nodes write. Steps are subsettable, so a job that selects part of
a step runs only the nodes that part needs. Everything is validated while the definitions load:
a bad job is a :class:`KedroComponentError` naming the job and the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import dagster as dg

from dagster_kedro.concurrency import run_tags
from dagster_kedro.errors import KedroComponentError, SuggestsFieldNames, did_you_mean
from dagster_kedro.executors import (
    ExecutorCatalog,
    ExecutorRef,
    ExecutorSpec,
    ResolvedExecutor,
    describe,
    resolve_executor,
)
from dagster_kedro.partitions import PartitionPlan, PartitionsSpec
from dagster_kedro.run_config import RunConfigSpec
from dagster_kedro.run_executor import KEDRO_JOB_EXECUTOR, job_executor
from dagster_kedro.run_layers import RunLayers
from dagster_kedro.snapshot import ProjectSnapshot
from dagster_kedro.steps import Step, StepPlan, python_identifier

FILTER_FIELDS = ("tags", "node_names", "from_nodes", "to_nodes", "from_inputs", "to_outputs", "node_namespaces")


def default_job_name(snapshot: ProjectSnapshot, pipeline: str) -> str:
    """``<package>__<pipeline>``; ``__default__`` reads as ``default``."""
    readable = "default" if pipeline == "__default__" else pipeline
    return f"{python_identifier(snapshot.package_name)}__{python_identifier(readable)}"


class RetryPolicySpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """Dagster's RetryPolicy for the steps of a job, or of the steps holding some nodes."""

    max_retries: int = 1
    delay: float | None = None
    backoff: Literal["linear", "exponential"] | None = None
    jitter: Literal["full", "plus_minus"] | None = None

    def to_dagster(self, field_name: str, source: Path | None) -> dg.RetryPolicy:
        """Dagster's RetryPolicy; a negative count or delay is a load error naming ``field_name``."""
        for name in ("max_retries", "delay"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise KedroComponentError(
                    f"retry_policy.{name} must be 0 or more.",
                    source=source,
                    field=f"{field_name}.{name}",
                    value=value,
                    fix=f"set {name} to 0 or a positive number ({'retries' if name == 'max_retries' else 'seconds'}).",
                )
        return dg.RetryPolicy(
            max_retries=self.max_retries,
            delay=self.delay,
            backoff=dg.Backoff.EXPONENTIAL if self.backoff == "exponential" else dg.Backoff.LINEAR if self.backoff else None,
            jitter=dg.Jitter.FULL if self.jitter == "full" else dg.Jitter.PLUS_MINUS if self.jitter else None,
        )


class KedroFilterSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """The filters of ``kedro run``; combined as Kedro combines them (``Pipeline.filter``)."""

    tags: list[str] | None = None
    node_names: list[str] | None = None
    from_nodes: list[str] | None = None
    to_nodes: list[str] | None = None
    from_inputs: list[str] | None = None
    to_outputs: list[str] | None = None
    node_namespaces: list[str] | None = None

    def given(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in FILTER_FIELDS if getattr(self, name) is not None}


class KedroJobSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """One asset job: a registered pipeline, narrowed like ``kedro run``."""

    name: str
    pipeline: str = "__default__"
    filter: KedroFilterSpec | None = None
    executor: ExecutorRef | None = None
    runtime_params: dict[str, Any] = {}
    load_versions: dict[str, str] = {}
    retry_policy: RetryPolicySpec | None = None
    tags: dict[str, str] = {}
    description: str | None = None


class NodeOverrideSpec(SuggestsFieldNames, dg.Model, dg.Resolvable):
    """What applies to the step holding a node: retries, op tags, a concurrency pool."""

    retry_policy: RetryPolicySpec | None = None
    op_tags: dict[str, Any] = {}
    pool: str | None = None


@dataclass
class StepOptions:
    """Keyword arguments of a step's multi-asset that orchestration decides."""

    retry_policy: dg.RetryPolicy | None = None
    pool: str | None = None
    op_tags: dict[str, Any] = field(default_factory=dict)
    backfill_policy: dg.BackfillPolicy | None = None


def _noop(*args: Any, **kwargs: Any) -> None:  # pragma: no cover - never called
    return None


def filter_nodes(snapshot: ProjectSnapshot, pipeline: str, filters: Mapping[str, list[str]]) -> list[str]:
    """Names of ``pipeline``'s nodes that ``kedro run --pipeline P <filters>`` would run.

    Kedro's own ``Pipeline.filter`` on stand-in nodes rebuilt from the snapshot (same names,
    namespaces, tags, inputs and outputs), so the semantics are Kedro's without the live project.
    Raises ``ValueError`` (Kedro's message) when the filters leave nothing.
    """
    names = snapshot.pipelines[pipeline]
    if not filters:
        return list(names)  # the common case: a load from state imports nothing of Kedro
    from kedro.pipeline import Node, Pipeline

    nodes = []
    for name in names:
        node = snapshot.nodes[name]
        prefix = f"{node.namespace}." if node.namespace else ""
        short = name[len(prefix):] if prefix and name.startswith(prefix) else name
        nodes.append(
            Node(
                _noop,
                list(node.inputs) or None,
                list(node.outputs) or None,
                name=short,
                namespace=node.namespace,
                tags=node.tags,
            )
        )
    return [node.name for node in Pipeline(nodes).filter(**filters).nodes]


def resolve_node_overrides(
    overrides: Mapping[str, NodeOverrideSpec] | None, plan: StepPlan, source: Path | None
) -> dict[str, StepOptions]:
    """Step name -> options, from overrides keyed by node name, ``tag:<tag>`` or ``*``.

    An override applies to the whole step holding a matching node (with ``group_by: node``, to
    exactly that node). A node-name key wins over a tag key, which wins over ``*``; two keys of
    the same kind giving one step different pools or retry policies are a load error.
    """
    result: dict[str, StepOptions] = {}
    if not overrides:
        return result
    nodes = plan.snapshot.nodes
    matches: dict[str, set[str]] = {}
    for key in overrides:
        if key == "*":
            matched = set(nodes)
        elif key.startswith("tag:"):
            matched = {n for n, node in nodes.items() if key[4:] in node.tags}
        else:
            matched = {key} & set(nodes)
        if not matched:
            known_tags = sorted({t for node in nodes.values() for t in node.tags})
            raise KedroComponentError(
                f"node override '{key}' matches no node of the selected pipelines.",
                source=source,
                field=f"node_overrides.{key}",
                fix=f"key overrides by a node name, 'tag:<tag>' (tags here: {known_tags}) or '*'."
                + did_you_mean(key, [*nodes, *(f"tag:{t}" for t in known_tags)]),
            )
        matches[key] = matched
    def rank(key: str) -> int:  # more specific overrides win: '*' < 'tag:...' < node name
        return 0 if key == "*" else 1 if key.startswith("tag:") else 2

    ordered = sorted(overrides, key=rank)
    for step in plan.steps:
        options = StepOptions()
        chosen: dict[str, tuple[int, str, Any]] = {}
        for key in ordered:
            if not matches[key].intersection(step.nodes):
                continue
            spec = overrides[key]
            options.op_tags.update(spec.op_tags)
            for what, value in (("pool", spec.pool), ("retry_policy", spec.retry_policy)):
                if value is None:
                    continue
                earlier = chosen.get(what)
                if earlier and earlier[0] == rank(key) and repr(earlier[2]) != repr(value):
                    raise KedroComponentError(
                        f"step '{step.name}' (nodes {list(step.nodes)}) gets different {what} values "
                        f"from overrides '{earlier[1]}' and '{key}'; an override applies to the whole "
                        "step holding the node.",
                        source=source,
                        field=f"node_overrides.{key}.{what}",
                        fix="use group_by: node for per-node precision, or give these nodes the same value.",
                    )
                chosen[what] = (rank(key), key, value)
        options.pool = chosen["pool"][2] if "pool" in chosen else None
        if "retry_policy" in chosen:
            key = chosen["retry_policy"][1]
            options.retry_policy = chosen["retry_policy"][2].to_dagster(f"node_overrides.{key}.retry_policy", source)
        result[step.name] = options
    return result


def snapshot_pipelines(pipelines: list[str], jobs: list[KedroJobSpec] | None) -> list[str]:
    """The pipelines to read: the component's, then those its jobs select (each once)."""
    return list(dict.fromkeys([*pipelines, *(job.pipeline for job in jobs or [])]))


@contextmanager
def job_pipeline_errors(pipelines: list[str], jobs: list[KedroJobSpec] | None) -> Iterator[None]:
    """Re-raise "pipeline not registered" as an error of the job that selects it."""
    try:
        yield
    except KedroComponentError as error:
        if error.field == "pipelines":
            for index, job in enumerate(jobs or []):
                if job.pipeline not in pipelines and repr(job.pipeline) in error.problem:
                    raise KedroComponentError(
                        f"job '{job.name}' selects pipeline '{job.pipeline}': {error.problem}",
                        field=f"jobs[{index}].pipeline",
                        value=job.pipeline,
                        fix=error.fix,
                    ) from error.__cause__
        raise


@dataclass
class JobBuild:
    name: str
    job: dg.UnresolvedAssetJobDefinition
    datasets: list[str]
    partitioned: bool


class Orchestration:
    """Everything the YAML declares about running the project, validated against the snapshot:
    executors, per-node overrides, partitions, the params each job adds, the jobs themselves."""

    def __init__(
        self,
        snapshot: ProjectSnapshot,
        plan: StepPlan,
        source: Path | None,
        *,
        executors: Mapping[str, ExecutorSpec] | None = None,
        executor: ExecutorRef | None = None,
        node_overrides: Mapping[str, NodeOverrideSpec] | None = None,
        partitions: PartitionsSpec | None = None,
        jobs: list[KedroJobSpec] | None = None,
        concurrency: Any = None,
        run_config: RunConfigSpec,
    ):
        self.snapshot, self.plan, self.source = snapshot, plan, source
        self.executors = ExecutorCatalog(executors, source)
        self.default_executor: ResolvedExecutor | None = self.executors.resolve(
            executor, field_name="executor", label="executor"
        )
        self.step_options = resolve_node_overrides(node_overrides, plan, source)
        self.partitions = PartitionPlan(partitions, plan, source) if partitions is not None else None
        if self.partitions and self.partitions.backfill_policy:
            # on every step: a range run (`dg launch --partition-range`) needs the policy on every
            # asset it selects, unpartitioned ones included
            for step in plan.steps:
                self.step_options.setdefault(step.name, StepOptions()).backfill_policy = (
                    self.partitions.backfill_policy
                )
        self.concurrency = concurrency
        if jobs is None:
            self.job_specs = [
                KedroJobSpec(name=default_job_name(snapshot, pipeline), pipeline=pipeline)
                for pipeline in snapshot.pipelines
            ]
            self.job_fields: list[str | None] = [None] * len(self.job_specs)
        else:
            self.job_specs, self.job_fields = list(jobs), [f"jobs[{i}]" for i in range(len(jobs))]
        self.layers = RunLayers(
            job_params={spec.name: dict(spec.runtime_params) for spec in self.job_specs},
            job_load_versions={
                spec.name: run_config.checked_load_versions(
                    spec.load_versions, source=source, where=f"{where}.load_versions", field_name=f"{where}.load_versions"
                )
                for spec, where in zip(self.job_specs, self.job_fields)
                if spec.load_versions
            },
            partitions=self.partitions,
        )

    def options_for(self, step: Step) -> StepOptions:
        return self.step_options.get(step.name) or StepOptions()

    def asset_specs(self, specs: dict[str, dg.AssetSpec]) -> dict[str, dg.AssetSpec]:
        return self.partitions.asset_specs(specs) if self.partitions else specs

    def adhoc_executor(self) -> ResolvedExecutor:
        """What an ad-hoc materialization of only this component's steps runs on: what its jobs
        run on (the YAML's `executor`, else in process)."""
        return self.default_executor or resolve_executor(
            ExecutorSpec(type="in_process"), label="in_process", source=self.source, field_name="executor"
        )

    def jobs(self, keys: Mapping[str, dg.AssetKey]) -> list[JobBuild]:
        """The asset jobs over the step assets (keyed by dataset in ``keys``)."""
        builds: list[JobBuild] = []
        for spec, where in zip(self.job_specs, self.job_fields):
            if any(b.name == spec.name for b in builds):
                raise KedroComponentError(
                    f"job name '{spec.name}' is used twice.",
                    source=self.source,
                    field=f"{where}.name",
                    value=spec.name,
                    fix="give every job of `jobs` a name of its own.",
                )
            build = self._job(spec, where, keys)
            if build is not None:
                builds.append(build)
        return builds

    def _job(self, spec: KedroJobSpec, where: str | None, keys: Mapping[str, dg.AssetKey]) -> JobBuild | None:
        """The job of ``spec``; None for the default job of a registered pipeline with no node (a
        project fresh from `kedro new` loads, with no job until it has nodes)."""
        snapshot = self.snapshot
        if spec.pipeline not in snapshot.pipelines:
            raise KedroComponentError(
                f"job '{spec.name}' selects pipeline '{spec.pipeline}', which is not registered.",
                source=self.source,
                field=f"{where}.pipeline",
                value=spec.pipeline,
                fix=f"use one of the pipelines read for this component: {sorted(snapshot.pipelines)}."
                + did_you_mean(spec.pipeline, sorted(snapshot.pipelines)),
            )
        filters = spec.filter.given() if spec.filter else {}
        try:
            nodes = filter_nodes(snapshot, spec.pipeline, filters)
        except ValueError as error:
            raise KedroComponentError(
                f"job '{spec.name}': the filter selects no node of pipeline '{spec.pipeline}': {error}",
                source=self.source,
                field=f"{where}.filter",
                value=filters,
                fix="check the tags and node/dataset names against `kedro registry describe "
                f"{spec.pipeline}`; the filters combine as in `kedro run`.",
            ) from None
        if not nodes and where is None:
            return None
        written = [d for n in nodes for d in snapshot.nodes[n].outputs if d in keys]
        datasets = list(dict.fromkeys(written))
        if not datasets:
            raise KedroComponentError(
                f"job '{spec.name}': the filter selects nodes {nodes}, which write no asset (only "
                "memory data consumed inside their step).",
                source=self.source,
                field=f"{where}.filter" if where else "pipelines",
                value=filters,
                fix="widen the filter to a node that writes a catalog dataset.",
            )
        label = f"{spec.name} executor"
        executor = self.executors.resolve(spec.executor, field_name=f"{where}.executor", label=label)
        executor = executor or self.default_executor
        partitioned = bool(self.partitions and self.partitions.any_partitioned(datasets))
        described = f"Kedro pipeline '{spec.pipeline}' of {snapshot.project_name}"
        if filters:
            described += " filtered by " + ", ".join(f"{k}={v}" for k, v in filters.items())
        described += f". Executor: {describe(executor)}."
        if spec.retry_policy:
            described += f" Retries: {spec.retry_policy.max_retries}."
        tags = {
            "kedro/project": snapshot.package_name,
            "kedro/pipeline": spec.pipeline,
            "kedro/executor": describe(executor),
            **run_tags(self.concurrency, snapshot.package_name),
            **spec.tags,
        }
        job = dg.define_asset_job(
            spec.name,
            selection=dg.AssetSelection.assets(*(keys[d] for d in sorted(datasets))),
            description=spec.description or described,
            tags=tags,
            executor_def=job_executor(executor) if executor else KEDRO_JOB_EXECUTOR,
            op_retry_policy=spec.retry_policy.to_dagster(f"{where}.retry_policy", self.source) if spec.retry_policy else None,
            partitions_def=self.partitions.partitions_def if partitioned else None,
        )
        return JobBuild(spec.name, job, datasets, partitioned)
