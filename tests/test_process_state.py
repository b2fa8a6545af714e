"""The process's one home of state: a location loaded again reuses its build; any change rebuilds."""

from __future__ import annotations

import warnings

import yaml
from dagster.components.testing import create_defs_folder_sandbox

from dagster_kedro import KedroProjectComponent


def test_a_second_load_reuses_the_build_and_a_changed_yaml_or_project_rebuilds(kedro_project, monkeypatch):
    project = kedro_project("hooked")
    specs_made = []
    original = KedroProjectComponent.get_asset_spec
    monkeypatch.setattr(
        KedroProjectComponent, "get_asset_spec", lambda self, *args: specs_made.append(1) or original(self, *args)
    )
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "hooked"
        folder.mkdir()

        def load(attributes):
            """Dagster's loader on a defs.yaml; returns how many specs this load made and the keys."""
            (folder / "defs.yaml").write_text(
                yaml.safe_dump({"type": "dagster_kedro.KedroProjectComponent", "attributes": attributes})
            )
            before = len(specs_made)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # no state here: the live-read warning is test_state's
                with sandbox.load_component_and_build_defs(defs_path=folder) as (_component, defs):
                    keys = {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()}
            return len(specs_made) - before, keys

        plain = {"project_path": str(project)}
        built, keys = load(plain)
        assert built > 0 and "doubled" in keys
        assert load(plain) == (0, keys)  # the same YAML and project: the first build again

        built, prefixed = load({**plain, "key_prefix": ["hooked"]})
        assert built > 0 and "hooked/doubled" in prefixed
        assert load(plain) == (0, keys)  # each build is kept (a few per process)

        parameters = project / "conf" / "base" / "parameters.yml"
        parameters.write_text(parameters.read_text() + "\nadded_later: 1\n")  # a new project version
        built, _ = load(plain)
        assert built > 0
