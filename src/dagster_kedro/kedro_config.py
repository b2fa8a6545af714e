"""The project's Kedro configuration, as a snapshot needs it, checked up front like ``kedro run``.

Credentials are never read while the definitions load. A catalog entry's ``credentials:``
reference is dropped before Kedro's resolver sees the entry, so a code location loads where the
credentials file does not exist (a CI runner, an image build, a laptop without production
secrets) and no secret can reach the state, asset metadata or logs. Steps resolve credentials at
run time through Kedro's own session, exactly as ``kedro run`` does.

What ``kedro run`` refuses before running a node is refused here too, while the definitions load:
a dataset type that does not import, a ``params:`` input that no parameters file defines, a YAML
syntax error or an unresolvable ``${runtime_params:...}`` in the catalog or parameters. Each
becomes one :class:`KedroComponentError` naming the conf file, the entry, the value and the fix,
instead of a Kedro or OmegaConf traceback (or a failure halfway through a run).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from dagster_kedro.code_versions import catalog_entry_hash
from dagster_kedro.errors import KedroComponentError, did_you_mean
from dagster_kedro.pandera_checks import schema_reference
from dagster_kedro.snapshot import DatasetSnapshot, NodeSnapshot

CREDENTIALS_KEY = "credentials"


def catalog_entries(loader: Any) -> dict[str, Any]:
    """The merged catalog config (``_``-prefixed YAML anchors dropped), credentials references removed."""
    config = _read(loader, "catalog")
    return {k: _without_credentials(v) for k, v in config.items() if not k.startswith("_")}


def parameters(loader: Any) -> dict[str, Any]:
    """The merged parameters, runtime params included (as the session will see them)."""
    return _read(loader, "parameters")


def json_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with only the values JSON holds as they are (None, bool, numbers, text, lists
    and mappings of those, keys as text): what a snapshot records and the run config offers to edit.
    Anything else (a custom resolver's object) is left out rather than shown as its text."""

    def plain(value: Any) -> bool:
        if value is None or isinstance(value, (bool, int, float, str)):
            return True
        if isinstance(value, list):
            return all(plain(item) for item in value)
        return isinstance(value, Mapping) and all(isinstance(k, str) and plain(v) for k, v in value.items())

    return {
        key: json_values(value) if isinstance(value, Mapping) else value
        for key, value in params.items()
        if isinstance(key, str) and (plain(value) or isinstance(value, Mapping))
    }


def dataset_snapshots(loader: Any, catalog: dict[str, Any], names: set[str]) -> dict[str, DatasetSnapshot]:
    """Resolve each named dataset through Kedro's own resolver (explicit entries, then patterns)
    and check that its type imports, as building Kedro's catalog would."""
    from kedro.io.catalog_config_resolver import CatalogConfigResolver
    from kedro.io.core import _redact_url_credentials

    resolver = CatalogConfigResolver(
        config=catalog, default_runtime_patterns={"{default}": {"type": "MemoryDataset"}}
    )
    snapshots = {}
    for name in sorted(names):
        if name == "parameters" or name.startswith("params:"):
            continue
        config = resolver.resolve_pattern(name)
        if name in catalog or resolver.match_dataset_pattern(name):
            _check_dataset_type(loader, name, config)
        filepath = config.get("filepath") or config.get("path")
        metadata = dict(config.get("metadata") or {})
        schema = schema_reference(name, metadata)
        if schema is not None:
            metadata["pandera"] = {**metadata["pandera"], "schema": schema}
        metadata = _jsonable(metadata)
        _check_dagster_metadata(loader, name, metadata)
        snapshots[name] = DatasetSnapshot(
            name=name,
            type=str(config.get("type", "MemoryDataset")),
            filepath=_redact_url_credentials(str(filepath)) if filepath else None,
            versioned=bool(config.get("versioned", False)),
            metadata=metadata,
            pandera_schema=schema,
            config_hash=catalog_entry_hash(_jsonable(config)),
        )
    return snapshots


