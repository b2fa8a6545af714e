"""Every bad input of the catalogue (tests/bad_inputs.py) is one clear load error.

Each case loads a copy of the ``hooked`` fixture project with Dagster's component loader in this
process; the cases marked ``through_dg`` also go through every `dg` command a user runs, because
each of them loads definitions its own way (`dg list defs` inside an output capture). `dg list
defs` goes in its ``--json`` mode only: both modes load in the same output capture, and a load
error leaves the command there, before the mode matters (dagster_dg_cli's ``list_defs_command``;
tests/test_host_logging.py still takes one load error through both)."""

from __future__ import annotations

import re

import pytest

from bad_inputs import MISSPELT, PROJECT, BadInput
from conftest import error_text, loaded_in_process

# where dagster_kedro raises a user error to Dagster: the component's load, and its build
RAISED_TO_DAGSTER = [("attributes.py", "resolve_from_model"), ("component.py", "build_defs")]
DG_COMMANDS = [("check", "defs"), ("list", "defs", "--json"), ("launch", "--assets", "*")]


def prepare(case: BadInput, kedro_project) -> dict:
    project = kedro_project("hooked")
    if case.edit:
        relative, change = case.edit
        path = project / relative
        text = path.read_text()
        path.write_text(text.replace(*change) if isinstance(change, tuple) else text + change)
    return {"project_path": str(project), **(case.attributes or {})}


def assert_shown(case: BadInput, output: str) -> None:
    position = 0
    for fragment in case.shown:
        found = output.find(fragment, position)
        assert found >= 0, f"{fragment!r} not shown (after position {position}) in:\n{output[-4000:]}"
        position = found


@pytest.mark.parametrize("case", PROJECT, ids=[c.name for c in PROJECT])
def test_bad_input_is_one_clear_load_error(case, kedro_project):
    from dagster_kedro.errors import KedroComponentError

    attributes = prepare(case, kedro_project)
    with pytest.raises(Exception) as raised:
        with loaded_in_process(attributes):
            pass
    text = error_text(raised.value)
    assert "KedroComponentError" in text or any(isinstance(e, KedroComponentError) for e in _chain(raised.value))
    assert_shown(case, text)
    assert "Fix: " in text


@pytest.mark.parametrize("case", [c for c in PROJECT if c.through_dg], ids=[c.name for c in PROJECT if c.through_dg])
def test_bad_input_reaches_the_user_of_every_dg_command(case, kedro_project, dg_project):
    yaml_file = dg_project.add_component("hooked", prepare(case, kedro_project))
    for command in DG_COMMANDS:
        result = dg_project.dg(*command, check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0, command
        assert str(yaml_file) in output or "conf/base" in output, (command, output[-3000:])
        try:
            assert_shown(case, output)
            assert_quiet(case, output)
        except AssertionError as failure:
            raise AssertionError(f"dg {' '.join(command)}: {failure}") from None


def assert_quiet(case: BadInput, output: str) -> None:
    """The error once, no frame of dagster_kedro's code but the one that raises it to Dagster
    (Dagster hides that one too when dagster-kedro is installed in site-packages), no warning
    or logging setup line of Kedro's."""
    assert output.count(case.shown[0]) == 1, f"{case.shown[0]!r} shown {output.count(case.shown[0])} times in:\n{output}"
    frames = re.findall(r'File "[^"]*/dagster_kedro/([^"]*)", line \d+, in (\w+)', output)
    assert len(frames) <= 1 and set(frames) <= {*RAISED_TO_DAGSTER}, output
    for noise in ("register_new_resolver", "as logging configuration"):
        assert noise not in output, output


def _chain(error: BaseException | None):
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


@pytest.mark.parametrize("case", list(MISSPELT))
def test_a_misspelt_name_gets_the_closest_valid_one(case, kedro_project):
    attributes, shown = MISSPELT[case]
    with pytest.raises(Exception) as raised:
        with loaded_in_process({"project_path": str(kedro_project("hooked")), **attributes}):
            pass
    text = error_text(raised.value)
    assert shown in text, text
    if "Did you mean" not in shown:  # nothing close: no guess
        assert "Did you mean" not in text, text
