"""The measurements of ``run.py`` and the Markdown tables printed from them.

Kept apart from the measuring so that ``run.py --report-from`` can print the tables of earlier
``--json`` files, and so that every derived figure (adds over the floor, ratios to ``kedro run``,
the limit) is computed in one place.

**The limit** of a run configuration is what Dagster costs for our step layout plus what Kedro
costs for the nodes: ``reference + (kedro run of the project − kedro run of a 1-node project)``,
where the reference is the plain-Dagster project of ``reference.py`` (same steps, specs and
executor, trivial work) launched the same way. Each term is the summary (median or best, see
``--summary``) of its own measurements, all taken in the same invocation.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

MODES = ("memory", "namespace", "node", "pipeline")
EXECUTORS = ("in_process", "multiprocess", "forkserver")


@dataclass
class Measurement:
    label: str
    wall_s: float
    cpu_s: float
    peak_tree_mb: float
    peak_proc_mb: float
    returncode: int
    load_at_start: float
    log: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class SizeResult:
    n: int
    steps: dict[str, int]
    load: dict[str, list[Measurement]] = field(default_factory=dict)
    runs: dict[str, list[Measurement]] = field(default_factory=dict)
    """``kedro_run``, ``kedro_run_1node``, ``<mode>/<executor>`` (ours), ``ref/<mode>/<executor>``,
    ``peer/<executor>``."""
    skipped: dict[str, str] = field(default_factory=dict)


SUMMARIES: dict[str, Callable[[list[float]], float]] = {"median": statistics.median, "best": min}


def fmt(value: float | None, unit: str = "s", digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def versions(peer_venv: Path | None) -> dict[str, str]:
    from importlib.metadata import version

    out = {p: version(p) for p in ("dagster", "dagster-dg-cli", "kedro", "kedro-datasets", "pandas", "dagster-kedro")}
    if peer_venv and (peer_venv / "bin" / "python").exists():
        code = "from importlib.metadata import version as v; print(v('kedro-dagster'), v('dagster'), v('kedro'))"
        r = subprocess.run([str(peer_venv / "bin" / "python"), "-c", code], capture_output=True, text=True)
        if r.returncode == 0:
            kd, dagster, kedro = r.stdout.split()
            out["kedro-dagster (peer venv)"] = f"{kd} (dagster {dagster}, kedro {kedro})"
    return out


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}, {platform.system()} {platform.machine()}"


def _loads(ms: list[Measurement]) -> str:
    values = [m.load_at_start for m in ms]
    return f"{min(values):.1f}–{max(values):.1f}" if values else "n/a"


def report(results: list[SizeResult], args: Any) -> str:
    t = Tables(getattr(args, "summary", "median"))
    lines: list[str] = []
    v = versions(Path(args.peer_venv) if args.peer_venv else None)
    lines.append(f"Machine: {machine()}. Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".")
    loads = [m.load_at_start for r in results for ms in [*r.load.values(), *r.runs.values()] for m in ms]
    if loads:
        lines.append(
            f"Repeat: {args.repeat} ({t.how} of each cell). 1-minute load average at the start of "
            f"measurements: {min(loads):.1f} to {max(loads):.1f} (median {statistics.median(loads):.1f})."
        )
    lines += ["", *t.load_table(results), "", *t.load_reference_table(results), "", *t.run_table(results),
              "", *t.limit_table(results)]
    if any(k.startswith("peer/") for r in results for k in [*r.runs, *r.skipped]):
        lines += ["", *t.peer_table(results)]
    if not getattr(args, "smoke", False):
        lines += ["", *t.targets_table(results)]
    return "\n".join(lines)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "n/a"


RUN_TARGETS = (  # (mode, executor, sizes, ours / limit at most)
    ("pipeline", "in_process", (100, 1000), 1.15),
    ("memory", "in_process", (100,), 1.25),
    ("memory", "multiprocess", (10, 100), 1.1),
    ("memory", "forkserver", (10, 100), 1.1),
)


class Tables:
    """The Markdown tables, each cell the ``how`` (median or best) of its measurements."""

    def __init__(self, how: str = "median"):
        self.how = how

    def summarize(self, ms: list[Measurement], attr: str = "wall_s") -> float | None:
        values = [getattr(m, attr) for m in ms if m.ok]
        return SUMMARIES[self.how](values) if values else None

    def limit_s(self, r: SizeResult, mode: str, executor: str, attr: str = "wall_s") -> float | None:
        """reference + (kedro run − kedro run of a 1-node project), in wall (or CPU) seconds."""
        ref = self.summarize(r.runs.get(f"ref/{mode}/{executor}", []), attr)
        kedro = self.summarize(r.runs.get("kedro_run", []), attr)
        one = self.summarize(r.runs.get("kedro_run_1node", []), attr)
        return None if None in (ref, kedro, one) else ref + (kedro - one)

    def load_table(self, results: list[SizeResult]) -> list[str]:
        lines = [
            "### Definitions load: `dg list defs --json`, cold process (group_by: memory)",
            "",
            "| N | floor (1 asset) | with state: total / **adds** | without state: total / **adds** "
            "| dev refresh: total / **adds** | kedro-dagster: total / **adds** | peak RSS floor / with / without / kd |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in results:
            floor = self.summarize(r.load.get("floor", []))

            def cell(key: str) -> str:
                if f"load/{key}" in r.skipped:
                    return f"skipped ({r.skipped[f'load/{key}']})"
                total = self.summarize(r.load.get(key, []))
                if total is None:
                    return "failed" if r.load.get(key) else "n/a"
                cpu = self.summarize(r.load[key], "cpu_s")
                adds = f"**{total - floor:+.2f}s**" if floor is not None else "?"
                return f"{total:.2f}s / {adds} (cpu {cpu:.1f}s)"

            rss = " / ".join(fmt(self.summarize(r.load.get(k, []), "peak_tree_mb"), " MB", 0)
                             for k in ("floor", "with_state", "without_state", "peer"))
            lines.append(
                f"| {r.n} | {fmt(floor)} (cpu {fmt(self.summarize(r.load.get('floor', []), 'cpu_s'), 's', 1)}) | {cell('with_state')} "
                f"| {cell('without_state')} | {cell('dev_refresh')} | {cell('peer')} | {rss} |"
            )
        return lines


    def load_reference_table(self, results: list[SizeResult]) -> list[str]:
        lines = [
            "### Definitions load against the plain-Dagster reference (same assets and steps as group_by memory)",
            "",
            "| N | reference: wall (cpu) | with state: wall (cpu) / **÷ reference** | without state: wall (cpu) / "
            "**CPU − reference CPU** | peak RSS reference / with / without | load avg |",
            "|---|---|---|---|---|---|",
        ]
        for r in results:
            ref, ref_cpu = self.summarize(r.load.get("reference", [])), self.summarize(r.load.get("reference", []), "cpu_s")
            if ref is None:
                continue
            cells = []
            for key in ("with_state", "without_state"):
                wall, cpu = self.summarize(r.load.get(key, [])), self.summarize(r.load.get(key, []), "cpu_s")
                if wall is None:
                    cells.append("n/a")
                elif key == "with_state":
                    cells.append(f"{wall:.2f}s ({cpu:.1f}s) / **{wall / ref:.2f}×**")
                else:
                    cells.append(f"{wall:.2f}s ({cpu:.1f}s) / **{cpu - ref_cpu:+.2f}s**")
            rss = " / ".join(fmt(self.summarize(r.load.get(k, []), "peak_tree_mb"), " MB", 0)
                             for k in ("reference", "with_state", "without_state"))
            involved = [m for k in ("reference", "with_state", "without_state") for m in r.load.get(k, [])]
            lines.append(f"| {r.n} | {ref:.2f}s ({ref_cpu:.1f}s) | {cells[0]} | {cells[1]} | {rss} | {_loads(involved)} |")
        return lines


    def run_table(self, results: list[SizeResult]) -> list[str]:
        lines = [
            "### Full run, end to end: `dg launch --job <package>__default` vs `kedro run`",
            "",
            "| N | group_by (steps) | kedro run | in_process: wall / **ratio** | multiprocess (2): wall / **ratio** | peak RSS in_process / multiprocess |",
            "|---|---|---|---|---|---|",
        ]
        for r in results:
            kedro = self.summarize(r.runs.get("kedro_run", []))
            for mode in MODES:
                cells, rss = [], []
                for executor in EXECUTORS:
                    key = f"{mode}/{executor}"
                    wall = self.summarize(r.runs.get(key, []))
                    if key in r.skipped:
                        cells.append(f"skipped ({r.skipped[key]})")
                    elif wall is None:
                        cells.append("failed" if r.runs.get(key) else "n/a")
                    else:
                        ratio = f"**{wall / kedro:.2f}×**" if kedro else "?"
                        cells.append(f"{wall:.2f}s / {ratio}")
                    rss.append(fmt(self.summarize(r.runs.get(key, []), "peak_tree_mb"), " MB", 0))
                if all(c == "n/a" for c in cells):
                    continue
                lines.append(f"| {r.n} | {mode} ({r.steps[mode]}) | {fmt(kedro)} | {cells[0]} | {cells[1]} | {' / '.join(rss)} |")
        return lines


    def limit_table(self, results: list[SizeResult]) -> list[str]:
        lines = [
            "### Full run against the limit: limit = reference + (`kedro run` − `kedro run` of a 1-node project)",
            "",
            "| N | group_by (steps) | executor | kedro run / 1 node | ours | **ours / kedro run** | reference "
            "| limit | **ours / limit** | CPU: ours / limit | peak RSS ours / reference / kedro run | load avg |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results:
            kedro, one = self.summarize(r.runs.get("kedro_run", [])), self.summarize(r.runs.get("kedro_run_1node", []))
            for mode in MODES:
                for executor in EXECUTORS:
                    key = f"{mode}/{executor}"
                    ours, ref = self.summarize(r.runs.get(key, [])), self.summarize(r.runs.get(f"ref/{key}", []))
                    if key in r.skipped:
                        lines.append(f"| {r.n} | {mode} ({r.steps[mode]}) | {executor} | | skipped ({r.skipped[key]}) | | | | | | | |")
                        continue
                    if not r.runs.get(key) and not r.runs.get(f"ref/{key}"):
                        continue
                    limit = self.limit_s(r, mode, executor)
                    cpu, cpu_limit = self.summarize(r.runs.get(key, []), "cpu_s"), self.limit_s(r, mode, executor, "cpu_s")
                    cpu_cell = f"{cpu:.1f}s / {cpu_limit:.1f}s = {_ratio(cpu, cpu_limit)}" if cpu is not None and cpu_limit else "n/a"
                    rss = " / ".join(fmt(self.summarize(r.runs.get(k, []), "peak_tree_mb"), " MB", 0)
                                     for k in (key, f"ref/{key}", "kedro_run"))
                    involved = [m for k in (key, f"ref/{key}", "kedro_run", "kedro_run_1node") for m in r.runs.get(k, [])]
                    lines.append(
                        f"| {r.n} | {mode} ({r.steps[mode]}) | {executor} | {fmt(kedro)} / {fmt(one)} | "
                        f"{fmt(ours) if ours is not None else ('failed' if r.runs.get(key) else 'n/a')} | "
                        f"**{_ratio(ours, kedro)}** | {fmt(ref)} | {fmt(limit)} | **{_ratio(ours, limit)}** | {cpu_cell} | {rss} | {_loads(involved)} |"
                    )
        return lines


    def peer_table(self, results: list[SizeResult]) -> list[str]:
        """Ours (group_by memory) against kedro-dagster's default job, per executor. A multiprocess
        run config without start_method forks ours from a forkserver (``step_processes``) and
        spawns kedro-dagster's steps; ours with ``spawn`` is shown too."""
        lines = [
            "### Against kedro-dagster 0.8.1: default job, same project",
            "",
            "| N | executor | ours | ours, start_method spawn | kedro-dagster | **speed-up** | CPU: ours / kedro-dagster |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in results:
            for executor, ours_key, spawn_key in (("in_process", "memory/in_process", None),
                                                  ("multiprocess (2)", "memory/forkserver", "memory/multiprocess")):
                key = f"peer/{executor.split()[0]}"
                ours, peer = self.summarize(r.runs.get(ours_key, [])), self.summarize(r.runs.get(key, []))
                if key in r.skipped:
                    shown = f"skipped ({r.skipped[key]})"
                else:
                    shown = ("failed" if r.runs.get(key) else "n/a") if peer is None else f"{peer:.2f}s"
                spawn = fmt(self.summarize(r.runs.get(spawn_key, []))) if spawn_key else "–"
                speed = f"**{peer / ours:.1f}×**" if peer and ours else "n/a"
                cpu = _ratio(self.summarize(r.runs.get(ours_key, []), "cpu_s"), self.summarize(r.runs.get(key, []), "cpu_s"))
                lines.append(f"| {r.n} | {executor} | {fmt(ours)} | {spawn} | {shown} | {speed} | {cpu} |")
        return lines

    def targets_table(self, results: list[SizeResult]) -> list[str]:
        """The issue's targets, each next to the load average of the measurements it uses."""
        lines = ["### Targets", "", "| target | N | measured | | load avg |", "|---|---|---|---|---|"]
        by_n = {r.n: r for r in results}

        def row(target: str, n: int, value: float | None, bound: float, shown: str, ms: list[Measurement]) -> None:
            verdict = "n/a" if value is None else ("**met**" if value <= bound else "**missed**")
            lines.append(f"| {target} | {n} | {shown if value is not None else 'not measured'} | {verdict} | {_loads(ms)} |")

        for mode, executor, sizes, bound in RUN_TARGETS:
            for n in sizes:
                r = by_n.get(n)
                if r is None:
                    continue
                key = f"{mode}/{executor}"
                ours, limit = self.summarize(r.runs.get(key, [])), self.limit_s(r, mode, executor)
                value = ours / limit if ours is not None and limit else None
                ms = [m for k in (key, f"ref/{key}", "kedro_run", "kedro_run_1node") for m in r.runs.get(k, [])]
                row(f"group_by {mode}, {executor}: ours / limit ≤ {bound}", n, value, bound,
                    f"{value:.2f}× ({ours:.2f}s / {limit:.2f}s)" if value else "", ms)
        r = by_n.get(1000)
        if r is not None:
            ours, ref = self.summarize(r.load.get("with_state", [])), self.summarize(r.load.get("reference", []))
            value = ours / ref if ours is not None and ref else None
            row("load from state (group_by memory) ≤ 1.1 × reference", 1000, value, 1.1,
                f"{value:.2f}× ({ours:.2f}s / {ref:.2f}s)" if value else "", r.load.get("with_state", []) + r.load.get("reference", []))
            for mode in MODES:
                key = f"{mode}/in_process"
                ours = self.summarize(r.runs.get(key, []), "peak_tree_mb")
                ref = self.summarize(r.runs.get(f"ref/{key}", []), "peak_tree_mb")
                kedro = self.summarize(r.runs.get("kedro_run", []), "peak_tree_mb")
                if ours is None or ref is None or kedro is None:
                    continue
                value = ours / max(ref, kedro)
                row(f"peak RSS, {key} ≤ 1.2 × max(reference, kedro run)", 1000, value, 1.2,
                    f"{value:.2f}× ({ours:.0f} MB / max({ref:.0f}, {kedro:.0f}) MB)",
                    r.runs[key] + r.runs[f"ref/{key}"] + r.runs["kedro_run"])
        r = by_n.get(100)
        if r is not None:
            cpu, ref = self.summarize(r.load.get("without_state", []), "cpu_s"), self.summarize(r.load.get("reference", []), "cpu_s")
            value = cpu - ref if cpu is not None and ref is not None else None
            row("load without state adds ≤ 1.0 s CPU over the reference", 100, value, 1.0,
                f"{value:+.2f}s CPU ({cpu:.2f}s − {ref:.2f}s)" if value is not None else "",
                r.load.get("without_state", []) + r.load.get("reference", []))
        return lines


def load_results(path: Path) -> list[SizeResult]:
    """SizeResults back from a --json file."""
    out = []
    for raw in json.loads(path.read_text()):
        out.append(SizeResult(
            n=raw["n"],
            steps=raw["steps"],
            load={k: [Measurement(**m) for m in ms] for k, ms in raw["load"].items()},
            runs={k: [Measurement(**m) for m in ms] for k, ms in raw["runs"].items()},
            skipped=raw["skipped"],
        ))
    return out
