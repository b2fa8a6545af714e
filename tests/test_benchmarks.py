"""CI smoke run of the benchmark (``benchmarks/run.py --smoke``), so that it never rots.

It measures nothing worth quoting (N = 10, one repetition, a loaded CI machine) and checks no
threshold: it checks that every part still runs end to end (the synthetic projects, our dg
projects, the generated plain-Dagster reference, ``kedro run`` of the project and of a 1-node
project) and that the printed table carries the reference and limit columns with figures in them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_benchmark_smoke_prints_the_limit_table(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--smoke", "--workdir", str(tmp_path / "bench")],
        cwd=REPO,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    table = result.stdout
    header = next(line for line in table.splitlines() if "**ours / limit**" in line)
    assert "**ours / kedro run**" in header and "| reference |" in header and "| limit |" in header
    seconds, ratio = r"\d+\.\d\ds", r"\*\*\d+\.\d\d×\*\*"
    for mode in ("pipeline", "memory"):
        # N | group_by (steps) | executor | kedro run / 1 node | ours | ours/kedro | reference | limit | ours/limit
        row = rf"\| 10 \| {mode} \(\d+\) \| in_process \| {seconds} / {seconds} \| {seconds} \| {ratio} \| {seconds} \| {seconds} \| {ratio} \|"
        assert re.search(row, table), f"no measured {mode}/in_process row in:\n{table}"
    # the load from state next to the same command on the reference
    assert re.search(rf"\| 10 \| {seconds} \(\d+\.\ds\) \| {seconds} \(\d+\.\ds\) / {ratio} \|", table), table
