"""The app's logic through Streamlit's AppTest: it loads the embedded model and names what it sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _classes(at: AppTest) -> list[str]:
    return list(at.table[0].value["class"])


@pytest.mark.slow
def test_image_page_classifies_the_default_photo_and_follows_the_selection():
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page("ui/pages/image.py").run()
    assert not at.exception
    assert "efficientnet_lite0" in at.sidebar.caption[0].value
    assert _classes(at)[0] == "Egyptian cat"
    at.selectbox(key="image").select("coffee.png").run()
    assert not at.exception
    assert _classes(at)[0] == "espresso"


PAGES = Path(APP).parent / "ui" / "pages"


def test_occlusion_page_reports_the_drop_and_draws_the_maps():
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page(str(PAGES / "occlusion.py")).run()
    assert not at.exception
    summary = next(m.value for m in at.markdown if "on the whole photo" in m.value)
    assert summary.startswith("**Egyptian cat**")
    clean, worst = (float(v) for v in summary.replace(",", "").split() if v.replace(".", "").isdigit())
    assert worst < clean
    assert len(at.get("image")) == 1 and len(at.get("download_button")) == 3


def test_filters_page_shows_trained_beside_untrained():
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page(str(PAGES / "filters.py")).run()
    assert not at.exception
    assert len(at.get("image")) == 1 and len(at.get("download_button")) == 3


def test_render_page_renders_on_request_with_a_progress_bar_and_downloads():
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page(str(PAGES / "render.py")).run()
    assert not at.exception and len(at.get("image")) == 0  # nothing is computed before the button
    at.selectbox(key="render_layer").select_index(3)
    at.slider(key="render_count").set_value(2)
    at.select_slider(key="render_size").set_value(64)
    at.select_slider(key="render_steps").set_value(32)
    at.button[0].click().run()
    assert not at.exception
    assert len(at.get("image")) == 1 and len(at.get("download_button")) == 3


@pytest.mark.slow
def test_invariance_page_draws_the_three_curves_and_follows_the_transformation():
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("ui/pages/invariance.py").run()
    assert not at.exception
    summary = next(m.value for m in at.markdown if "over the range" in m.value)
    assert summary.startswith("**Egyptian cat**")
    assert len(at.get("image")) == 1 and len(at.get("download_button")) == 3
    at.radio(key="inv_kind").set_value("translate").run()
    assert not at.exception and len(at.get("image")) == 1


def test_layer_atlas_page_fills_a_grid_from_the_cache_the_atlas_command_wrote(tmp_path, monkeypatch):
    from viz.actmax.settings import QUALITY, Quality
    from viz.cli import main

    monkeypatch.setitem(QUALITY, "fast", Quality("standard", steps=4, size=32))  # the default quality, made cheap
    assert main(["atlas", "--layer", "_blocks.0", "--device", "cpu", "--out", str(tmp_path)]) == 0
    monkeypatch.setattr("viz.actmax.per_unit.render", lambda *a, **k: pytest.fail("the page rendered a cached unit"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["layer"] = "_blocks.0"  # 16 units, all in the cache the command filled
    at.switch_page("ui/pages/atlas.py").run()
    assert not at.exception
    assert len(at.get("image")) == 16
    links = [link.proto for link in at.get("page_link")]
    assert len(links) == 16 and "unit 3" in links[3].label  # each unit opens its evidence card
