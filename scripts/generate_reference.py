#!/usr/bin/env python
"""Generate docs/reference.md: the YAML reference of ``dagster_kedro.KedroProjectComponent``.

Everything is read from the component itself, so the reference cannot drift from the code:

* the attributes (name, type, default, description, examples) come from the JSON schema of the
  component's YAML model, ``KedroProjectComponent.get_model_cls().model_json_schema()``, the
  same schema ``dg utils inspect-component dagster_kedro.KedroProjectComponent`` prints; a
  default that the schema leaves unset (``default_factory`` fields) is read from the dataclass;
* nested types (``translation``'s model, ...) come from the schema's ``$defs``;
* the ``dg scaffold defs`` options come from the scaffolder's params model;
* the ``translation`` template variables come from calling ``translation_vars`` on a tiny
  synthetic project snapshot;
* the per-run config comes from the ``kedro_<package>`` resource's schema (``run_config.RunConfigSpec``).

Usage::

    python scripts/generate_reference.py          # rewrite docs/reference.md
    python scripts/generate_reference.py --check  # exit 1 if docs/reference.md is stale
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import GenerateJsonSchema

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "docs" / "reference.md"
RELATIVE_OUTPUT = "docs/reference.md"
UNSET = "__DAGSTER_UNSET_DEFAULT__"

# Used only for an attribute whose schema has no description / no examples. Once the component
# gives the attribute its own description or examples, the schema's text wins and these go unused.
FALLBACK_DESCRIPTIONS = {
    "translation": (
        "Standard Dagster components translation: AssetSpec attributes (key, deps, group_name, "
        "description, tags, metadata, kinds, owners, code_version, ...) applied to every asset's "
        "final spec and kept as set (deps follow the translated keys of upstream datasets), with "
        "`{{ ... }}` template variables describing the Kedro dataset (`dataset`), the node that "
        "writes it (`node`, null for raw inputs) and the project (`project`). See "
        "[Template variables of `translation`](#template-variables-of-translation)."
    ),
}
FALLBACK_EXAMPLES: dict[str, list[Any]] = {
    "translation": [
        {
            "group_name": "{{ project.package_name }}",
            "tags": {"layer": "{{ dataset.layer or 'none' }}"},
            "metadata": {"produced_by": "{{ node.name if node else 'raw input' }}"},
        }
    ],
}


class _IndentDumper(yaml.SafeDumper):
    """Indents block sequences under their key (``key:\\n  - item``), as people write YAML."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # templates read best double-quoted: "{{ dataset.metadata.get('layer', 'none') }}"
    style = '"' if "{{" in value or "'" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_IndentDumper.add_representer(str, _represent_str)


def _yaml_block(value: Any) -> str:
    return yaml.dump(
        value, Dumper=_IndentDumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    ).rstrip("\n")


def _yaml_inline(value: Any) -> str:
    """One-line YAML for a value (``[__default__]``, ``{}``, ``memory``, ``null``)."""
    text = yaml.dump(
        {"v": value}, Dumper=_IndentDumper, sort_keys=False, default_flow_style=True, width=10_000
    ).strip()
    return text[len("{v: ") : -1]


class _UnsortedSchema(GenerateJsonSchema):
    """Keeps mappings (examples above all) in the order the component wrote them."""

    def sort(self, value: Any, parent_key: str | None = None) -> Any:
        return value


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(title: str) -> str:
    """GitHub's heading anchor for a heading text."""
    keep = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return keep.replace(" ", "-")


