"""Loading the component leaves the host process's logging as it found it, so `dg` commands show
load errors (`dg list defs` captures stdout while it loads) and print none of Kedro's setup lines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

# A fresh interpreter, so the load is where `kedro.framework.project` is first imported (the
# import that applies Kedro's logging configuration), as in a `dg` process.
LOAD_IN_PROCESS = textwrap.dedent(
    """
    import io, json, logging, sys
    import yaml

    stream = io.StringIO()
    logging.getLogger().addHandler(logging.StreamHandler(stream))
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("kedro").setLevel(logging.ERROR)
    NAMES = ["", "kedro", "kedro.framework.project", "kedro.io", "kedro.pipeline", "hooked"]

    def state():
        loggers = {n or "root": logging.getLogger(n) for n in NAMES}
        return {n: [lg.level, [id(h) for h in lg.handlers], lg.propagate, lg.disabled] for n, lg in loggers.items()}

    before = state()
    from dagster._utils.test.definitions import scoped_definitions_load_context
    from dagster.components.testing import create_defs_folder_sandbox

    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "hooked"
        folder.mkdir()
        attributes = {"project_path": sys.argv[1]}
        (folder / "defs.yaml").write_text(yaml.safe_dump({"type": "dagster_kedro.KedroProjectComponent", "attributes": attributes}))
        with scoped_definitions_load_context(), sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
            keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    print(json.dumps({"before": before, "after": state(), "host_log": stream.getvalue(), "keys": keys}))
    """
)


def mentions_kedro_logging_setup(output: str) -> bool:
    """Kedro's `Using '<file>' as logging configuration.` line, also when rich wrapped it."""
    return "asloggingconfiguration" in re.sub(r"\s+", "", output)


def test_loading_a_component_leaves_the_host_logging_unchanged(kedro_project, dg_project):
    project = kedro_project("hooked")
    result = subprocess.run(
        [sys.executable, "-c", LOAD_IN_PROCESS, str(project)],
        env=dg_project.process_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["keys"] == ["checked", "doubled", "numbers", "row_count", "summary"]
    assert report["after"] == report["before"]
    assert not mentions_kedro_logging_setup(result.stdout + result.stderr + report["host_log"])


def test_dg_list_defs_shows_load_errors_in_table_and_json_mode(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project), "pipelines": ["ingest", "nope"]})
    for args in (["list", "defs"], ["list", "defs", "--json"]):
        result = dg_project.dg(*args, check=False)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "attributes.pipelines = ['ingest', 'nope']" in output, args
        assert "pipeline(s) ['nope'] are not registered" in output, args
        assert "Fix: use one of the registered names" in output, args


def test_dg_commands_print_no_kedro_logging_setup_at_load(kedro_project, dg_project):
    project = kedro_project("hooked")
    dg_project.add_component("hooked", {"project_path": str(project)})
    result = dg_project.dg("check", "defs")
    assert not mentions_kedro_logging_setup(result.stdout + result.stderr)
    assert not (dg_project.root / "info.log").exists()
