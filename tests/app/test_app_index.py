"""The Unit card, the Top-9 page and the landing's patches read a dataset index chosen in the sidebar (or the
URL), say which image set they show, and fall back to the live gallery where the index does not cover the layer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support.helpers import make_photos

import models
from viz import Index
from viz.core.images import gallery_dir
from viz.jobs.index import build_index

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.fixture
def index_root(lite0, tmp_path, monkeypatch):
    photos = tmp_path / "photos"
    photos.mkdir()
    for photo in sorted(gallery_dir().iterdir())[:3]:
        (photos / photo.name).write_bytes(photo.read_bytes())
    root = tmp_path / "indexes"
    build_index(lite0, photos, root / "three", ["_blocks.4"], batch_size=3)
    monkeypatch.setenv("VIZ_INDEX_DIR", str(root))
    return root


def _captions(at: AppTest) -> list[str]:
    return [caption for element in at.image for caption in element.captions] + [c.value for c in at.caption]


@pytest.mark.slow
def test_the_unit_card_reads_the_index_the_url_names(index_root):
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"layer": "_blocks.4", "unit": "3", "index": "three"})
    at.switch_page("ui/pages/unit.py").run()
    assert not at.exception and not at.warning
    assert at.sidebar.selectbox(key="index").value == "three"
    texts = _captions(at)
    assert any(t.startswith("Image set: the dataset index 'three': the 3 images of") for t in texts), texts
    assert any(t.startswith("top-3 of 3 images") for t in texts), texts  # fewer images than k: all of them
    assert at.table[0].value.loc["images"].iloc[0] == 3
    assert "unit_set" not in [radio.key for radio in at.get("radio")]  # no live image-set choice


def test_an_uncovered_layer_falls_back_to_live_and_a_bad_index_name_warns(index_root):
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"index": "three"})
    at.switch_page("ui/pages/deconv.py").run()  # opens on _blocks.2: not in the index
    assert not at.exception
    assert "does not cover efficientnet_lite0" in at.info[0].value
    assert any(c.value.startswith("Image set: the bundled gallery") for c in at.caption)
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"index": "../../etc"})
    at.switch_page("ui/pages/deconv.py").run()
    assert not at.exception
    assert "'../../etc'" in at.warning[0].value and at.sidebar.selectbox(key="index").value == "none"


@pytest.mark.slow
def test_the_landing_takes_the_patches_of_a_layer_the_index_covers_from_it_and_the_others_from_the_gallery(
        tmp_path, monkeypatch):
    untrained = models.load("efficientnet_lite0", weights="none", device="cpu")
    root = tmp_path / "indexes"
    build_index(untrained, make_photos(tmp_path / "photos", 5), root / "random", ["_blocks.4"], batch_size=5)
    monkeypatch.setenv("VIZ_INDEX_DIR", str(root))
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"weights": "none", "index": "random"})  # the landing of the untrained network
    at.run()
    assert not at.exception and not at.warning
    # each unit's render caption, then its patches' caption, in page order (edges, contours, parts)
    shown = [c for element in at.image for c in element.captions
             if re.fullmatch(r"_blocks\.\d+ · unit \d+ · \w+", c) or c.startswith("top ")]
    pairs = [(render.split(" · ")[0], patches) for render, patches in zip(shown[::2], shown[1::2])]
    assert pairs == [("_blocks.1", "top photo patches")] * 3 + [("_blocks.4", "top patches · index 'random'")] * 3 + [
        ("_blocks.7", "top photo patches")] * 3
    (footer,) = [c.value for c in at.caption if c.value.startswith("Renders:")]
    sets = "for `_blocks.1`, `_blocks.7`: the bundled gallery; for `_blocks.4`: " + Index(root / "random").describe()
    assert sets in footer and "the 5 images of" in footer
