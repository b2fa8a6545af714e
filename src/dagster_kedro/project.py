"""Reading a Kedro project into a :class:`ProjectSnapshot`.

The read happens in the calling process with Kedro's globals saved and restored around it
(see ``kedro_runtime.preserved_kedro_globals``): a subprocess would isolate it as well but costs
a Python start plus every import again on each load. The same function runs as
``python -m dagster_kedro --project-path P`` for callers that want the read done by
another interpreter, and as ``project_python.py snapshot`` under a project's own interpreter
(``python_executable``, see ``isolated_env``); both print the snapshot as JSON. It imports no
dagster, so that interpreter needs none.
"""

from __future__ import annotations

import argparse
import hashlib
import contextlib
import inspect
import json
import sys
import tomllib
from pathlib import Path
from collections.abc import Callable
from typing import Any

from dagster_kedro import kedro_config
from dagster_kedro.code_versions import node_code_hash
from dagster_kedro.errors import KedroComponentError, did_you_mean
from dagster_kedro.kedro_runtime import (
    activate_project,
    all_pipeline_names,
    config_loader,
    preserved_kedro_globals,
    registered_pipelines,
)
from dagster_kedro.node_loading import node_call, parameter_types
from dagster_kedro.pandera_checks import kedro_pandera_resolvers
from dagster_kedro.snapshot import NodeSnapshot, ProjectSnapshot


def validate_kedro_project_path(path: Path) -> None:
    """Refuse a path that is not a Kedro project root, saying what was expected there."""
    pyproject = path / "pyproject.toml"
    if not path.is_dir():
        raise KedroComponentError(
            f"'{path}' does not exist or is not a folder.",
            field="project_path",
            value=str(path),
            fix="point project_path at the Kedro project root (the folder holding pyproject.toml "
            "with a [tool.kedro] table); a relative path resolves against the defs.yaml folder.",
        )
    try:
        tool = tomllib.loads(pyproject.read_text()).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        tool = {}
    if "kedro" not in tool:
        raise KedroComponentError(
            f"'{path}' is not a Kedro project: no pyproject.toml with a [tool.kedro] table there.",
            field="project_path",
            value=str(path),
            fix="point project_path at the Kedro project root, or create the project with `kedro new`.",
        )


def read_project(
    project_path: str | Path,
    *,
    env: str | None = None,
    conf_source: str | None = None,
    runtime_params: dict[str, Any] | None = None,
    pipelines: list[str] | None = None,
) -> ProjectSnapshot:
    """Read pipelines, nodes and catalog of a Kedro project, leaving Kedro's globals untouched."""
    path = Path(project_path).resolve()
    validate_kedro_project_path(path)
    wanted = pipelines or ["__default__"]
    with preserved_kedro_globals():
        try:
            metadata = activate_project(path)
            known = all_pipeline_names()
        except Exception as error:
            raise KedroComponentError(
                f"Kedro could not load the project at '{path}': {type(error).__name__}: {error}",
                field="project_path",
                value=str(project_path),
                fix="run `kedro registry list` in the project to see the same error, and fix the "
                "project's settings.py or pipeline_registry.py.",
            ) from error
        missing = [name for name in wanted if name not in known]
        if missing:
            raise KedroComponentError(
                f"pipeline(s) {missing} are not registered by {metadata.package_name}'s "
                f"pipeline_registry.py. Registered: {known}.",
                field="pipelines",
                value=wanted,
                fix="use one of the registered names, or register the pipeline in register_pipelines()."
                + did_you_mean(missing[0], known),
            )
        registered = registered_pipelines(known)
        selected = {name: registered[name] for name in wanted}
        _validate_env(path, env, conf_source)
        membership: dict[str, list[str]] = {}
        for name, pipeline in registered.items():
            for node in pipeline.nodes if name != "__default__" else []:
                membership.setdefault(node.name, []).append(name)
        loader = config_loader(path, env, conf_source, runtime_params)
        params = kedro_config.parameters(loader)
        nodes = {
            node.name: _node_snapshot(
                node, path, membership.get(node.name, []), node_code_hash(node, params, metadata.package_name)
            )
            for p in selected.values()
            for node in p.nodes
        }
        kedro_config.check_parameter_inputs(loader, params, nodes)
        dataset_names = {d for n in nodes.values() for d in [*n.inputs, *n.outputs]}
        with kedro_pandera_resolvers():  # a pandera schema in the catalog stays a reference
            datasets = kedro_config.dataset_snapshots(loader, kedro_config.catalog_entries(loader), dataset_names)
    return ProjectSnapshot(
        project_path=str(path),
        package_name=metadata.package_name,
        project_name=metadata.project_name,
        kedro_version=metadata.kedro_init_version,
        env=env,
        pipelines={name: [n.name for n in p.nodes] for name, p in selected.items()},
        registered={name: sorted(n.name for n in p.nodes) for name, p in registered.items()},
        nodes=nodes,
        datasets=datasets,
        parameters=kedro_config.json_values(params),
        parameter_types=parameter_types(registered),  # Kedro validates against every registered pipeline
        fingerprint=project_fingerprint(path, conf_source),
    )


