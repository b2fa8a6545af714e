"""Kedro's process-wide state, handled in one place.

``kedro.framework.project`` keeps the active project in module globals (``settings``,
``pipelines``, ``PACKAGE_NAME``). Reading a project for Definitions must leave them as they were
(several components, several projects, one process), while running nodes must switch them to
the step's project. Every use of Kedro private API is isolated here so an upgrade breaks one
module, covered by tests.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster_kedro.logging_scope import isolated_logging

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext
    from kedro.framework.session import KedroSession
    from kedro.io import DataCatalog
    from kedro.pipeline import Pipeline
    from pluggy import PluginManager


# An incremental logging configuration that lists nothing: applying it changes nothing.
_NO_LOGGING_CHANGE = Path(__file__).with_name("no_logging_change.yml")
_KEDRO_RESOLVER_WARNING = r"register_new_resolver\(\) is deprecated"


def _kedro_project_module() -> Any:
    """``kedro.framework.project``, imported without the logging setup its import does.

    Its first import applies ``$KEDRO_LOGGING_CONFIG`` (else ``conf/logging.yml`` of the
    working directory, else Kedro's rich default, which routes root logging to stdout) to the
    whole process and logs ``Using '...' as logging configuration``. Loading a component must
    leave the host's logging alone, so the first import goes through here, with a configuration
    that changes nothing; steps apply the project's own (``project_scope.project_logging``).
    Every entry into Kedro comes through here, so it also hides Kedro's resolver warning
    (:func:`_hide_kedro_resolver_deprecation`).
    """
    _hide_kedro_resolver_deprecation()
    if "kedro.framework.project" not in sys.modules:
        previous = os.environ.get("KEDRO_LOGGING_CONFIG")
        os.environ["KEDRO_LOGGING_CONFIG"] = str(_NO_LOGGING_CHANGE)
        try:
            with isolated_logging():
                import kedro.framework.project  # noqa: F401
        finally:
            if previous is None:
                del os.environ["KEDRO_LOGGING_CONFIG"]
            else:
                os.environ["KEDRO_LOGGING_CONFIG"] = previous
    return sys.modules["kedro.framework.project"]


def import_step_modules() -> None:
    """Import what every step imports from Kedro (its session and runner), Kedro's first import
    leaving logging alone as in a step: for a forkserver that preloads them (``step_processes``)."""
    _kedro_project_module()
    import kedro.framework.session  # noqa: F401
    import kedro.runner  # noqa: F401


def _hide_kedro_resolver_deprecation() -> None:
    """Hide OmegaConf 2.4's ``register_new_resolver() is deprecated`` warning when Kedro's config
    loader raises it (on every loader it builds and every config it reads: 14 lines per `dg`
    command, and per step), and only then: the same warning from a project's own call, and every
    other warning, still shows. The user cannot act on Kedro's call. Called on every entry into
    Kedro: the filter is added again when a ``catch_warnings`` block (pytest, Dagster) dropped
    it, and only then (changing the filters makes Python show every once-per-place warning again)."""
    present = (f[0] == "ignore" and f[1] is not None and f[1].pattern == _KEDRO_RESOLVER_WARNING for f in warnings.filters)
    if not any(present):
        warnings.filterwarnings(
            "ignore", message=_KEDRO_RESOLVER_WARNING, category=UserWarning, module=r"kedro\.config\.omegaconf_config"
        )


def _not_the_logging_choice(record: logging.LogRecord) -> bool:
    return not (record.getMessage().startswith("Using '") and "as logging configuration" in record.getMessage())


def configure_project_logging(package_name: str, kept: dict[tuple, Any] | None = None) -> None:
    """Apply the logging configuration ``kedro run`` applies, chosen as Kedro chooses it:
    ``$KEDRO_LOGGING_CONFIG``, else ``conf/logging.yml`` of the working directory, else Kedro's
    default; plus the package's logger at INFO (what ``configure_project`` adds). Kedro's own
    validation (allowed handler classes) applies. The module global ``LOGGING`` is untouched.

    Kedro then logs ``Using '<file>' as logging configuration``: applied once per step, that line
    would open every step's logs (and print once per step in `dg launch`), so it is dropped.

    With ``kept`` (the process's, ``KedroProcessRuntime.logging_configs``), a configuration read
    before for the same package, working directory and files is applied again through Kedro's
    own ``configure`` without finding, reading and parsing its YAML: a process applies it once
    per step (about 10 ms each). An edited file is read again (its modification time is in the key)."""
    kedro_project = _kedro_project_module()
    announcer = logging.getLogger(kedro_project.__name__)
    announcer.addFilter(_not_the_logging_choice)
    key = _logging_choice(package_name)
    try:
        known = kept.get(key) if kept is not None else None
        if known is not None:
            known.configure(known.data)
            return
        known = kedro_project._ProjectLogging()
        known.set_project_logging(package_name)
        if kept is not None:
            kept[key] = known
    finally:
        announcer.removeFilter(_not_the_logging_choice)


def _logging_choice(package_name: str) -> tuple:
    """What Kedro's choice of a logging configuration depends on: the package, the working
    directory, ``$KEDRO_LOGGING_CONFIG`` and the files it may read, with their modification times."""
    chosen = os.environ.get("KEDRO_LOGGING_CONFIG")
    candidates = [Path(chosen)] if chosen else [Path("conf/logging.yml"), Path("conf/logging.yaml")]
    stamps = tuple((str(path), path.stat().st_mtime_ns) for path in candidates if path.is_file())
    return (package_name, os.getcwd(), chosen, stamps)


@contextmanager
def preserved_kedro_globals() -> Iterator[None]:
    """Restore Kedro's project globals, sys.path and the process's logging on exit, whatever
    happened inside."""
    with isolated_logging(), _preserved_project_globals():
        yield


@contextmanager
def _preserved_project_globals() -> Iterator[None]:
    kedro_project = _kedro_project_module()
    settings_state = dict(kedro_project.settings.__dict__)
    pipelines_state = {
        k: copy.copy(v) for k, v in kedro_project.pipelines.__dict__.items() if k != "_lock"
    }
    package_name = kedro_project.PACKAGE_NAME
    sys_path = list(sys.path)
    try:
        yield
    finally:
        kedro_project.settings.__dict__.clear()
        kedro_project.settings.__dict__.update(settings_state)
        kedro_project.pipelines.__dict__.update(pipelines_state)
        kedro_project.PACKAGE_NAME = package_name
        sys.path[:] = sys_path


def activate_project(project_path: str | Path) -> Any:
    """Make ``project_path`` Kedro's active project in this process (cheap when it already is).

    Returns Kedro's ``ProjectMetadata``. Whether the project is active already is read from
    Kedro's own globals (its package name, and where that package was imported from), which
    :func:`preserved_kedro_globals` restores: no record of ours can disagree with them.
    """
    kedro_project = _kedro_project_module()
    from kedro.framework.startup import _get_project_metadata, bootstrap_project

    path = Path(project_path).resolve()
    metadata = _get_project_metadata(path)
    if not _is_active(kedro_project, metadata, path):
        _forget_package_from_elsewhere(path)
        with isolated_logging():  # configure_project re-applies Kedro's logging configuration
            bootstrap_project(path)
            kedro_project.validate_settings()  # dynaconf would otherwise swallow an ImportError in settings.py
    kedro_project.pipelines.set_requested(None)
    return metadata


def _is_active(kedro_project: Any, metadata: Any, project_path: Path) -> bool:
    if kedro_project.PACKAGE_NAME != metadata.package_name or str(metadata.source_dir) not in sys.path:
        return False
    location = getattr(sys.modules.get(metadata.package_name), "__file__", None)
    return location is not None and Path(location).resolve().is_relative_to(project_path)


def _forget_package_from_elsewhere(project_path: Path) -> None:
    """Drop an imported package of the same name that lives outside ``project_path`` (another
    copy or checkout of the project), so its modules are imported from this project."""
    import tomllib

    package = tomllib.loads((project_path / "pyproject.toml").read_text())["tool"]["kedro"]["package_name"]
    loaded = sys.modules.get(package)
    location = getattr(loaded, "__file__", None) or ""
    if loaded is not None and not Path(location).resolve().is_relative_to(project_path):
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]


def registered_pipelines(names: list[str]) -> dict[str, Pipeline]:
    """The active project's registered pipelines named ``names`` (KeyError for a missing one)."""
    from kedro.framework.project import pipelines

    return {name: pipelines[name] for name in names}


def all_pipeline_names() -> list[str]:
    from kedro.framework.project import pipelines

    return sorted(pipelines.keys())


def config_loader(
    project_path: Path, env: str | None, conf_source: str | None, runtime_params: dict | None
) -> Any:
    """The active project's config loader, built exactly as Kedro's inspection API builds it."""
    from kedro.inspection.helper import _make_config_loader

    return _make_config_loader(
        project_path, env=env, conf_source=conf_source, runtime_params=runtime_params
    )


def open_session(
    project_path: str | Path,
    env: str | None,
    conf_source: str | None,
    runtime_params: dict[str, Any] | None,
) -> KedroSession:
    """A Kedro session on the (already active) project; it never writes a session store."""
    from kedro.framework.session import KedroSession

    return KedroSession.create(
        project_path=project_path,
        env=env,
        conf_source=conf_source,
        runtime_params=runtime_params or None,
        save_on_close=False,
    )


def session_hook_manager(session: KedroSession) -> PluginManager:
    """The session's hook manager: settings.HOOKS plus plugin hooks not in DISABLE_HOOKS_FOR_PLUGINS."""
    return session._hook_manager


def session_catalog(
    context: KedroContext, save_version: str, load_versions: dict[str, str] | None = None
) -> DataCatalog:
    """A catalog whose versioned datasets all save under ``save_version`` (as in ``kedro run``)
    and load the versions pinned in ``load_versions`` (as ``kedro run --load-versions``).

    Credentials are read here, in the process that runs, never while definitions load. The
    catalog and credentials configuration is read once per session (see :func:`_resolve_once`);
    each call still builds a new catalog, so memory data fed into one step's catalog never
    reaches another's."""
    from dagster_kedro.kedro_config import credentials_errors
    from dagster_kedro.pandera_checks import kedro_pandera_resolvers

    loader = context.config_loader
    with credentials_errors(loader):
        if "catalog" not in loader or "credentials" not in loader:  # values set on it, not its patterns
            with kedro_pandera_resolvers():
                _resolve_once(loader, "catalog")
                _resolve_once(loader, "credentials")
        return context._get_catalog(save_version=save_version, load_versions=load_versions or None)


def _resolve_once(loader: Any, kind: str) -> None:
    """Keep ``loader[kind]`` resolved on the loader itself.

    Kedro's ``OmegaConfigLoader`` reads, merges and resolves the YAML files again on every
    ``loader[kind]`` unless a value was set on it (its documented bypass), and ``_get_catalog``
    asks for the catalog and credentials each time: with ``group_by: memory`` that is once per
    step, about 0.1 s each. A session belongs to one run and one set of runtime params, so its
    configuration cannot change while it lives; a new run opens a new session and reads again.
    A missing credentials file is an empty mapping, as ``KedroContext`` treats it."""
    from kedro.config import MissingConfigException

    if kind in loader:
        return
    try:
        loader[kind] = loader[kind]
    except MissingConfigException:
        if kind != "credentials":
            raise
        loader[kind] = {}


def save_version_for(timestamp: float) -> str:
    """Kedro's version string (``generate_timestamp`` format) for a point in time."""
    from kedro.io.core import VERSION_FORMAT

    text = datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime(VERSION_FORMAT)
    return text[:-4] + text[-1:]


def node_arguments(node: Any) -> dict[str, Any]:
    """The arguments ``node`` was built with (``Node(func, inputs, outputs, name=..., confirms=...,
    preview_fn=...)``), as given: inputs and outputs keep their shape (str, list or dict)."""
    return {
        "inputs": node._inputs,
        "outputs": node._outputs,
        "name": node._name,
        "confirms": node._confirms,
        "preview_fn": node._preview_fn,
    }


def parameter_requirements(pipelines: Mapping[str, Pipeline]) -> dict[str, tuple[type, bool]]:
    """What Kedro validates parameters against for ``pipelines``: parameter key -> (the pydantic
    model or dataclass of a typed ``params:`` input, whether it is Optional)."""
    from kedro.validation.type_extractor import TypeExtractor
    from kedro.validation.utils import _is_optional, _unwrap_optional

    found = TypeExtractor(dict(pipelines)).extract_types_from_pipelines()
    return {key: (_unwrap_optional(hint), _is_optional(hint)) for key, hint in found.items()}


def validate_parameters_with(context: KedroContext, requirements: Mapping[str, tuple[type, bool]]) -> None:
    """Make ``context.params`` what Kedro's validation against ``requirements`` gives, without
    the registered pipelines Kedro would import to find them (``parameter_requirements`` found
    them when the snapshot was read). Kedro's own read of the parameters (conf plus runtime
    params) is kept; only the scan of the pipelines' type hints is replaced."""
    from kedro.validation.parameter_validator import ParameterValidator

    context._pipelines_to_validate = []  # an empty scope: Kedro reads the params, touches no pipeline
    raw = context.params
    hints = {key: kind | None if optional else kind for key, (kind, optional) in requirements.items()}
    if hints:
        context._validated_params_cache = ParameterValidator({})._apply_validation(raw, hints)
