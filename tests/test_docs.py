"""The docs stay true to the code: generated reference up to date, every attribute documented,
README's set-up commands present, and no relative link in the docs pointing nowhere."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "reference.md"
GENERATOR = REPO / "scripts" / "generate_reference.py"

SETUP_COMMANDS = [
    "python3 -m venv .venv && .venv/bin/pip install -e '.[demo]' && .venv/bin/python examples/run_demo.py",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest -n 2",
]


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_reference", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_is_up_to_date():
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_check_reports_a_stale_reference(tmp_path, monkeypatch, capsys):
    generator = _load_generator()
    stale = tmp_path / "reference.md"
    stale.write_text("# outdated\n")
    monkeypatch.setattr(generator, "OUTPUT", stale)
    assert generator.main(["--check"]) == 1
    assert "docs/reference.md is stale: run python scripts/generate_reference.py" in capsys.readouterr().err
    assert stale.read_text() == "# outdated\n"


def test_every_attribute_of_the_component_is_documented():
    from dagster_kedro import KedroProjectComponent

    text = REFERENCE.read_text()
    attributes = KedroProjectComponent.get_model_cls().model_fields
    assert attributes, "the component has no YAML attributes?"
    missing = [name for name in attributes if f"### `{name}`" not in text]
    assert not missing, f"attributes missing from docs/reference.md: {missing}"


def _fenced_blocks(markdown: str, language: str) -> list[str]:
    return [m.group(1) for m in re.finditer(rf"^```{language}\n(.*?)^```$", markdown, re.MULTILINE | re.DOTALL)]


@pytest.mark.parametrize("command", SETUP_COMMANDS, ids=["demo", "tests"])
def test_readme_gives_the_fresh_machine_command(command):
    blocks = [block.strip() for block in _fenced_blocks((REPO / "README.md").read_text(), "bash")]
    assert command in blocks, f"README.md has no ```bash block holding exactly:\n{command}"


def test_readme_quickstart_runs_what_the_kedro_first_test_runs():
    from test_kedro_first import KEDRO_NEW

    blocks = [block.strip() for block in _fenced_blocks((REPO / "README.md").read_text(), "bash")]
    kedro_first = f"kedro {' '.join(KEDRO_NEW)}\ncd my-kedro\nkedro dagster-kedro init\nkedro dagster-kedro dev"
    assert kedro_first in blocks, f"README.md has no ```bash block holding exactly:\n{kedro_first}"


def test_relative_links_in_docs_point_to_existing_files():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            if path and not (page.parent / path).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_failure_page_shows_the_bad_input_catalogue():
    from bad_inputs import markdown_table

    page = (REPO / "docs" / "failure-and-recovery.md").read_text()
    start, end = "<!-- bad-inputs:start -->\n", "<!-- bad-inputs:end -->"
    assert start in page and end in page, "docs/failure-and-recovery.md lost its bad-input markers"
    shown = page.split(start, 1)[1].split(end, 1)[0]
    assert shown == markdown_table(), "stale table: replace it with the output of `python tests/bad_inputs.py`"


TROUBLESHOOTING = REPO / "scripts" / "generate_troubleshooting.py"


def _build_site(config_file: Path, site_dir: Path) -> None:
    """mkdocs' own build, as `mkdocs build` runs it (strict: true in the config, so any
    warning, a broken link, a missing anchor or a page left out of the nav, aborts it)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    build(load_config(str(config_file), site_dir=str(site_dir)))


def test_the_docs_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="needs the docs extra: pip install -e '.[docs]'")
    _build_site(REPO / "mkdocs.yml", tmp_path / "site")
    pages = {p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("index.html")}
    expected = {"index.html"} | {f"{p.stem}/index.html" for p in (REPO / "docs").glob("*.md") if p.stem != "index"}
    assert expected <= pages, f"pages missing from the site: {sorted(expected - pages)}"
    # a link to a repository file outside docs/ is plain text on the site, not a broken link
    assert "run_demo.py</code> (see the README)" in (tmp_path / "site" / "index.html").read_text()


def test_a_link_out_of_docs_to_no_file_fails_the_build(tmp_path):
    pytest.importorskip("mkdocs", reason="needs the docs extra: pip install -e '.[docs]'")
    from mkdocs.exceptions import Abort

    (tmp_path / "docs").mkdir()
    (tmp_path / "script.py").write_text("")
    (tmp_path / "docs" / "index.md").write_text("# Home\n\nSee [the script](../script.py) and [gone](../gone.py).\n")
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: t\nstrict: true\nnav: [index.md]\nhooks: ['{REPO / 'scripts' / 'mkdocs_hooks.py'}']\n"
    )
    with pytest.raises(Abort):
        _build_site(tmp_path / "mkdocs.yml", tmp_path / "site")
    (tmp_path / "docs" / "index.md").write_text("# Home\n\nSee [the script](../script.py).\n")
    _build_site(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert "See the script." in (tmp_path / "site" / "index.html").read_text()


def test_troubleshooting_lists_every_message_of_the_code():
    result = subprocess.run(
        [sys.executable, str(TROUBLESHOOTING), "--check"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr + result.stdout
    spec = importlib.util.spec_from_file_location("generate_troubleshooting", TROUBLESHOOTING)
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # its dataclass looks its module up there
    try:
        spec.loader.exec_module(generator)
    finally:
        del sys.modules[spec.name]
    messages = generator.collect()
    page = (REPO / "docs" / "troubleshooting.md").read_text()
    assert len(messages) > 40, "the scan found almost no KedroComponentError: did the raise sites move?"
    missing = [f"{m.module}:{m.line}" for m in messages if m.problem not in page]
    assert not missing, f"messages missing from docs/troubleshooting.md: {missing}"
