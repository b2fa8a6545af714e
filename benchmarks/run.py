"""Benchmarks of dagster-kedro: definitions load time, peak memory and full-run wall time.

For every size N (default 10, 100, 1000 nodes) this generates a synthetic Kedro project
(``generate_project.py``) and measures, each command a cold process with a fresh DAGSTER_HOME:

* load: ``dg list defs --json`` on a dg project holding one ``KedroProjectComponent`` over the
  project (group_by memory), reported as what it adds over the same command on a one-asset dg
  project (the floor, measured in the same run next to it):
    - with state: YAML ``defs_state: {management_type: LOCAL_FILESYSTEM, refresh_if_dev: false}``
      after ``dg utils refresh-defs-state`` (the deployed set-up);
    - without state: the same YAML with no state written (the component reads the project live);
    - dev refresh: the YAML without ``defs_state`` (every ``dg`` command sets DAGSTER_IS_DEV_CLI,
      so the state is rewritten on each load: what ``dg`` users get by default);
* peak memory: the largest summed RSS of the command's process tree (polled from /proc);
* run: ``dg launch --job <package>__default`` for each group_by (memory, namespace, node,
  pipeline) under the in_process and multiprocess (max_concurrent 2; ``multiprocess`` with
  ``start_method: spawn``, ``forkserver`` with ``start_method: forkserver``) executors, as a ratio to
  ``kedro run`` on the same project measured in the same run (both end to end);
* the plain-Dagster reference of every run configuration (``reference.py``: the same steps,
  asset specs, deps and executor as ours, no Kedro, trivial work writing the same files),
  launched right after ours with the same command, and ``kedro run`` of a 1-node project; the
  *limit* is ``reference + (kedro run − kedro run of 1 node)`` (``report.py``), and each row
  shows ``ours / limit`` next to ``ours / kedro run``. The reference of group_by memory is also
  loaded with ``dg list defs --json`` next to ours;
* the peer kedro-dagster (a separate virtualenv, ``--peer-venv``; see ``--setup-peer``): its
  ``dg list defs --json`` and its default job under multiprocess (max_concurrent 2) and
  in_process, on a copy of the same project scaffolded with ``kedro dagster init``.

One-time setup (project generation, scaffolding, state refresh, byte-compiling, one warm-up
load per dg project) is not timed. Medians (or ``--summary best``) over ``--repeat``. The
machine is shared: before each measurement the script waits (up to ``--quiet-timeout`` s) for the
1-minute load average to drop under ``--max-load`` and records the load it started at.

    python benchmarks/run.py --sizes 10,100 --repeat 1 --skip-slow
    python benchmarks/run.py --sizes 100 --repeat 2 --summary best \
        --configs pipeline/in_process,memory/in_process,memory/multiprocess
    python benchmarks/run.py --smoke      # N=10, 2 configurations, one repetition (CI: tests/test_benchmarks.py)
"""

from __future__ import annotations

import argparse
import compileall
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
from dg_projects import BIN, DgProject  # noqa: E402  (the tests' dg project helper)
from generate_project import chain_lengths, generate  # noqa: E402
from report import MODES, Measurement, SizeResult, load_results, report  # noqa: E402
from reference import write_reference_defs  # noqa: E402

EXECUTORS = {
    "in_process": {"execution": {"config": {"in_process": {}}}},
    # both start methods named, so that ours and the plain-Dagster reference use the same one: with no
    # start_method a Kedro job forks from a forkserver (step_processes), a plain job spawns
    "multiprocess": {"execution": {"config": {"multiprocess": {"max_concurrent": 2, "start_method": {"spawn": {}}}}}},
    "forkserver": {"execution": {"config": {"multiprocess": {"max_concurrent": 2, "start_method": {"forkserver": {}}}}}},
}
WITH_STATE = {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False}
SLOW_LIMIT_S = 600.0
SMOKE = {"sizes": "10", "repeat": 1, "configs": "pipeline/in_process,memory/in_process", "peer_venv": "",
         "dev_refresh": False, "quiet_timeout": 0.0}
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


# --------------------------------------------------------------------------- measuring


def _session_rss_kb(sid: int) -> int:
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        # fields[0] is state (field 3); session is field 6, rss field 24
        if int(fields[3]) == sid:
            total += int(fields[21]) * PAGE_KB
    return total


