"""The Unit page's key of shared work over an image set: it changes exactly when the set's content does."""

from __future__ import annotations

import os

import pytest
import torch
from PIL import Image

from viz.core.images import ImageError
from viz.views.unit_card import set_key


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