def check_parameter_inputs(loader: Any, params: Mapping[str, Any], nodes: Mapping[str, NodeSnapshot]) -> None:
    """Refuse a node reading ``params:x`` that no parameters file (nor runtime_params) defines:
    ``kedro run`` refuses it before running anything, Dagster would fail halfway through a run."""
    known = set(_parameter_names(params))
    for node in nodes.values():
        for name in node.inputs:
            if name.startswith("params:") and name[len("params:"):] not in known:
                key = name[len("params:"):]
                hint = did_you_mean(name, sorted(f"params:{k}" for k in known))
                files = ", ".join(str(p) for p in _candidate_files(loader, "parameters"))
                raise KedroComponentError(
                    f"Kedro node '{node.name}' reads '{name}', which no parameters file defines "
                    f"({files}) and runtime_params do not set.{hint}",
                    fix=f"define '{key}' in the project's parameters.yml (or set it under runtime_params), "
                    "or correct the node's input name.",
                )


@contextmanager
def credentials_errors(loader: Any) -> Iterator[None]:
    """At run time: a catalog entry naming credentials that the step's environment lacks."""
    try:
        yield
    except KeyError as error:
        text = str(error.args[0]) if error.args else ""
        if not text.startswith("Unable to find credentials '"):
            raise
        name = text.split("'")[1]
        users = sorted(k for k, v in _read(loader, "catalog").items() if _names_credentials(v, name))
        where = _defining_file(loader, "catalog", users[0]) if users else None
        files = ", ".join(str(p) for p in _candidate_files(loader, "credentials"))
        raise KedroComponentError(
            f"catalog entry {users or '?'} names credentials '{name}', which no credentials file "
            f"of this environment defines ({files}).",
            source=where,
            entry=f"{users[0]}.credentials" if users else None,
            value=name,
            fix=f"add a '{name}' entry to conf/<env>/credentials.yml where the run happens (a mounted "
            "secret, an image layer, or values from ${oc.env:VAR}); credentials are read at run time only.",
        ) from None


def _read(loader: Any, kind: str) -> dict[str, Any]:
    """``loader[kind]`` with Kedro's YAML and interpolation errors turned into one clear error."""
    from kedro.config import MissingConfigException
    from omegaconf.errors import InterpolationResolutionError

    try:
        return dict(loader[kind])
    except (KeyError, MissingConfigException):
        return {}
    except yaml.YAMLError as error:
        cause = error.__cause__
        mark = getattr(cause, "problem_mark", None) or getattr(error, "problem_mark", None)
        detail = getattr(cause, "problem", None) or str(error)
        file = Path(mark.name) if mark is not None and Path(str(mark.name)).is_file() else _file_in(str(error))
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise KedroComponentError(
            f"Kedro cannot parse this {kind} file{line}: {detail}.",
            source=file,
            fix="correct the YAML syntax there (`kedro run` in the project shows the same error).",
        ) from None
    except InterpolationResolutionError as error:
        first_line = str(error).splitlines()[0]
        entry = getattr(error, "full_key", None) or ""
        top = str(entry).split(".")[0]
        fix = "give the interpolation a default or define what it refers to."
        if "Runtime parameter" in first_line:
            name = first_line.split("'")[1]
            fix = (f"set '{name}' under runtime_params in defs.yaml (or per run in run config), or "
                   f"give it a default: ${{runtime_params:{name}, <default>}}.")
        raise KedroComponentError(
            f"Kedro cannot resolve the {kind} config: {first_line}",
            source=_defining_file(loader, kind, top) if top else None,
            entry=str(entry) or None,
            fix=fix,
        ) from None


DAGSTER_METADATA_FIELDS = ("owners", "tags", "group_name", "description")


