"""The Unit page's computations: a unit on a photo is shown as the landing shows it, and the key of shared
work over an image set changes exactly when the set's content does."""

from __future__ import annotations

import os

import pytest
import torch
from PIL import Image
from torch import nn

import models
from viz.core.images import ImageError
from viz.views import hierarchy as H
from viz.views import unit_card
from viz.views.unit_card import set_key


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


def test_a_folder_is_a_new_key_when_a_photo_is_added_or_changed_and_the_same_key_otherwise(tmp_path):
    Image.new("RGB", (8, 8), (200, 0, 0)).save(tmp_path / "a.png")
    first = set_key(str(tmp_path))
    assert set_key(str(tmp_path)) == first and set_key(None) != first  # None: the bundled gallery
    Image.new("RGB", (8, 8), (0, 200, 0)).save(tmp_path / "b.png")
    added = set_key(str(tmp_path))
    assert added != first
    os.utime(tmp_path / "b.png", ns=(1, 1))  # same name and size, another modification time: maybe new pixels
    assert set_key(str(tmp_path)) not in (first, added)


def test_an_uploaded_batch_is_keyed_by_its_values_and_a_bad_folder_is_refused(tmp_path):
    batch = torch.rand(2, 3, 16, 16)
    assert set_key(batch) == set_key(batch.clone()) != set_key(batch.flip(0))
    with pytest.raises(ImageError, match="not a folder"):
        set_key(str(tmp_path / "missing"))


def test_a_list_of_files_is_keyed_by_the_files(tmp_path):
    for name in ("a.png", "b.png"):
        Image.new("RGB", (8, 8), (200, 0, 0)).save(tmp_path / name)
    both = [tmp_path / "a.png", tmp_path / "b.png"]
    assert set_key(both) == set_key(list(both)) != set_key(both[:1])


def test_parts_and_objects_units_also_get_a_natural_render_drawn_with_its_transparency(monkeypatch):
    monkeypatch.setenv("VIZ_MAX_STEPS", "2")
    model = _tiny()
    tiers = {entry.tier: entry.name for entry in model.layers}
    edges = unit_card.unit_renders(model, tiers["edges"], 0, "fast")
    parts = unit_card.unit_renders(model, tiers["parts"], 0, "fast")
    assert len(edges) == 2 and len(parts) == 3
    natural = parts[unit_card.NATURAL_CAPTION]
    assert natural.shape == (3, 96, 96) and 0 <= natural.min() and natural.max() <= 1


def test_the_landing_accentuates_each_contour_and_part_unit_in_the_photo(monkeypatch):
    model, photo = _tiny(), torch.rand(3, 24, 24)
    found = H.choose_units(model, photo, per_tier=2, cache=False)
    for tier in H.ACCENT_TIERS:
        accents = H.tier_accents(model, found, tier, "fast", steps=2)
        assert [a.objective for a in accents] == [f"Channel({u.layer!r}, {u.channel})" for u in found.units[tier]]
        assert all(torch.equal(a.photo, found.image) for a in accents)