def _become_subreaper() -> None:
    """Make this process the reaper of its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    A process that its parent never waits for, such as the forkserver of Dagster's multiprocess
    executor with ``start_method: forkserver`` (and the step processes it forks), is otherwise
    reparented to init, and its CPU never reaches the measured command's rusage."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        print("warning: PR_SET_CHILD_SUBREAPER failed; CPU of orphaned step processes is not counted", file=sys.stderr)


def _reap_orphans(timeout: float = 60.0) -> None:
    """Wait for every remaining child (orphans handed to us), so their CPU is in RUSAGE_CHILDREN."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)
    print(f"warning: descendants still running {timeout:.0f} s after the command; their CPU is not counted", file=sys.stderr)


def wait_quiet(max_load: float, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


class Runner:
    def __init__(self, logs: Path, max_load: float, quiet_timeout: float, verbose: bool = True):
        _become_subreaper()
        self.logs = logs
        self.max_load = max_load
        self.quiet_timeout = quiet_timeout
        self.verbose = verbose
        self.count = 0
        logs.mkdir(parents=True, exist_ok=True)

    def measure(self, label: str, cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 7200) -> Measurement:
        """Run ``cmd`` as a cold process (its own session); wall, CPU of the tree, peak RSS."""
        load = wait_quiet(self.max_load, self.quiet_timeout)
        self.count += 1
        log = self.logs / f"{self.count:03d}_{label.replace('/', '_').replace(' ', '_')}.log"
        with open(log, "w") as out:
            out.write(f"$ {' '.join(cmd)}\n# cwd {cwd}\n")
            out.flush()
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            peak = [0]
            done = threading.Event()

            def poll() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], _session_rss_kb(proc.pid))
                    done.wait(0.1)

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
            timer.start()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            _reap_orphans()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            timer.cancel()
            done.set()
            poller.join()
            proc.returncode = os.waitstatus_to_exitcode(status)
        m = Measurement(
            label=label,
            wall_s=wall,
            cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            peak_tree_mb=peak[0] / 1024,
            peak_proc_mb=usage.ru_maxrss / 1024,
            returncode=proc.returncode,
            load_at_start=load,
            log=str(log),
        )
        if self.verbose:
            state = "ok" if m.ok else f"FAILED rc={m.returncode} (see {log})"
            print(
                f"  {label}: {wall:.2f}s wall, {m.cpu_s:.2f}s cpu, {m.peak_tree_mb:.0f} MB tree, load {load:.1f} {state}",
                file=sys.stderr,
                flush=True,
            )
        return m


# --------------------------------------------------------------------------- projects


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_IS_DEV_CLI", "DAGSTER_HOME", "PYTHONPATH")}
    env.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")
    return env


def fresh_home(root: Path) -> Path:
    home = Path(os.path.join(root, f"home_{time.time_ns()}"))
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


ONE_ASSET = "import dagster as dg\n\n\n@dg.asset\ndef one() -> int:\n    return 1\n"


def new_dg_project(root: Path, module: str) -> DgProject:
    """A dg project of the tests' kind at ``root`` (replaced if it exists)."""
    if root.exists():
        shutil.rmtree(root)
    return DgProject(root, module)


def clear_state(project: DgProject) -> None:
    """Remove the LOCAL_FILESYSTEM component state (``<defs module>/.local_defs_state``)."""
    shutil.rmtree(project.defs / ".local_defs_state", ignore_errors=True)


def clean_outputs(project: Path) -> None:
    """Remove what earlier runs wrote, so every run starts from the raw data."""
    for folder in (project / "data").iterdir():
        if folder.name != "01_raw":
            shutil.rmtree(folder)
            folder.mkdir()
    for extra in ("sessions", "logs"):
        shutil.rmtree(project / extra, ignore_errors=True)
    for log in project.glob("dagster_run_info.log*"):
        log.unlink()