def _check_dagster_metadata(loader: Any, name: str, metadata: Mapping[str, Any]) -> None:
    """The catalog's ``metadata: {dagster: {...}}`` block, checked by building the spec it shapes."""
    import dagster as dg

    block = metadata.get("dagster")
    if block is None:
        return
    where = {"source": _defining_file(loader, "catalog", name), "value": block}
    if not isinstance(block, dict) or set(block) - set(DAGSTER_METADATA_FIELDS):
        unknown = sorted(set(block) - set(DAGSTER_METADATA_FIELDS)) if isinstance(block, dict) else block
        raise KedroComponentError(
            f"catalog entry '{name}': metadata.dagster must be a mapping of {list(DAGSTER_METADATA_FIELDS)}; "
            f"got {unknown!r}.",
            entry=f"{name}.metadata.dagster",
            fix="keep only owners (a list), tags (a mapping), group_name and description there.",
            **where,
        )
    try:
        dg.AssetSpec(
            key="check",
            owners=block.get("owners"),
            tags=block.get("tags"),
            group_name=block.get("group_name"),
            description=block.get("description"),
        )
    except Exception as error:  # Dagster's own validation of owners, tags, group names
        raise KedroComponentError(
            f"catalog entry '{name}': metadata.dagster is not valid for a Dagster asset: {error}",
            entry=f"{name}.metadata.dagster",
            fix="owners are emails or 'team:<name>', tags map names to strings (letters, digits, "
            "'-', '_', '.'), group_name is letters, digits and '_'.",
            **where,
        ) from None


def _check_dataset_type(loader: Any, name: str, config: dict[str, Any]) -> None:
    from kedro.io.core import DatasetError, parse_dataset_definition

    if "type" not in config:
        raise KedroComponentError(
            f"catalog entry '{name}' has no 'type'.",
            source=_defining_file(loader, "catalog", name),
            entry=name,
            fix="give the entry a dataset type, e.g. type: pandas.CSVDataset.",
        )
    try:
        parse_dataset_definition(config)
    except DatasetError as error:
        detail = str(error).split("\nHint:")[0]
        raise KedroComponentError(
            f"catalog entry '{name}': dataset type '{config['type']}' cannot be imported: {detail}",
            source=_defining_file(loader, "catalog", name),
            entry=f"{name}.type",
            value=config["type"],
            fix="correct the type name (kedro-datasets types are '<group>.<Name>Dataset', e.g. "
            "pandas.CSVDataset), or install its package: pip install 'kedro-datasets[<group>-<name>]'.",
        ) from None


def _without_credentials(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_credentials(v) for k, v in value.items() if k != CREDENTIALS_KEY}
    return value


def _names_credentials(value: Any, name: str) -> bool:
    if isinstance(value, dict):
        return value.get(CREDENTIALS_KEY) == name or any(_names_credentials(v, name) for v in value.values())
    return False


def _parameter_names(params: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every name ``params:<name>`` can take: top-level keys and dotted nested keys (as Kedro feeds them)."""
    for key, value in params.items():
        yield prefix + str(key)
        if isinstance(value, Mapping):
            yield from _parameter_names(value, f"{prefix}{key}.")


def _env_folders(loader: Any) -> list[Path]:
    conf = Path(loader.conf_source)
    envs = [loader.base_env, loader.env or loader.default_run_env]
    return [conf / env for env in dict.fromkeys(e for e in envs if e)]


def _candidate_files(loader: Any, kind: str) -> list[Path]:
    """The files Kedro reads for ``kind`` (e.g. conf/base/parameters*.yml), relative to the project."""
    root = Path(loader.conf_source).parent
    files = []
    for folder in _env_folders(loader):
        found = sorted(p for p in folder.glob("**/*") if p.is_file() and p.name.startswith(kind))
        files += found or [folder / f"{kind}.yml"]
    return [p.relative_to(root) if p.is_relative_to(root) else p for p in files]


def _defining_file(loader: Any, kind: str, key: str) -> Path | None:
    """The conf file (of the run's envs, the env winning) whose top level defines ``key``."""
    root = Path(loader.conf_source).parent
    found = None
    for path in _candidate_files(loader, kind):
        path = path if path.is_absolute() else root / path
        try:
            content = yaml.safe_load(path.read_text()) if path.is_file() else None
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(content, dict) and key in content:
            found = path
    return found


def _file_in(message: str) -> Path | None:
    """The file path Kedro puts in its 'Invalid YAML or JSON file <path>, ...' message."""
    head = message.removeprefix("Invalid YAML or JSON file ").split(", unable to read")[0]
    return Path(head) if head != message and Path(head).is_file() else None


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
