"""Profile one ``dg`` command in a dg project made by ``run.py`` (cProfile, in process).

    python benchmarks/profile.py /tmp/dagster_kedro_bench/dg_1000_nostate list defs --json
    python benchmarks/profile.py /tmp/dagster_kedro_bench/dg_100_pipeline \
        launch --job synth_100__default --config-json '{"execution": {"config": {"in_process": {}}}}'

Prints the top functions by cumulative time, then those inside dagster_kedro, and the calls of
``load_from_defs_folder`` (how many times the definitions were built). ``dg launch`` runs the
job in the same process (``dagster job execute``), so in_process runs are profiled whole;
multiprocess step processes are not (profile one step's work through an in_process run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", help="dg project folder (e.g. <workdir>/dg_100_memory)")
    parser.add_argument("dg_args", nargs=argparse.REMAINDER, help="arguments of dg")
    parser.add_argument("--out", default=None, help="where to keep the .prof file")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    project = Path(args.project).resolve()
    src = project / "src"
    home = Path(tempfile.mkdtemp(prefix="dk_prof_home_"))
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    out = Path(args.out or tempfile.mktemp(suffix=".prof"))
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    # the project's code first, then the caller's PYTHONPATH (e.g. a worktree's src), as run.py does
    pythonpath = os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH")) if p)
    env.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1", DAGSTER_HOME=str(home), PYTHONPATH=pythonpath)
    dg = shutil.which("dg", path=str(Path(sys.executable).parent)) or "dg"
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), dg, *args.dg_args],
        cwd=project, env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-5000:])
        raise SystemExit(f"dg exited {result.returncode}")

    import pstats

    stats = pstats.Stats(str(out))
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.print_stats("dagster_kedro", args.top)
    stats.print_callers("load_from_defs_folder")
    print(f"profile kept at {out}")


if __name__ == "__main__":
    main()
