"""The Unit card's chain rows: the landing's tier below ("built from") and above ("feeds into"), on the photo."""

import pytest

import viz
from viz.actmax.settings import QUALITY, Quality
from viz.circuits import circuit_on
from viz.core.images import fit_square
from viz.views import unit_card

CAT = "assets/gallery/chelsea.png"


def test_neighbours_are_the_landing_layers_below_and_above(lite0):
    # the landing's layers: _blocks.1, _blocks.4 and, chosen by the probe, _blocks.8 (viz.probing.tiers.choose_tiers)
    assert unit_card.neighbours(lite0, "_blocks.1") == (None, "_blocks.4")
    assert unit_card.neighbours(lite0, "_blocks.4") == ("_blocks.1", "_blocks.8")
    assert unit_card.neighbours(lite0, "_blocks.3") == ("_blocks.1", "_blocks.8")
    assert unit_card.neighbours(lite0, "_blocks.7") == ("_blocks.4", None)
    assert unit_card.neighbours(lite0, "_fc") == ("_blocks.8", None)


def test_a_contour_unit_is_built_from_edges_and_feeds_the_parts_it_contributes_to_most(lite0, monkeypatch):
    monkeypatch.setitem(QUALITY, "fast", Quality("standard", steps=2, size=32))
    image = viz.load_image(CAT)
    links = unit_card.connections(lite0, image, "_blocks.4", 5)
    assert links.built_from.source == "_blocks.1" and links.target == "_blocks.8"
    assert len(links.feeds_into) == 3 and [v for _, v, _ in links.feeds_into] == sorted(
        (v for _, v, _ in links.feeds_into), reverse=True)
    photo = fit_square(image, lite0.input_size).float()
    for target, value, share in links.feeds_into:  # each one checked against that unit's own circuit
        above = circuit_on(lite0, photo, "_blocks.8", target, "_blocks.4")
        assert float(above.contributions[5]) == pytest.approx(value, rel=1e-3, abs=1e-5)
        assert above.share(value) == pytest.approx(share, rel=1e-3)
    above = unit_card.feed_circuits(lite0, photo, "_blocks.4", "_blocks.8")
    assert [found.channel for found in above] == list(range(lite0.layer("_blocks.8").channels))
    assert max(above, key=lambda found: float(found.contributions[5])).channel == links.feeds_into[0][0]
    wanted = {("_blocks.1", c) for c, v in links.built_from.inputs if v > 0} | {("_blocks.8", t) for t, _, _ in links.feeds_into}
    assert set(links.pictures) == wanted
