"""`python -m viz precompute` fills what the app reads first; run twice, the second run computes nothing."""

from __future__ import annotations

from viz.atlas import QUALITIES, atlas_units, default_layer, quality_settings, unit_pictures
from viz.cli import main


def test_precompute_fills_the_cache_once_and_the_app_reads_it(lite0, monkeypatch, capsys):
    monkeypatch.setitem(QUALITIES, "quick", {"size": 32, "steps": 2})  # the atlas part made cheap
    assert main(["precompute", "--device", "cpu"]) == 0
    first = capsys.readouterr().out
    assert f"atlas of {default_layer(lite0)}" in first and "top-9 sweep of _blocks.0: computed 1" in first
    assert "everything was cached" not in first

    assert main(["precompute", "--device", "cpu"]) == 0
    second = capsys.readouterr().out
    assert "precompute: 0 entries computed" in second and "computed 1" not in second

    steps = []  # what the Layer atlas page asks for is there: no step rendered
    units = atlas_units(lite0, [default_layer(lite0)])
    assert len(list(unit_pictures(lite0, units, quality_settings("quick"), progress=lambda *a: steps.append(a)))) \
        == len(units)
    assert steps == []
