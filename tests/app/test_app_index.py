"""The Unit card and the Top-9 page read a dataset index chosen in the sidebar (or the URL), say which image
set they show, and fall back to the live gallery where the index does not cover the layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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
