"""What one code location may hold: each Kedro package once, each asset key once.

Several KedroProjectComponents load into one process (one code location). Kedro keeps its active
project in process globals keyed by package name, so two different projects with the same
package name cannot both run here; and two components producing the same asset key would make
Dagster fail later with a message that does not name the YAML. Both are caught at load time.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from dagster_kedro.errors import KedroComponentError
from dagster_kedro.process_state import PROCESS


def claim_package(package_name: str, project_path: str, source: Path | str | None, location: Path | None = None) -> None:
    """Record that the YAML at ``source`` loads ``package_name`` from ``project_path`` into the
    code location of the dg project at ``location``; re-loading the same YAML (dg dev reloads,
    tests) replaces its own claim. Another dg project loaded in this process is another location."""
    claim = (str(location), package_name)
    owner = PROCESS.packages.get(claim)
    if owner and owner[0] != project_path and owner[1] != str(source):
        raise KedroComponentError(
            f"Kedro package '{package_name}' is already loaded from {owner[0]} (by {owner[1]}); "
            f"two different Kedro projects with one package name cannot share a code location.",
            source=source,
            field="project_path",
            value=project_path,
            fix="rename one project's package (pyproject.toml [tool.kedro] package_name and its "
            "src/ folder), or put the projects in separate code locations.",
        )
    PROCESS.packages[claim] = (project_path, str(source))


def claim_asset_keys(keys: Iterable[dg.AssetKey], source: Path | str | None, location: Path | None = None) -> None:
    """Record the asset keys the YAML at ``source`` produces in the code location at ``location``,
    replacing its earlier claims."""
    mine = str(source)
    claimed = PROCESS.asset_keys.setdefault(str(location), {})
    for key in [k for k, owner in claimed.items() if owner == mine]:
        del claimed[key]
    for key in keys:
        owner = claimed.get(key)
        if owner is not None and owner != mine:
            raise KedroComponentError(
                f"asset key {key.to_user_string()!r} is also produced by the component at {owner}.",
                source=source,
                field="key_prefix",
                fix="give one of the components a key_prefix (e.g. key_prefix: [my_project]), or map "
                "a shared raw input to the other component's asset with `inputs`.",
            )
        claimed[key] = mine
