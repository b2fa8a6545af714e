"""The project snapshot as Dagster component state: its key, and whether it may be used.

A state belongs to the Kedro project that the YAML names, wherever the dg project and the Kedro
project live now. Its default key therefore holds no absolute path (the package name and the
read settings identify it), so a deployment that was copied, moved or built into an image at
another path still finds its state. And a state is used only for the project the YAML names:
it must match that project's fingerprint (a hash of its code and conf files, relative paths
only), and its ``project_path`` is rebound to the YAML's, so steps can never read or write
another checkout of the project than the one the YAML points at.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import warnings
from pathlib import Path
from typing import Any

from dagster_kedro.process_state import PROCESS
from dagster_kedro.project import project_fingerprint, validate_kedro_project_path
from dagster_kedro.snapshot import SNAPSHOT_FORMAT_VERSION, ProjectSnapshot


def default_state_key(
    project_path: str, env: str | None, conf_source: str | None, pipelines: list[str], params: dict[str, Any]
) -> str:
    """``KedroProjectComponent[<package>-<digest of the read settings>]``, free of absolute paths."""
    root = Path(project_path).resolve()
    try:
        package = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["kedro"]["package_name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        package = root.name  # not a Kedro project: the load fails with a clear error anyway
    conf = None
    if conf_source:
        conf_path = Path(conf_source).resolve()
        conf = conf_path.relative_to(root).as_posix() if conf_path.is_relative_to(root) else conf_path.name
    identity = json.dumps([env, conf, pipelines, params], sort_keys=True, default=str)
    return f"KedroProjectComponent[{package}-{hashlib.sha256(identity.encode()).hexdigest()[:10]}]"


def fresh_state_snapshot(state_path: Path | None, project_path: str, conf_source: str | None) -> ProjectSnapshot | None:
    """The snapshot kept as state, bound to ``project_path``; or None (with a warning) when it is
    missing, of another format, or stale: the project's code, catalog or conf differ from what it
    was read from (for a moved project: the files at the new place)."""
    refresh = "run `dg utils refresh-defs-state` to refresh it"
    if state_path is None or not state_path.exists():
        reason = f"no snapshot state for the Kedro project at {project_path}"
    else:
        snapshot = _parsed(state_path.read_bytes())
        validate_kedro_project_path(Path(project_path))
        if snapshot is None or snapshot.format_version != SNAPSHOT_FORMAT_VERSION:
            reason = f"the snapshot state at {state_path} has another format"
        elif snapshot.fingerprint != project_fingerprint(project_path, conf_source):
            reason = f"the Kedro project at {project_path} changed since its snapshot state was written"
        else:
            return snapshot.model_copy(update={"project_path": str(Path(project_path).resolve())})
    warnings.warn(f"dagster-kedro: {reason}; reading the project instead ({refresh}).", stacklevel=2)
    return None


def _parsed(state: bytes) -> ProjectSnapshot | None:
    """The snapshot in a state file's content (None if it is no snapshot), parsed once per process."""

    def parse() -> ProjectSnapshot | None:
        try:
            return ProjectSnapshot.from_json(state.decode())
        except ValueError:
            return None

    return PROCESS.snapshots.get(("state", hashlib.sha256(state).hexdigest()), parse)
