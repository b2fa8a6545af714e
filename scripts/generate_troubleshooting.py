#!/usr/bin/env python
"""Generate the message catalogue of docs/troubleshooting.md: every ``KedroComponentError`` the
code can raise, with the field it names and its fix.

The catalogue is read from the source, not written by hand, so a new or reworded message cannot
be missing from the page: each ``KedroComponentError(...)`` call in ``src/dagster_kedro`` (and
each call of a module-local helper that passes its own argument on as the problem, like
``fail(problem, ...)`` in partitions.py) gives one entry. Parts computed at run time show as
``<name>`` (a variable) or ``…`` (an expression). A call re-raising another error's problem
(``error.problem``) adds nothing: the original site is listed.

Only the text between the ``<!-- messages:start -->`` and ``<!-- messages:end -->`` markers is
generated; the rest of the page is prose.

Usage::

    python scripts/generate_troubleshooting.py          # rewrite the catalogue in the page
    python scripts/generate_troubleshooting.py --check  # exit 1 if the page is stale
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "src" / "dagster_kedro"
OUTPUT = REPO / "docs" / "troubleshooting.md"
RELATIVE_OUTPUT = "docs/troubleshooting.md"
START, END = "<!-- messages:start -->\n", "<!-- messages:end -->"
ERROR = "KedroComponentError"
# what a reader looks for, per raising module; a module not listed here is headed by its file name
TOPICS = {
    "attributes.py": "Component attributes",
    "checks.py": "Asset checks",
    "component.py": "Datasets and inputs",
    "concurrency.py": "Concurrent runs",
    "dg_project.py": "The Kedro-first dg project",
    "executors.py": "Executors",
    "kedro_config.py": "Kedro catalog, parameters and credentials",
    "location.py": "Several components in one code location",
    "migration.py": "Migrating from kedro-dagster",
    "orchestration.py": "Jobs, retries and node overrides",
    "pandera_checks.py": "pandera schemas",
    "partitions.py": "Partitions",
    "project.py": "Reading the Kedro project",
    "run_config.py": "Per-run config: load versions",
    "schedules.py": "Schedules and sensors",
    "specs.py": "Asset specs and translation",
    "step_logs.py": "Logs",
}


@dataclass(frozen=True)
class Message:
    module: str
    line: int
    problem: str
    where: str | None
    fix: str | None


def template(node: ast.expr | None) -> str | None:
    """The text of a string expression, run-time parts as ``<name>`` or ``…``."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return str(node.value) if node.value is not None else None
    if isinstance(node, ast.JoinedStr):
        return "".join(template(part) or "" for part in node.values)
    if isinstance(node, ast.FormattedValue):
        return template(node.value) if isinstance(node.value, (ast.Constant, ast.JoinedStr)) else placeholder(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return (template(node.left) or "") + (template(node.right) or "")
    return placeholder(node)


def placeholder(node: ast.expr) -> str:
    if isinstance(node, ast.Call) and _name(node) == "did_you_mean":  # errors.did_you_mean: a suggestion, or nothing
        return " [Did you mean '…'?]"
    if isinstance(node, ast.Name):
        return f"<{node.id}>"
    if isinstance(node, ast.Attribute):
        return f"<{node.attr}>"
    return "…"


def _name(call: ast.Call) -> str | None:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", None)


def _forwarding_helpers(tree: ast.Module) -> dict[str, int]:
    """Module-local functions that build the error from one of their parameters: name -> index."""
    helpers = {}
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = [a.arg for a in function.args.args]
        for call in ast.walk(function):
            if isinstance(call, ast.Call) and _name(call) == ERROR and call.args:
                first = call.args[0]
                if isinstance(first, ast.Name) and first.id in params:
                    helpers[function.name] = params.index(first.id)
    return helpers


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def collect(source: Path = SOURCE) -> list[Message]:
    messages = []
    for path in sorted(source.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        helpers = _forwarding_helpers(tree)
        module = path.relative_to(source).as_posix()
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = _name(call)
            if name == ERROR and call.args and not isinstance(call.args[0], (ast.Name, ast.Attribute)):
                problem, keywords = call.args[0], call
            elif name in helpers and len(call.args) > helpers[name]:
                problem, keywords = call.args[helpers[name]], None  # the helper names the field itself
            else:
                continue
            field = template(_keyword(call, "field")) if keywords else None
            entry = template(_keyword(call, "entry")) if keywords else None
            where = f"attributes.{field}" if field else entry
            fix = template(_keyword(call, "fix")) if keywords else _helper_fix(call, helpers[name])
            messages.append(Message(module, call.lineno, template(problem) or "", where, fix))
    return sorted(messages, key=lambda m: (m.module, m.line))


def _helper_fix(call: ast.Call, problem_index: int) -> str | None:
    """A forwarding helper's fix: its last positional argument after the problem, if a string."""
    rest = call.args[problem_index + 1 :]
    last = rest[-1] if rest else _keyword(call, "fix")
    return template(last) if isinstance(last, (ast.Constant, ast.JoinedStr)) else None


def _code(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    pad = " " if ticks == "``" else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def render_catalogue(messages: list[Message]) -> str:
    lines = []
    module = None
    for message in messages:
        if message.module != module:
            module = message.module
            topic = TOPICS.get(module)
            lines += ["", f"### {topic} (`{module}`)" if topic else f"### `{module}`", ""]
        entry = f"- {_code(message.problem)}"
        if message.where:
            entry += f"  \n  at {_code(message.where)}"
        if message.fix:
            entry += f"  \n  **Fix:** {_code(message.fix)}"
        lines.append(entry)
    return "\n".join(lines[1:]) + "\n"


def render(page: str) -> str:
    if START not in page or END not in page:
        raise SystemExit(f"{RELATIVE_OUTPUT} lost its markers {START.strip()} … {END}")
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + START + render_catalogue(collect()) + END + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {RELATIVE_OUTPUT} is stale")
    args = parser.parse_args(argv)
    current = OUTPUT.read_text()
    text = render(current)
    if args.check:
        if current != text:
            print(f"{RELATIVE_OUTPUT} is stale: run python scripts/generate_troubleshooting.py", file=sys.stderr)
            return 1
        print(f"{RELATIVE_OUTPUT} is up to date")
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {RELATIVE_OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
