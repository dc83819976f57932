"""Pages on one path: a rerun computes only what its change decides; a failed job leaves an error, no bar."""

from __future__ import annotations

import importlib
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NOT_AN_IMAGE = b"\x89PNG\r\n\x1a\n not really a png"


def _calls(monkeypatch, target: str) -> list:
    """Count the calls of `target` ("module.function", looked up at call time by the pages) from now on."""
    module_name, name = target.rsplit(".", 1)
    module = importlib.import_module(module_name)
    real, calls = getattr(module, name), []

    def counted(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_image_page_reads_each_layer_once_and_occludes_once_per_photo(monkeypatch):
    occluded = _calls(monkeypatch, "viz.occlusion")
    read = _calls(monkeypatch, "viz.views.image_view.strongest_maps")
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page("ui/pages/image.py").run()
    assert not at.exception and (len(read), len(occluded)) == (1, 1)
    first = at.selectbox(key="layer").value
    assert first != "_blocks.1"
    at.selectbox(key="layer").select("_blocks.1").run()
    assert not at.exception
    assert (len(read), len(occluded)) == (2, 1)  # the new layer is read; the occlusion does not depend on it
    at.selectbox(key="layer").select(first).run()
    at.run()
    assert (len(read), len(occluded)) == (2, 1)  # back to the first layer, and a plain rerun: shared results
    assert any(c.startswith("guided · unit ") for image in at.image for c in image.captions)
    at.selectbox(key="image").select("coffee.png").run()
    assert not at.exception and (len(read), len(occluded)) == (3, 2)  # a new photo: both again


def test_unit_page_keeps_its_pictures_panel_and_statistics_when_only_the_photo_changes(monkeypatch):
    calls = {name: _calls(monkeypatch, target) for name, target in [
        ("photo", "viz.views.unit_card.on_photo"), ("pictures", "viz.views.unit_card.unit_renders"),
        ("panel", "viz.zf.figures.unit_panel"), ("statistics", "viz.views.unit_card.statistics"),
        ("accent", "viz.views.unit_card.accentuated"),
    ]}
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params.update({"layer": "_blocks.1", "unit": "2"})
    at.switch_page("ui/pages/unit.py").run()
    assert not at.exception
    assert {name: len(made) for name, made in calls.items()} == {"photo": 1, "pictures": 1, "panel": 1, "statistics": 1,
                                                                 "accent": 1}
    at.run()
    at.selectbox(key="image").select("coffee.png").run()
    assert not at.exception
    assert {name: len(made) for name, made in calls.items()} == {"photo": 2, "pictures": 1, "panel": 1, "statistics": 1,
                                                                 "accent": 2}
    assert at.table[0].value.shape[0] == 5  # the statistics are still shown
    at.number_input(key="unit").set_value(3).run()
    assert {name: len(made) for name, made in calls.items()} == {"photo": 3, "pictures": 2, "panel": 2, "statistics": 2,
                                                                 "accent": 3}


def test_an_upload_that_is_not_an_image_is_named_and_the_page_goes_on():
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page("ui/pages/image.py").run()
    at.file_uploader(key="image_page_upload").upload("holiday.png", NOT_AN_IMAGE, "image/png").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "holiday.png is not a readable image; accepted: PNG, JPEG, GIF, BMP, TIFF, WebP, PPM/PGM"
    ]
    assert at.selectbox(key="image").value == "chelsea.png" and len(at.table) == 0  # nothing else computed on it


def test_unit_page_maps_the_photo_before_it_names_the_unit(monkeypatch):
    """Cheap parts first: the photo, its activation map and projection do not wait for the probe and the sweep."""
    order = []
    for name, target in (("on the photo", "on_photo"), ("named", "named")):
        module = importlib.import_module("viz.views.unit_card")
        real = getattr(module, target)
        monkeypatch.setattr(module, target, lambda *a, real=real, name=name, **k: order.append(name) or real(*a, **k))
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params.update({"layer": "_blocks.1", "unit": "2"})
    at.switch_page("ui/pages/unit.py").run()
    assert not at.exception
    assert order == ["on the photo", "named"]
    assert any(m.value.startswith("Named by its evidence: **") for m in at.markdown)  # then filled in, in its slot
    assert not [c for c in at.caption if c.value.startswith("naming the unit")]
