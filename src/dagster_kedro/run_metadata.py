"""What a materialization says about the data a node returned: rows, columns, shape, exact path.

Taken from the value in memory, never by loading the dataset again (``saved_values`` hands the
step the very object the node returned). The step reads each value once, for this metadata and
for the dataset's asset checks (``checks``), then lets it go. Kept free of Kedro imports (the
code location imports it when it builds the checks, and a location whose projects run in their
own interpreters, ``python_executable``, imports no Kedro module) and of dagster imports until
:func:`value_metadata` (those interpreters have no dagster).

Costs are kept tiny: ``len`` and the dtypes of a DataFrame (no scan of the data), and no
import of pandas or polars: a value is recognised by its type's module and name.
"""

from __future__ import annotations

from typing import Any

from dagster_kedro.snapshot import DatasetSnapshot

SAMPLE_SIZE = 10


def kind_of(value: Any) -> str | None:
    """'pandas', 'polars' or None: which DataFrame library ``value`` is a DataFrame of."""
    cls = type(value)
    module = cls.__module__.split(".")[0]
    if module in ("pandas", "polars") and cls.__name__ == "DataFrame":
        return module
    return None


def value_facts(value: Any) -> dict[str, Any]:
    """``dagster/row_count`` and the columns (``dagster/column_schema``, as ``[name, dtype]``
    pairs) of a pandas or polars DataFrame; the row count of a Series; ``kedro/shape`` of an
    array; ``kedro/length`` of other sized values. Plain data: a project's own interpreter
    (``pipes_runner``) reports them through Pipes."""
    kind = kind_of(value)
    if kind is not None:
        dtypes = value.dtypes.items() if kind == "pandas" else value.schema.items()
        columns = [[str(name), str(dtype)] for name, dtype in dtypes]
        return {"dagster/row_count": len(value), "dagster/column_schema": columns}
    cls = type(value)
    if cls.__module__.split(".")[0] in ("pandas", "polars") and cls.__name__ == "Series":
        return {"dagster/row_count": len(value)}
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return {"kedro/shape": " x ".join(str(n) for n in shape) or "scalar"}
    if isinstance(value, (list, tuple, dict, set, frozenset, str, bytes)):
        return {"kedro/length": len(value)}
    return {}


def value_metadata(value: Any) -> dict[str, Any]:
    """:func:`value_facts` as Dagster metadata (the columns as a ``TableSchema``)."""
    import dagster as dg

    facts = value_facts(value)
    if "dagster/column_schema" in facts:
        columns = [dg.TableColumn(name=name, type=dtype) for name, dtype in facts["dagster/column_schema"]]
        facts["dagster/column_schema"] = dg.TableSchema(columns=columns)
    return facts


def versioned_uri(uri: str, info: DatasetSnapshot, save_version: str) -> str:
    """The file a versioned dataset saved in this run: Kedro's layout
    ``<filepath>/<save_version>/<file name>`` under the folder ``dagster/uri`` names."""
    name = (info.filepath or "").rstrip("/").rsplit("/", 1)[-1]
    return f"{uri.rstrip('/')}/{save_version}/{name}"


def sample_records(kind: str, frame: Any) -> list[dict[str, Any]]:
    """The first :data:`SAMPLE_SIZE` rows of a pandas or polars ``frame`` as JSON-able records
    (failing rows shown on an asset check; values that JSON lacks shown as text)."""
    import json

    head = frame.head(SAMPLE_SIZE)
    if kind == "pandas":
        rows = head.astype(object).where(head.notna(), None).to_dict(orient="records")  # NaN is no JSON
    else:
        rows = head.to_dicts()
    return json.loads(json.dumps(rows, default=str))
