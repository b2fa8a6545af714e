"""pandera schemas named in the Kedro catalog, validated as Dagster asset checks, without kedro-pandera.

kedro-pandera's convention puts the schema in a catalog entry's metadata::

    companies:
      type: pandas.CSVDataset
      filepath: data/01_raw/companies.csv
      metadata:
        pandera:
          schema: ${pa.python:spaceflights.schemas.Companies}   # or ${pa.yaml:_companies_schema}

Its ``pa.python`` / ``pa.yaml`` / ``pa.dict`` resolvers turn the reference into a schema object,
which a snapshot cannot hold and a load from state must not import. So while the catalog config
resolves (reading the project, and in a step when kedro-pandera is not installed: Kedro resolves
the whole catalog, metadata included) :func:`kedro_pandera_resolvers` stands in for them and keeps
the *reference*: a Python path, or the schema's serialization (``pandera.io``) as a dict. A plain
string (a Python path, or a ``.yml``/``.json`` file relative to the project root) or a dict works
as well. The schema is imported and pandera runs only in the step that validates the data;
pandera is needed only by projects whose catalog names a schema (the ``pandera`` extra).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster_kedro.errors import KedroComponentError

RESOLVERS = ("pa.python", "pa.yaml", "pa.dict")
SchemaRef = str | dict


def _select(key: str, *, _parent_: Any) -> Any:
    from omegaconf.resolvers.oc import select

    return select(key, default=None, _parent_=_parent_)


def _same(reference: Any) -> Any:
    return reference


_STAND_INS = {"pa.python": _same, "pa.dict": _same, "pa.yaml": _select}


@contextmanager
def kedro_pandera_resolvers() -> Iterator[None]:
    """For the block, the kedro-pandera resolvers that no one registered resolve to the schema's
    reference; registered ones (kedro-pandera's own, a project's) are left alone."""
    from omegaconf import OmegaConf

    # OmegaConf 2.4 renamed register_new_resolver (now deprecated, with a warning) to
    # register_resolver; before 2.4, register_resolver was the legacy API of another signature
    new_api = hasattr(OmegaConf, "legacy_register_resolver")
    register = OmegaConf.register_resolver if new_api else OmegaConf.register_new_resolver
    added = [name for name in RESOLVERS if not OmegaConf.has_resolver(name)]
    for name in added:
        register(name, _STAND_INS[name])
    try:
        yield
    finally:
        for name in added:
            OmegaConf.clear_resolver(name)


def schema_reference(dataset: str, metadata: Mapping[str, Any] | None) -> SchemaRef | None:
    """The ``metadata.pandera.schema`` of a catalog entry as a reference the snapshot can keep."""
    block = (metadata or {}).get("pandera")
    schema = block.get("schema") if isinstance(block, Mapping) else None
    if schema is None:
        return None
    if isinstance(schema, str):
        return schema
    if isinstance(schema, Mapping):
        return dict(schema)
    if isinstance(schema, type):  # kedro-pandera's pa.python resolved it to a DataFrameModel class
        return f"{schema.__module__}.{schema.__qualname__}"
    if type(schema).__module__.startswith("pandera"):  # kedro-pandera's pa.yaml resolved it
        api = "polars" if "polars" in type(schema).__module__ else "pandas"
        return importlib.import_module(f"pandera.io.{api}_io").serialize_schema(schema)
    raise KedroComponentError(
        f"catalog entry '{dataset}': metadata.pandera.schema is a {type(schema).__name__}, not a schema reference.",
        entry=f"{dataset}.metadata.pandera.schema",
        value=repr(schema)[:80],
        fix="give a Python path (my_package.schemas.Orders or ${pa.python:...}), a .yml/.json file of a "
        "pandera serialization, or the serialization itself (${pa.yaml:_orders_schema}).",
    )


def describe(schema: SchemaRef) -> str:
    what = schema if isinstance(schema, str) else f"inline ({len(schema.get('columns') or {})} columns)"
    return f"Validates the data with the pandera schema of the catalog entry: {what}."


def require_pandera(dataset: str, source: Path | None, python: str | None = None) -> None:
    """A catalog schema needs pandera where its check runs (cheap: no import): where the
    definitions load, or in the project's own interpreter ``python`` (``python_executable``:
    checked there when it reads the project)."""
    if importlib.util.find_spec("pandera") is not None:
        return
    if python:
        raise KedroComponentError(
            f"the catalog entry '{dataset}' names a pandera schema (metadata.pandera.schema), and "
            f"pandera is not installed in the project's Python ({python}): its asset check cannot run.",
            source=source,
            entry=f"{dataset}.metadata.pandera.schema",
            fix=f"install it there: {python} -m pip install pandera",
        )
    raise KedroComponentError(
        f"the catalog entry '{dataset}' names a pandera schema (metadata.pandera.schema), and "
        "pandera is not installed: its asset check cannot run.",
        source=source,
        entry=f"{dataset}.metadata.pandera.schema",
        fix="pip install 'dagster-kedro[pandera]' (or pandera) where the code location runs.",
    )


def load_schema(schema: SchemaRef, project_path: str) -> Any:
    """The pandera schema (or DataFrameModel class) a reference names, imported now."""
    if isinstance(schema, str) and schema.endswith((".yml", ".yaml", ".json")):
        import yaml

        path = Path(schema) if Path(schema).is_absolute() else Path(project_path, schema)
        schema = yaml.safe_load(path.read_text())  # JSON is YAML
    if isinstance(schema, dict):
        io = importlib.import_module(f"pandera.io.{schema.get('api', 'pandas')}_io")
        return io.deserialize_schema(schema)
    module, _, attribute = schema.replace(":", ".").rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def validate(schema: SchemaRef, value: Any, project_path: str) -> tuple[bool, dict[str, Any]]:
    """pandera's lazy validation of ``value``: passed, and on failure how many rows and checks
    failed with a sample of pandera's failure cases."""
    from pandera.errors import SchemaErrors

    from dagster_kedro.run_metadata import kind_of, sample_records

    try:
        load_schema(schema, project_path).validate(value, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        kind = kind_of(cases) or "pandas"
        index = cases["index"]
        rows = index.dropna().nunique() if kind == "pandas" else index.drop_nulls().n_unique()
        return False, {
            "failing_rows": int(rows),
            "failure_cases": len(cases),
            "sample": sample_records(kind, cases),  # JSON metadata (check_evaluation)
        }
    return True, {}
