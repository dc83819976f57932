"""Renders cached one unit at a time: a unit's picture does not depend on its batch, so any batch fills the
entries any later one reads; field renders too, so a landing finds the units a whole-layer batch drew."""

from __future__ import annotations


import pytest
import torch

import viz
from viz.actmax import quality_settings
from viz.actmax.per_unit import unit_images, unit_pictures
from viz.actmax.settings import resolve
from viz.jobs.atlas import atlas_units

LAYER = "_blocks.3"


def test_a_units_picture_does_not_depend_on_its_batch_mates_or_their_order(lite0):
    together = viz.render(lite0, [(LAYER, c) for c in range(4)], size=32, steps=8, cache=False).images
    apart = viz.render(lite0, [(LAYER, 3), (LAYER, 1)], size=32, steps=8, cache=False).images
    alone = viz.render(lite0, [(LAYER, 2)], size=32, steps=8, cache=False).images
    # measured on this CPU: bitwise equal; the bound allows float noise of other batch-size kernels
    assert torch.allclose(together[3], apart[0], atol=1e-5) and torch.allclose(together[1], apart[1], atol=1e-5)
    assert torch.allclose(together[2], alone[0], atol=1e-5)
    assert (together[0] - together[1]).abs().max() > 0.05  # different units still get different pictures


def test_unit_pictures_come_from_the_per_unit_cache_the_second_time(lite0):
    settings = resolve(size=32, steps=4)
    units = atlas_units(lite0, [LAYER], range(3))
    first = list(unit_pictures(lite0, units, settings, batch=2))
    steps_seen = []
    again = list(unit_pictures(lite0, units[::-1], settings, progress=lambda d, t: steps_seen.append(d)))
    assert steps_seen == []  # nothing rendered
    assert [(p.layer, p.channel) for p in again] == units[::-1]
    assert all(torch.equal(a.image, b.image) for a, b in zip(first, again[::-1]))


def test_a_field_render_drawn_with_its_whole_layer_is_the_one_drawn_alone_and_is_read_back(lite0, monkeypatch):
    settings = quality_settings("fast", field=True, steps=4, size=32)
    layer = "_blocks.1"
    batch = [(layer, c) for c in range(6)]
    drawn = list(unit_pictures(lite0, batch, settings, batch=6))
    alone = viz.render(lite0, [(layer, 4)], settings=settings, cache=False).images[0]
    assert torch.allclose(drawn[4].image, alone, atol=1e-5)  # measured: bitwise equal on this CPU
    monkeypatch.setattr("viz.actmax.rendering._optimize_splitting", lambda *a, **k: pytest.fail("rendered again"))
    again = unit_images(lite0, [(layer, 4), (layer, 1)], settings)  # another batch, read from the per-unit cache
    assert torch.equal(again[0], drawn[4].image) and torch.equal(again[1], drawn[1].image)
