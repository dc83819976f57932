"""The landing's chain: each contour unit measured against the edge tier, each part unit against the contours,
on the photo, batched per tier; equal to `viz.circuits.circuit_on` one unit at a time; and cached."""

import pytest

import viz
from viz.circuits import circuit_on
from viz.views import hierarchy as H

CAT = "assets/gallery/chelsea.png"


def test_each_upper_tier_unit_is_built_from_the_tier_below(lite0):
    found = H.choose_units(lite0, viz.load_image(CAT))
    circuits = H.tier_circuits(lite0, found)
    upper = [u for tier in ("contours", "parts") for u in found.units[tier]]
    assert sorted(circuits) == sorted((u.layer, u.channel) for u in upper)
    for tier, below in (("contours", "edges"), ("parts", "contours")):
        for unit in found.units[tier]:
            batched = circuits[(unit.layer, unit.channel)]
            alone = circuit_on(lite0, found.image, unit.layer, unit.channel, batched.source, position=unit.position)
            assert batched.source == found.units[below][0].layer and batched.position == unit.position
            assert batched.contributions.tolist() == pytest.approx(alone.contributions.tolist(), rel=1e-3, abs=1e-4)
            assert batched.inputs[0][1] > 0 and len([v for _, v in batched.inputs if v > 0]) == 3
    again = H.tier_circuits(lite0, found)  # from the disk cache
    assert {k: c.inputs for k, c in again.items()} == {k: c.inputs for k, c in circuits.items()}