def project_fingerprint(project_path: str | Path, conf_source: str | None = None) -> str:
    """A hash of everything a snapshot is read from: the package's Python files, the conf
    folder (or archive) and pyproject.toml. Cheap (no import), so a stale snapshot is caught
    on every load."""
    path = Path(project_path).resolve()
    kedro_table = tomllib.loads((path / "pyproject.toml").read_text())["tool"]["kedro"]
    package = path / kedro_table.get("source_dir", "src") / kedro_table["package_name"]
    conf = Path(conf_source) if conf_source else path / "conf"
    files = [path / "pyproject.toml", *sorted(package.rglob("*.py"))]
    files += sorted(p for p in conf.rglob("*") if p.is_file()) if conf.is_dir() else [conf]
    digest = hashlib.sha256()
    for file in files:
        if file.is_file() and "__pycache__" not in file.parts:
            digest.update(str(file.relative_to(path) if file.is_relative_to(path) else file).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _validate_env(project_path: Path, env: str | None, conf_source: str | None) -> None:
    """Kedro reads an unknown env as an empty config; say so instead of failing later."""
    conf = Path(conf_source) if conf_source else project_path / "conf"
    if env and conf.is_dir() and not (conf / env).is_dir():
        available = sorted(p.name for p in conf.iterdir() if p.is_dir())
        raise KedroComponentError(
            f"Kedro env '{env}' has no folder {conf / env}. Available envs: {available}.",
            field="env",
            value=env,
            fix="use one of the available envs (or unset KEDRO_ENV), or create the folder." + did_you_mean(env, available),
        )


def _node_snapshot(node: Any, project_path: Path, registered_in: list[str], code_hash: str | None) -> NodeSnapshot:
    func = inspect.unwrap(getattr(node.func, "func", node.func))
    source_file = source_line = None
    try:
        source = Path(inspect.getsourcefile(func) or "").resolve()
        source_line = inspect.getsourcelines(func)[1]
        source_file = (
            source.relative_to(project_path).as_posix()
            if source.is_relative_to(project_path)
            else str(source)
        )
    except (OSError, TypeError):
        pass
    return NodeSnapshot(
        name=node.name,
        func_name=node._func_name,
        namespace=node.namespace,
        tags=sorted(node.tags),
        inputs=list(node.inputs),
        outputs=list(node.outputs),
        source_file=source_file,
        source_line=source_line,
        docstring=inspect.getdoc(func),
        function=f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', type(func).__qualname__)}",
        code_hash=code_hash,
        registered_in=registered_in,
        call=node_call(node),
    )


def main(argv: list[str] | None = None, check: Callable[[ProjectSnapshot], None] | None = None) -> None:
    """Print the snapshot; ``check`` (``project_python``'s) may refuse it first."""
    parser = argparse.ArgumentParser(
        prog="python -m dagster_kedro",
        description="Print the dagster-kedro snapshot of a Kedro project as JSON.",
    )
    parser.add_argument("--project-path", required=True)
    parser.add_argument("--env")
    parser.add_argument("--conf-source")
    parser.add_argument("--pipeline", action="append", dest="pipelines")
    parser.add_argument("--runtime-params", type=json.loads, default=None, help="a JSON object")
    args = parser.parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr):  # Kedro's logging prints to stdout
        snapshot = read_project(
            args.project_path,
            env=args.env,
            conf_source=args.conf_source,
            runtime_params=args.runtime_params,
            pipelines=args.pipelines,
        )
    if check is not None:
        check(snapshot)
    sys.stdout.write(snapshot.to_json() + "\n")