def check(result: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    if result.returncode != 0:
        raise RuntimeError(f"setup step failed: {what}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def expected_steps(n: int, group_by: str) -> int:
    """Steps of the default job for the generated shape (memory pairs each memory output with
    its reader; the last output of a chain is persisted)."""
    lengths = chain_lengths(n)
    return {
        "memory": sum((length + 1) // 2 for length in lengths),
        "namespace": min(4, len(lengths)),
        "node": n,
        "pipeline": 1,
    }[group_by]


# --------------------------------------------------------------------------- peer


PEER_DAGSTER_YML = """\
executors:
  multiprocess:
    multiprocess:
      max_concurrent: 2
  sequential:
    in_process:
jobs:
  default:
    pipeline:
      pipeline_name: __default__
    executor: {executor}
"""


def write_peer_config(project: Path, executor: str) -> None:
    """kedro-dagster's default job with one executor. Two jobs over the same nodes cannot
    coexist there (both build ops named after the nodes: 'Conflicting definitions'), so the
    executor is switched by rewriting conf/base/dagster.yml between runs."""
    name = "multiprocess" if executor == "multiprocess" else "sequential"
    (project / "conf" / "base" / "dagster.yml").write_text(PEER_DAGSTER_YML.format(executor=name))


def setup_peer_venv(venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q"]
    subprocess.run([*pip, "kedro-dagster==0.8.1"], check=True)
    subprocess.run(
        [*pip, "kedro-datasets[pandas-csvdataset,pickle-pickledataset]", "pandas"],
        check=True,
    )


def peer_env(venv: Path, project: Path, homes: Path) -> dict[str, str]:
    env = base_env()
    env.update(
        DAGSTER_HOME=str(fresh_home(homes)),
        PYTHONPATH=str(project / "src"),
        VIRTUAL_ENV=str(venv),
        PATH=f"{venv / 'bin'}:{env.get('PATH', '')}",
    )
    return env


def setup_peer_project(venv: Path, n: int, package: str, dest: Path, homes: Path) -> Path:
    """The same synthetic project, scaffolded with ``kedro dagster init`` (its own copy)."""
    generate(dest, n, package)
    env = peer_env(venv, dest, homes)
    check(
        subprocess.run([str(venv / "bin" / "kedro"), "dagster", "init", "--env", "base", "--force"],
                       cwd=dest, env=env, capture_output=True, text=True),
        "kedro dagster init",
    )
    # the scaffolded job runs in process with a file logger and a schedule: use a plain default
    # job with a multiprocess executor (max_concurrent 2, like ours) instead
    write_peer_config(dest, "multiprocess")
    return dest


# --------------------------------------------------------------------------- benchmark


class Benchmark:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work = Path(args.workdir)
        if self.work.exists() and not args.keep:
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.homes = self.work / "homes"
        self.runner = Runner(self.work / "logs", args.max_load, args.quiet_timeout)
        self.peer_venv = Path(args.peer_venv) if args.peer_venv else None
        self.per_step_process_s = args.step_process_seconds
        self.peer_per_step_s = args.peer_step_process_seconds
        self.floor = new_dg_project(self.work / "floor", "floor_defs")
        self.floor.add_python("one", ONE_ASSET)
        self.one_node = generate(self.work / "kedro" / "synth_1", 1, "synth_1")
        compileall.compile_dir(str(self.one_node / "src"), quiet=1)

    def env(self, project: DgProject) -> dict[str, str]:
        """The project's environment (its src, then the caller's PYTHONPATH) with a fresh DAGSTER_HOME."""
        return {**project.process_env(), "DAGSTER_HOME": str(fresh_home(self.homes))}

    # ------------------------------------------------------------------ setup
    def setup_size(self, n: int) -> dict[str, Any]:
        package = f"synth_{n}"
        kedro = generate(self.work / "kedro" / package, n, package)
        compileall.compile_dir(str(kedro / "src"), quiet=1)
        dg: dict[str, DgProject] = {}
        ref: dict[str, DgProject] = {}
        modes = {"memory", *(mode for mode, _ in self._configs())}
        for mode in sorted(modes):
            project = new_dg_project(self.work / f"dg_{n}_{mode}", f"defs_{n}_{mode}")
            project.add_component("kedro", {"project_path": str(kedro), "group_by": mode, "defs_state": WITH_STATE})
            dg[mode] = project
            # the plain-Dagster reference of the same layout: one generated defs module, no Kedro
            ref[mode] = new_dg_project(self.work / f"ref_{n}_{mode}", f"ref_{n}_{mode}")
            write_reference_defs(ref[mode].add_python("reference", ""), kedro, mode)
            compileall.compile_dir(str(ref[mode].root / "src"), quiet=1)
        no_state = new_dg_project(self.work / f"dg_{n}_nostate", f"defs_{n}_nostate")
        no_state.add_component("kedro", {"project_path": str(kedro), "defs_state": WITH_STATE})
        dev = new_dg_project(self.work / f"dg_{n}_dev", f"defs_{n}_dev")
        dev.add_component("kedro", {"project_path": str(kedro)})
        peer = None
        if self.peer_venv:
            peer = setup_peer_project(self.peer_venv, n, package, self.work / "peer" / package, self.homes)
            compileall.compile_dir(str(peer / "src"), quiet=1)
        return {"package": package, "kedro": kedro, "dg": dg, "ref": ref, "no_state": no_state, "dev": dev, "peer": peer}

    def prepare_state(self, project: DgProject) -> None:
        check(
            subprocess.run([str(BIN / "dg"), "utils", "refresh-defs-state"], cwd=project.root,
                           env=self.env(project), capture_output=True, text=True),
            f"dg utils refresh-defs-state in {project.root}",
        )

    def warm(self, project: DgProject) -> None:
        if self.args.smoke:  # the smoke run checks that the benchmark works, not its figures
            return
        check(
            subprocess.run([str(BIN / "dg"), "list", "defs", "--json"], cwd=project.root,
                           env=self.env(project), capture_output=True, text=True),
            f"dg list defs in {project.root}",
        )

    # ------------------------------------------------------------------ one size
    def run_size(self, n: int) -> SizeResult:
        print(f"== N={n}: setup", file=sys.stderr, flush=True)
        p = self.setup_size(n)
        result = SizeResult(n=n, steps={m: expected_steps(n, m) for m in MODES})
        smoke = self.args.smoke
        has_state = self._state_backed()
        if has_state:
            for project in p["dg"].values():
                self.prepare_state(project)
            self.warm(p["dg"]["memory"])
        for mode, project in p["ref"].items():
            if self.args.reference or mode == "memory":  # the memory reference is also loaded
                self.warm(project)
        if not smoke:
            self.warm(self.floor)
            clear_state(p["no_state"])
            self.warm(p["no_state"])  # compiles, reads live (no state is written with refresh_if_dev: false)
            clear_state(p["no_state"])
        peer_load = p["peer"] is not None
        if peer_load and self.args.skip_slow and self._peer_load_estimate(n) > SLOW_LIMIT_S:
            peer_load = False
            result.skipped["load/peer"] = f"estimated {self._peer_load_estimate(n) / 60:.0f} min"
            print(f"  N{n} load kedro-dagster: skipped ({result.skipped['load/peer']})", file=sys.stderr, flush=True)
        if peer_load:
            self._peer_list_warm(p["peer"])
        print(f"== N={n}: load", file=sys.stderr, flush=True)
        dg_list = [str(BIN / "dg"), "list", "defs", "--json"]
        measure = self.runner.measure
        for _ in range(self.args.repeat):
            if not smoke:
                self._add(result.load, "floor", measure(f"N{n} load floor", dg_list, self.floor.root, self.env(self.floor)))
                clear_state(p["no_state"])
                self._add(result.load, "without_state", measure(
                    f"N{n} load without state", dg_list, p["no_state"].root, self.env(p["no_state"])))
            if has_state:
                self._add(result.load, "with_state", measure(
                    f"N{n} load with state", dg_list, p["dg"]["memory"].root, self.env(p["dg"]["memory"])))
            self._add(result.load, "reference", measure(
                f"N{n} load reference", dg_list, p["ref"]["memory"].root, self.env(p["ref"]["memory"])))
            if self.args.dev_refresh and not smoke:
                self._add(result.load, "dev_refresh", measure(
                    f"N{n} load dev refresh", dg_list, p["dev"].root, self.env(p["dev"])))
            if peer_load:
                self._add(result.load, "peer", measure(
                    f"N{n} load kedro-dagster", [str(self.peer_venv / "bin" / "dg"), "list", "defs", "--json"],
                    p["peer"], peer_env(self.peer_venv, p["peer"], self.homes)))
        if self.args.no_runs:
            return result
        print(f"== N={n}: runs", file=sys.stderr, flush=True)
        kedro = p["kedro"]
        kedro_env = {**base_env(), "DAGSTER_HOME": str(fresh_home(self.homes))}
        for _ in range(self.args.repeat):
            clean_outputs(kedro)
            self._add(result.runs, "kedro_run", measure(f"N{n} kedro run", [str(BIN / "kedro"), "run"], kedro, kedro_env))
            clean_outputs(self.one_node)
            self._add(result.runs, "kedro_run_1node", measure(
                f"N{n} kedro run 1 node", [str(BIN / "kedro"), "run"], self.one_node, kedro_env))
            for mode, executor in self._configs():
                key = f"{mode}/{executor}"
                estimate = self._estimate(n, mode, executor, result)
                if self.args.skip_slow and estimate > SLOW_LIMIT_S:
                    result.skipped[key] = f"estimated {estimate / 60:.0f} min"
                    print(f"  N{n} {key}: skipped (estimated {estimate:.0f}s)", file=sys.stderr, flush=True)
                    continue
                cmd = [str(BIN / "dg"), "launch", "--job", f"{p['package']}__default",
                       "--config-json", json.dumps(EXECUTORS[executor])]
                # ours, then its reference right after: same command, same executor config
                pairs = [(key, p["dg"][mode])]
                if self.args.reference:
                    pairs.append((f"ref/{key}", p["ref"][mode]))
                for bucket, project in pairs:
                    clean_outputs(kedro)
                    self._add(result.runs, bucket, measure(f"N{n} launch {bucket}", cmd, project.root, self.env(project)))
            if p["peer"]:
                for executor in ("multiprocess", "in_process"):
                    key = f"peer/{executor}"
                    estimate = self._peer_estimate(n, key)
                    if self.args.skip_slow and estimate > SLOW_LIMIT_S:
                        result.skipped[key] = f"estimated {estimate / 60:.0f} min"
                        print(f"  N{n} {key}: skipped (estimated {estimate:.0f}s)", file=sys.stderr, flush=True)
                        continue
                    clean_outputs(p["peer"])
                    write_peer_config(p["peer"], executor)
                    self._add(result.runs, key, measure(
                        f"N{n} launch {key}", [str(self.peer_venv / "bin" / "dg"), "launch", "--job", "local__default"],
                        p["peer"], peer_env(self.peer_venv, p["peer"], self.homes)))
        clean_outputs(kedro)
        if p["peer"]:
            write_peer_config(p["peer"], "multiprocess")
        return result

    def _configs(self) -> list[tuple[str, str]]:
        """(group_by, executor) pairs to run: ``--configs``, else every mode × executor asked."""
        if self.args.configs:
            pairs = [tuple(c.split("/")) for c in self.args.configs.split(",") if c]
            bad = [p for p in pairs if len(p) != 2 or p[0] not in MODES or p[1] not in EXECUTORS]
            if bad:
                raise SystemExit(f"--configs: {bad} are not <group_by>/<executor> ({MODES} / {tuple(EXECUTORS)})")
            return pairs
        modes = [m for m in self.args.modes.split(",") if m]
        return [(m, e) for m in modes for e in self.args.executors.split(",") if e]

    def _peer_list_warm(self, project: Path) -> None:
        check(
            subprocess.run([str(self.peer_venv / "bin" / "dg"), "list", "defs", "--json"], cwd=project,
                           env=peer_env(self.peer_venv, project, self.homes), capture_output=True, text=True),
            f"kedro-dagster dg list defs in {project}",
        )

    @staticmethod
    def _add(bucket: dict[str, list[Measurement]], key: str, m: Measurement) -> None:
        bucket.setdefault(key, []).append(m)

    @staticmethod
    def _state_backed() -> bool:
        from dagster.components.component.state_backed_component import StateBackedComponent

        from dagster_kedro import KedroProjectComponent

        return issubclass(KedroProjectComponent, StateBackedComponent)

    def _estimate(self, n: int, mode: str, executor: str, result: SizeResult) -> float:
        """Rough run time, from the measurements in docs/performance.md: multiprocess pays a
        process start (Python, dagster, kedro, defs) per step, 2 at a time; in-process pays a
        per-node cost (event-log writes) and a per-step cost (loading the Kedro nodes)."""
        if executor == "in_process":
            return 10 + 0.2 * n + 1.0 * result.steps[mode]
        return 10 + self.per_step_process_s * result.steps[mode] / 2

    @staticmethod
    def _peer_load_estimate(n: int) -> float:
        """kedro-dagster's translation calls find_pipelines() once per node: quadratic (measured
        ≈ 25 s wall for `dg list defs` at 100 nodes on a loaded 2-core machine)."""
        return 10 + 15 * (n / 100) ** 2

    def _peer_estimate(self, n: int, key: str) -> float:
        """Every kedro-dagster step process imports its definitions.py, i.e. translates again."""
        load = self._peer_load_estimate(n)
        if key.endswith("in_process"):
            return 15 + load + 0.5 * n
        return 15 + load + max(self.peer_per_step_s, load) * (n + 2) / 2


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated node counts")
    parser.add_argument("--repeat", type=int, default=1, help="measurements per cell")
    parser.add_argument("--summary", choices=("median", "best"), default="median",
                        help="what a cell shows of its --repeat measurements (best: the shortest wall/CPU/RSS)")
    parser.add_argument("--skip-slow", action="store_true", help=f"skip runs estimated over {SLOW_LIMIT_S / 60:.0f} min")
    parser.add_argument("--modes", default=",".join(MODES), help="group_by modes to run")
    parser.add_argument("--executors", default=",".join(EXECUTORS), help="in_process,multiprocess")
    parser.add_argument("--configs", default="",
                        help="group_by/executor pairs to run instead of --modes x --executors, "
                        "e.g. pipeline/in_process,memory/multiprocess")
    parser.add_argument("--smoke", action="store_true",
                        help=f"quick check that the benchmark works (CI): {SMOKE}; no peer, no waiting "
                        "for a quiet machine, no warm-up loads, no targets")
    parser.add_argument("--no-runs", action="store_true", help="measure load only")
    parser.add_argument("--no-reference", dest="reference", action="store_false",
                        help="skip launching the plain-Dagster reference after each run (saves half the run time)")
    parser.add_argument("--no-dev-refresh", dest="dev_refresh", action="store_false",
                        help="skip the load with the default YAML (state refreshed by every dg command)")
    parser.add_argument("--peer-venv", default="/tmp/kd_venv",
                        help="virtualenv with kedro-dagster==0.8.1 ('' to skip the peer)")
    parser.add_argument("--setup-peer", action="store_true", help="create --peer-venv first (pip install kedro-dagster==0.8.1)")
    parser.add_argument("--step-process-seconds", type=float, default=10.0,
                        help="estimated seconds per multiprocess step of ours, for --skip-slow")
    parser.add_argument("--peer-step-process-seconds", type=float, default=25.0,
                        help="estimated seconds per multiprocess step of kedro-dagster, for --skip-slow")
    parser.add_argument("--workdir", default="/tmp/dagster_kedro_bench")
    parser.add_argument("--keep", action="store_true", help="do not wipe --workdir first")
    parser.add_argument("--max-load", type=float, default=2.5, help="wait for the 1-min load average to drop under this")
    parser.add_argument("--quiet-timeout", type=float, default=60, help="longest wait for --max-load, seconds")
    parser.add_argument("--json", help="also write raw measurements to this file")
    parser.add_argument("--report-from", help="print the tables from earlier --json files (comma-separated), measure nothing")
    args = parser.parse_args(argv)
    if args.smoke:
        for name, value in SMOKE.items():
            setattr(args, name, value)
    if args.report_from:
        results = [r for f in args.report_from.split(",") for r in load_results(Path(f))]
        print(report(sorted(results, key=lambda r: r.n), args))
        return
    os.environ.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")
    os.environ.pop("DAGSTER_IS_DEV_CLI", None)  # dg sets it in its own processes; never inherited

    if args.peer_venv and args.setup_peer:
        setup_peer_venv(Path(args.peer_venv))
    if args.peer_venv and not (Path(args.peer_venv) / "bin" / "kedro").exists():
        print(f"peer venv {args.peer_venv} missing (use --setup-peer): peer skipped", file=sys.stderr)
        args.peer_venv = ""

    bench = Benchmark(args)
    results = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
        results.append(bench.run_size(n))
        if args.json:
            Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=1, default=str))
        print(report(results, args), file=sys.stderr, flush=True)
    print(report(results, args))


if __name__ == "__main__":
    main()
