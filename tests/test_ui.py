"""The Dagster UI on the monorepo example, in a real browser: what a user sees after `dg dev`.

`dg dev` (webserver and daemon) runs on 127.0.0.1 on a free port over a copy of
examples/dagster_project (spaceflights, fleet_ops and company_ratings in one code location;
tests/example_location.py); headless Chromium from Debian's packages, driven by Playwright's
Python package (``executable_path``: no browser download), then

1. draws the global asset lineage with every group expanded: the Kedro groups and datasets;
2. opens the Launchpad of ``spaceflights__default``, whose default config lists the project's
   parameters, sets ``model_options.test_size`` under ``resources.kedro_spaceflights.config.params``,
   launches, waits for the run's success and reads ``metrics.json``, whose ``n_test`` follows the parameter;
3. on the run page, finds each step's ``Kedro ran ... node(s)`` event and Kedro's own
   ``Running node:`` lines in the step's stdout (compute logs);
4. opens the asset page of ``model_input_table`` with its Kedro metadata.

Dagster's "Join the Dagster community" dialog is switched off the two ways the UI reads it:
``$DAGSTER_HOME/.nux/nux.yaml`` (the server's "seen" flag) and the browser's ``communityNux``
localStorage key; the test checks that it never covers the page.

Screenshots (asset graph, run, asset page) go to ``$DAGSTER_KEDRO_SCREENSHOTS`` when set
(``make screenshots`` sets it to docs/images, which the docs show), else to the test's temp folder.
Needs ``chromium`` (``apt-get install chromium``; ``$DAGSTER_KEDRO_CHROMIUM`` names another binary)
and ``playwright`` (the ``test`` extra); missing either, the test skips, or fails under
``DAGSTER_KEDRO_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from conftest import BIN
from example_location import LOCATION, copy_example
from processes import free_port, needs, stop, wait_for

pytestmark = pytest.mark.ui

CHROMIUM = os.environ.get("DAGSTER_KEDRO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = "DAGSTER_KEDRO_SCREENSHOTS"
JOB = "spaceflights__default"
# the datasets of the example the graph must draw (raw inputs, persisted ones, fleet_ops' output)
DATASETS = ["companies", "reviews", "shuttles", "model_input_table", "regressor", "metrics", "engine_pricing"]
# the nodes of spaceflights' __default__ pipeline: each runs once in the job
NODES = [
    "preprocess_companies", "preprocess_shuttles", "compare_passenger_capacity", "rate_shuttles",
    "create_model_input_table", "summarise_shuttles",
    "data_science.split_data", "data_science.train_model", "data_science.evaluate_model",
]
COMMUNITY_DIALOG = "Join the Dagster community"
LOCATION_QUERY = (
    "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus"
    " locationOrLoadError { __typename ... on PythonError { message } } } } } }"
)
GROUPS_QUERY = "{ assetNodes { groupName } }"


def graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def location_loaded(base: str) -> bool:
    """The webserver answers and the code location finished loading (a load error fails the test)."""
    try:
        entries = graphql(base, LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
    except OSError:
        return False
    entry = next((e for e in entries if e["name"] == LOCATION), None)
    if entry is None or entry["loadStatus"] != "LOADED":
        return False
    loaded = entry["locationOrLoadError"] or {}
    assert loaded.get("__typename") == "RepositoryLocation", f"code location failed to load: {loaded}"
    return True


@pytest.fixture
def dg_dev(tmp_path):
    """`dg dev` over a copy of the example on a free port of 127.0.0.1: (base URL, dg project)."""
    needs(
        CHROMIUM is not None and os.access(CHROMIUM, os.X_OK),
        f"needs Chromium (found: {CHROMIUM}): apt-get install chromium, or set DAGSTER_KEDRO_CHROMIUM to its binary",
    )
    needs(importlib.util.find_spec("playwright") is not None, "needs playwright: pip install -e '.[test]'")
    project = copy_example(tmp_path / "examples")
    port = free_port()
    log = (tmp_path / "dg_dev.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "dg"), "dev", "--host", "127.0.0.1", "--port", str(port)],
        cwd=project.root,
        env=project.process_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # dg dev ignores SIGTERM from a non-interactive parent: stop its group
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for(lambda: server.poll() is None and location_loaded(base), 120, "dg dev and its code location")
        except TimeoutError:
            raise AssertionError(f"dg dev did not come up:\n{(tmp_path / 'dg_dev.log').read_text()[-4000:]}") from None
        yield base, project
    finally:
        stop(server, grace=5)  # nothing to keep: the webserver and daemon may be killed
        log.close()
        # shown by pytest when the test failed: what the webserver, daemon and code server said
        print(f"--- dg dev output (tail) ---\n{(tmp_path / 'dg_dev.log').read_text()[-6000:]}")


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get(SCREENSHOTS) or tmp_path / "screenshots").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_ui_shows_the_kedro_project_and_runs_it(dg_dev, screenshots):
    from playwright.sync_api import expect, sync_playwright

    base, project = dg_dev
    metrics = project.root.parent / "kedro_projects" / "spaceflights" / "data" / "08_reporting" / "metrics.json"
    assert not metrics.exists(), "the copy of the example holds an earlier run's output"
    groups = sorted({node["groupName"] for node in graphql(base, GROUPS_QUERY)["assetNodes"]})
    assert {"data_processing", "data_science"} <= set(groups), groups

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.add_init_script("window.localStorage.setItem('communityNux', '\"1\"')")
            page.set_default_timeout(30_000)
            # assertions wait as long as actions: on a loaded CI machine a page takes over the
            # default 5 s to draw (the asset page's metadata was seen to)
            expect.set_options(timeout=30_000)

            # 1. the asset graph: every group, expanded (⌥E), with the Kedro datasets in it
            page.goto(f"{base}/asset-groups")
            page.get_by_text(groups[0], exact=True).first.wait_for()
            page.keyboard.press("Alt+e")
            for name in [*groups, *DATASETS]:
                expect(page.locator("foreignObject").get_by_text(name, exact=True).first).to_be_visible()
            expect(page.get_by_text(COMMUNITY_DIALOG)).to_have_count(0)
            page.screenshot(path=screenshots / "asset-graph.png")

            # 2. the Launchpad: a Kedro parameter in the run config, launched, to success
            page.goto(f"{base}/locations/{LOCATION}/jobs/{JOB}/playground")
            editor = page.locator(".CodeMirror").first
            expect(editor).to_contain_text("kedro_spaceflights")  # the default config shows the resource
            expect(editor).to_contain_text("test_size: 0.2")  # with the project's parameters, typed
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(
                "resources:\n  kedro_spaceflights:\n    config:\n      params:\n"
                "        model_options:\n          test_size: 0.3\n"
            )
            expect(page.get_by_text("No errors")).to_be_visible()
            page.get_by_role("button", name="Launch Run").click()
            page.wait_for_url(re.compile(r".*/runs/[0-9a-f-]{36}"))
            status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
            expect(status).to_be_visible(timeout=150_000)
            assert status.inner_text() == "Success", f"the run ended {status.inner_text()}: {page.url}"
            # the default test_size 0.2 tests on 8 of the example's 37 rows; 0.3 on 12
            assert json.loads(metrics.read_text())["n_test"] == 12

            # 3. the run's events: one Kedro summary per step, naming its nodes
            log_filter = page.get_by_placeholder(re.compile("^Filter"))
            log_filter.fill("Kedro ran")
            log_filter.press("Enter")
            summaries = page.get_by_text(re.compile(r"^Kedro ran \d+ node\(s\) in "))
            expect(summaries.first).to_be_visible()
            text = "\n".join(summaries.all_inner_texts())
            assert all(re.search(rf"[:,] {re.escape(node)}[;,]", text) for node in NODES), text
            page.screenshot(path=screenshots / "run.png")
            # ... and Kedro's own records in the compute logs (one capture for the in-process steps)
            page.get_by_role("button", name="stdout").click()
            page.get_by_placeholder(re.compile("^Select a step")).click()
            page.get_by_text(re.compile(r"^pid: \d+ \(\d+ steps\)")).first.click()
            for node in ("preprocess_companies", "train_model"):
                expect(page.get_by_text(f"Running node: {node}").first).to_be_attached()

            # 4. an asset page: the Kedro metadata and the materialization of the run
            page.goto(f"{base}/assets/model_input_table")
            for shown in ("kedro/dataset_type", "pandas.ParquetDataset", "kedro/node", "create_model_input_table"):
                expect(page.get_by_text(shown, exact=True).first).to_be_visible()
            expect(page.get_by_text(COMMUNITY_DIALOG)).to_have_count(0)
            page.get_by_text("Metadata", exact=True).first.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.screenshot(path=screenshots / "asset-page.png")
        finally:
            browser.close()
