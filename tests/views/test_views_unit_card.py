"""The Unit page's computations: a unit on a photo is shown exactly as the landing shows it."""

from __future__ import annotations

import torch
from torch import nn

import models
from viz.views import hierarchy as H
from viz.views import unit_card


def _tiny() -> models.LoadedModel:
    """Four conv + ReLU stages (tiers edges, contours, parts, objects by depth), pooled to two classes."""
    torch.manual_seed(0)
    stages = []
    for c_in, c_out in ((3, 4), (4, 6), (6, 8), (8, 2)):
        stages += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
    return models.from_module(nn.Sequential(*stages, nn.AdaptiveAvgPool2d(1), nn.Flatten()), name="tiny", input_size=24)


def test_the_unit_card_shows_a_unit_on_a_photo_as_the_landing_does():
    model, photo = _tiny(), torch.rand(3, 24, 24)
    found = H.choose_units(model, photo, per_tier=2, cache=False)
    views = H.unit_views(model, found, cache=False)
    assert len(views) == 6
    for (layer, channel), view in views.items():
        seen = unit_card.on_photo(model, photo, layer, channel)
        assert torch.equal(seen.projection, view.projection) and torch.equal(seen.heat, view.heat)
        assert seen.peak == float(found.maps[(layer, channel)].max())