def _type_of(schema: dict[str, Any]) -> str:
    """A Python-like type string for a JSON-schema node."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    for union in ("anyOf", "oneOf"):
        if union in schema:
            parts: list[str] = []
            for option in schema[union]:
                text = _type_of(option)
                if text not in parts:
                    parts.append(text)
            return " | ".join(parts)
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(_type_of({**schema, "type": k}) for k in kind)
    if kind == "array":
        return f"list[{_type_of(schema.get('items', {}))}]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return f"dict[str, {_type_of(extra)}]"
        if "properties" in schema:
            return "object"
        return "dict[str, Any]"
    return {
        "string": "str",
        "integer": "int",
        "number": "float",
        "boolean": "bool",
        "null": "null",
    }.get(kind, "Any")


def _refs(schema: Any) -> list[str]:
    """Every ``$defs`` name a schema node refers to, in order of appearance."""
    found: list[str] = []
    if isinstance(schema, dict):
        if "$ref" in schema:
            found.append(_ref_name(schema["$ref"]))
        for key, value in schema.items():
            if key != "$ref":
                found.extend(_refs(value))
    elif isinstance(schema, list):
        for value in schema:
            found.extend(_refs(value))
    return found


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    """Inline code that survives backticks and table pipes inside it."""
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plain(value: Any) -> Any:
    """A default as YAML would spell it: models, dataclasses and enums become plain data."""
    import enum

    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="json", exclude_none=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain({k: v for k, v in dataclasses.asdict(value).items() if v is not None})
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _component_defaults(component_cls: type) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for field in dataclasses.fields(component_cls):
        if field.default is not dataclasses.MISSING:
            defaults[field.name] = _plain(field.default)
        elif field.default_factory is not dataclasses.MISSING:
            defaults[field.name] = _plain(field.default_factory())
    return defaults


def _sample_attributes(order: list[str], properties: dict[str, Any], defaults: dict[str, Any]) -> dict:
    """Every attribute with its first example (else its default): a full, valid-looking defs.yaml."""
    sample = {}
    for name in order:
        examples = properties[name].get("examples") or FALLBACK_EXAMPLES.get(name)
        sample[name] = examples[0] if examples else defaults.get(name)
    return sample


def _translation_variables() -> dict[str, list[str] | None]:
    """Names ``translation_vars`` exposes, from a one-node synthetic project."""
    from dagster_kedro.snapshot import DatasetSnapshot, NodeSnapshot, ProjectSnapshot
    from dagster_kedro.steps import plan_steps
    from dagster_kedro.translation import reader_index, translation_vars

    snapshot = ProjectSnapshot(
        project_path="/project",
        package_name="package",
        project_name="project",
        kedro_version="0",
        pipelines={"__default__": ["make"]},
        nodes={"make": NodeSnapshot(name="make", func_name="make", inputs=["raw"], outputs=["out"])},
        datasets={
            "raw": DatasetSnapshot(name="raw", type="pandas.CSVDataset", filepath="raw.csv"),
            "out": DatasetSnapshot(name="out", type="pandas.CSVDataset", filepath="out.csv"),
        },
    )
    plan = plan_steps(snapshot, "memory")
    variables = translation_vars(plan, "out", reader_index(plan))
    return {
        name: sorted(value) if isinstance(value, dict) else None
        for name, value in sorted(variables.items())
    }


def render() -> str:
    from dagster.components.scaffold.scaffold import get_scaffolder

    from dagster_kedro import KedroProjectComponent
    from dagster_kedro.run_config import RunConfigSpec

    schema = KedroProjectComponent.get_model_cls().model_json_schema(schema_generator=_UnsortedSchema)
    properties: dict[str, Any] = schema.get("properties", {})
    order = [n for n in schema.get("ui:order", []) if n in properties]
    order += [n for n in properties if n not in order]
    required = set(schema.get("required", []))
    defs: dict[str, Any] = schema.get("$defs", {})
    defaults = _component_defaults(KedroProjectComponent)
    summary = (KedroProjectComponent.__doc__ or "").strip().splitlines()[0]

    out: list[str] = [
        "# `dagster_kedro.KedroProjectComponent` YAML reference",
        "",
        "<!-- Generated by scripts/generate_reference.py from the component's own schema. "
        "Do not edit: run `python scripts/generate_reference.py`. -->",
        "",
        summary,
        "",
        "```yaml",
        "# src/<your_project>/defs/<name>/defs.yaml: every attribute, with an example value",
        "type: dagster_kedro.KedroProjectComponent",
        "attributes:",
        *(f"  {line}" for line in _yaml_block(_sample_attributes(order, properties, defaults)).splitlines()),
        "```",
        "",
        "Attribute values may be `{{ ... }}` templates (Dagster resolves them when the definitions "
        "load), which is why non-string fields also accept `str` in the types below. "
        "The same schema is printed by "
        "`dg utils inspect-component dagster_kedro.KedroProjectComponent`.",
        "",
        "A misspelt name fails the load with the closest valid one in its message: an unknown "
        "attribute or key (`'pipelnes' is not a field of KedroProjectComponent. Did you mean "
        "'pipelines'?`, and likewise in a job, an executor, a schedule...; the list of fields when "
        "none is close), and the names that "
        "`pipelines`, `env`, `group_by`, `log_level`, executor types and names, a job's `pipeline`, "
        "a schedule's or sensor's `job`, `node_overrides` keys and the datasets of `checks`, "
        "`inputs`, `partitions` and `sensors` take (`Fix: ... Did you mean 'ingest'?`). "
        "(`dg check yaml`, which `dg check defs` runs first, reports an unknown attribute in its "
        "own words: `Additional properties are not allowed ('pipelnes' was unexpected)`.)",
        "",
        "| Attribute | Type | Required | Default |",
        "| --- | --- | --- | --- |",
    ]
    for name in order:
        default = "—" if name in required else _code(_yaml_inline(defaults.get(name)))
        out.append(
            f"| [`{name}`](#{_anchor(name)}) | {_code(_cell(_type_of(properties[name])))} "
            f"| {'yes' if name in required else 'no'} | {default} |"
        )

    out += ["", "## Attributes", ""]
    nested: list[str] = []
    for name in order:
        prop = properties[name]
        out += [f"### `{name}`", ""]
        out.append(f"- **Type:** {_code(_type_of(prop))}")
        out.append(f"- **Required:** {'yes' if name in required else 'no'}")
        if name not in required:
            out.append(f"- **Default:** {_code(_yaml_inline(defaults.get(name)))}")
        for ref in _refs(prop):
            if ref not in nested:
                nested.append(ref)
        refs = list(dict.fromkeys(_refs(prop)))
        if refs:
            out.append("- **Nested types:** " + ", ".join(f"[{r}](#{_anchor(r)})" for r in refs))
        out.append("")
        description = prop.get("description") or FALLBACK_DESCRIPTIONS.get(name)
        if description:
            out += [description.strip(), ""]
        examples = prop.get("examples") or FALLBACK_EXAMPLES.get(name) or []
        if examples:
            out += ["Example:" if len(examples) == 1 else "Examples:", ""]
            for example in examples:
                out += ["```yaml", _yaml_block({name: example}), "```", ""]

    # nested models, following references transitively
    index = 0
    while index < len(nested):
        for ref in _refs(defs.get(nested[index], {})):
            if ref not in nested:
                nested.append(ref)
        index += 1
    if nested:
        out += ["## Nested types", ""]
    for ref in nested:
        model = defs.get(ref, {})
        out += [f"### {ref}", ""]
        if model.get("description"):
            out += [model["description"].strip(), ""]
        if "enum" in model:
            out += ["One of: " + ", ".join(_code(_yaml_inline(v)) for v in model["enum"]) + ".", ""]
            continue
        fields = model.get("properties", {})
        field_order = [n for n in model.get("ui:order", []) if n in fields]
        field_order += [n for n in fields if n not in field_order]
        model_required = set(model.get("required", []))
        out += ["| Field | Type | Default | Description |", "| --- | --- | --- | --- |"]
        for field in field_order:
            spec = fields[field]
            if field in model_required:
                default = "required"
            elif "default" not in spec or spec["default"] == UNSET:
                default = "—"
            else:
                default = _code(_yaml_inline(spec["default"]))
            out.append(
                f"| `{field}` | {_code(_cell(_type_of(spec)))} | {default} "
                f"| {_cell(spec.get('description', ''))} |"
            )
        out.append("")

    out += [
        "## Template variables of `translation`",
        "",
        "Inside `translation`, `{{ ... }}` templates see these variables for each asset "
        "(see [the asset model](asset-model.md#translation) for their meaning):",
        "",
    ]
    for variable, keys in _translation_variables().items():
        if keys is None:
            out.append(f"- `{variable}`")
        else:
            out.append(f"- `{variable}`: " + ", ".join(f"`{variable}.{k}`" for k in keys))
    out += [
        "",
        "`node` is `null` for raw inputs (external assets): guard with "
        "`{{ node.name if node else 'raw input' }}`. Undefined names are errors, so read optional "
        "catalog metadata with `{{ dataset.metadata.get('layer', 'none') }}`.",
        "",
    ]

    scaffolder = get_scaffolder(KedroProjectComponent)
    params = scaffolder.get_scaffold_params().model_json_schema()
    params_required = set(params.get("required", []))
    out += [
        "## `dg scaffold defs` options",
        "",
        "```bash",
        "dg scaffold defs dagster_kedro.KedroProjectComponent <defs path> --project-path <path> [--env <env>]",
        "```",
        "",
        "| Option | Type | Required | Description |",
        "| --- | --- | --- | --- |",
    ]
    for name, spec in params.get("properties", {}).items():
        out.append(
            f"| `--{name.replace('_', '-')}` | {_code(_cell(_type_of(spec)))} "
            f"| {'yes' if name in params_required else 'no'} | {_cell(spec.get('description', ''))} |"
        )
    out.append("")

    run_fields = RunConfigSpec("kedro_spaceflights", {"model_options": {"test_size": 0.2}}).schema()
    out += [
        "## Per-run config",
        "",
        "Each component adds a resource named `kedro_<package_name>` (for the example project: "
        "`kedro_spaceflights`). Its config is what a run may set, from the Launchpad, "
        "`dg launch --config-json` or a schedule's run config, at `resources.kedro_<package_name>.config` "
        "(see [ML workflows](ml-workflows.md)):",
        "",
        "| Field | Type | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    types = {"params": "one typed field per parameter, nested", "runtime_params": _code("dict[str, Any]"),
             "load_versions": _code("dict[str, str]")}
    for name, spec in run_fields.items():
        default = "each parameter's value" if name == "params" else _code(_yaml_inline(spec.default_value))
        out.append(f"| `{name}` | {types[name]} | {default} | {_cell(spec.description or '')} |")
    out += [
        "",
        "```yaml",
        _yaml_block(
            {
                "resources": {
                    "kedro_spaceflights": {
                        "config": {
                            "params": {"model_options": {"test_size": 0.3}},
                            "load_versions": {"data_science.regressor": "2026-12-01T15.04.41.123Z"},
                        }
                    }
                }
            }
        ),
        "```",
        "",
    ]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {RELATIVE_OUTPUT} is stale")
    args = parser.parse_args(argv)
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    text = render()
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else None
        if current != text:
            print(f"{RELATIVE_OUTPUT} is stale: run python scripts/generate_reference.py", file=sys.stderr)
            return 1
        print(f"{RELATIVE_OUTPUT} is up to date")
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {RELATIVE_OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
