"""Runtime params in layers: dotted keys nest and mappings merge exactly as Kedro's OmegaConf does."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from dagster_kedro.run_layers import nested_params


def omegaconf_nested(*sources):
    """What Kedro 1.7 does with ``--params`` (``OmegaConf.update(..., merge=True)`` per key)."""
    merged = OmegaConf.create({})
    for source in sources:
        for key, value in source.items():
            OmegaConf.update(merged, key, value, merge=True)
    return OmegaConf.to_container(merged)


CASES = {
    "flat": [{"a": 1, "b": "x"}],
    "dotted": [{"model.size": 3, "model.name": "rf"}],
    "dotted over a mapping": [{"model": {"size": 1, "depth": 2}}, {"model.size": 3}],
    "mapping merges into a mapping": [{"model": {"size": 1, "depth": 2}}, {"model": {"size": 5}}],
    "mapping replaces a scalar": [{"model": 1}, {"model": {"size": 5}}],
    "scalar replaces a mapping": [{"model": {"size": 1}}, {"model": 2}],
    "dotted replaces a scalar parent": [{"model": 1}, {"model.size": 5}],
    "lists are replaced": [{"cols": [1, 2, 3]}, {"cols": [4]}],
    "deep": [{"a.b.c.d": 1}, {"a": {"b": {"e": 2}}}, {"a.b.c.f": None}],
    "later layers win": [{"x": 1}, {}, {"x": 2}, {"x": 3}],
    "strings with interpolation stay text": [{"when": "${oc.env:HOME}"}],
}


@pytest.mark.parametrize("sources", list(CASES.values()), ids=list(CASES))
def test_nested_params_equal_kedros(sources):
    assert nested_params(*sources) == omegaconf_nested(*sources)


def test_nested_params_never_share_a_value_with_their_sources():
    source = {"model": {"layers": [1, 2]}}
    merged = nested_params(source)
    merged["model"]["layers"].append(3)
    assert source == {"model": {"layers": [1, 2]}}
