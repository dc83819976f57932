"""`python -m viz precompute` fills what a class opens first (run twice, the second computes nothing), and the
guided tour then steps through the layers from that cache alone, the untrained network one click away."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from viz.actmax.settings import QUALITY, Quality
from viz.cli import main
from viz.core.images import gallery_dir

# a unit's name: its probe verdict (viz.probing.words), or, when that is too weak, viz.views.naming's
WORDS = r"<b>(edge|grating|colour|curve|corner|other|\w+-\w+ boundary|no simple stimulus explains it)\b"
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.mark.slow
def test_precompute_fills_the_cache_once_and_the_tour_runs_from_it(monkeypatch, capsys):
    monkeypatch.setitem(QUALITY, "fast", Quality("standard", steps=2, size=32))  # the renders made cheap
    one_photo = lambda folder: [gallery_dir() / "chelsea.png"]  # noqa: E731  (the gallery as one photo)
    monkeypatch.setattr("viz.jobs.precompute.image_files", one_photo)
    monkeypatch.setattr("viz.zf.topk.image_files", one_photo)  # the top-9 sweeps too
    assert main(["precompute", "--device", "cpu"]) == 0
    first = capsys.readouterr().out
    for task in ("top-9 sweep of _blocks.0", "landing and tour of chelsea.png (trained)",
                 "landing and tour of chelsea.png (untrained)", "atlas of _blocks.4",
                 "field renders of every unit of the landing's layers"):
        assert re.search(rf"{re.escape(task)}[^:]*: computed", first), task
    assert main(["precompute", "--device", "cpu"]) == 0
    second = capsys.readouterr().out
    assert "precompute: 0 entries computed" in second and ": computed" not in second

    # The tour from the cache alone: any render or unit choice computed now would fail the test.
    monkeypatch.setattr("viz.actmax.rendering._optimize_splitting", lambda *a, **k: pytest.fail("the tour rendered"))
    monkeypatch.setattr("viz.views.hierarchy.layer_scores", lambda *a, **k: pytest.fail("the tour chose units"))
    monkeypatch.setattr("viz.views.hierarchy.contributions", lambda *a, **k: pytest.fail("the tour measured inputs"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("ui/pages/tour.py").run()
    assert not at.exception
    assert at.header[0].value == "The photo" and len(at.get("image")) == 1
    at.button[1].click().run()  # Next: edges, three units named, with render, photo crop and map each
    assert at.header[0].value == "Edges" and 12 <= len(at.get("image")) <= 15  # + top patches
    # (every unit fires somewhere in the gallery) and a best stimulus unless the probe tags it "other"
    named = [m.value for m in at.markdown if "tour-text" in m.value and "_blocks.1 unit" in m.value]
    assert len(named) == 3 and all(re.search(WORDS, m) for m in named)
    at.button[1].click().run()  # contours: each unit with the edge units it is built from, pictures and shares
    assert at.header[0].value == "Corners and contours"
    built = [c.value for c in at.caption if c.value.startswith("built from `_blocks.1`")]
    shares = [c for image in at.image for c in image.captions if re.fullmatch(r"unit \d+ · \d+%", c)]
    assert len(built) == 3 and 3 <= len(shares) <= 9  # each input's picture, captioned with its share
    names = [c.value for c in at.caption if re.match(WORDS.removeprefix("<b>"), c.value)]
    assert len(names) == len(shares)  # and named in words
    for _ in range(2):
        at.button[1].click().run()
    assert at.header[0].value == "The class" and at.button[1].disabled
    assert "Egyptian cat" in " ".join(m.value for m in at.markdown)
    at.toggle(key="tour_untrained").set_value(True).run()  # the contrast, from the cache too
    assert not at.exception
    assert [s.value for s in at.subheader] == ["trained", "untrained (random weights)"] and len(at.table) == 2
    at.button[0].click().run()  # Back
    inputs = [c for image in at.image for c in image.captions if re.fullmatch(r"unit \d+ · \d+%", c)]
    assert at.header[0].value == "Object parts" and 24 <= len(at.get("image")) - len(inputs) <= 30
    assert 6 <= len(inputs) <= 18  # both networks' part units with the contour units they are built from

    # The landing's accentuated units too: from the cache alone.
    import models
    from viz.core.images import load_image
    from viz.views import hierarchy

    monkeypatch.setattr("viz.actmax.accentuation._optimize", lambda *a, **k: pytest.fail("the landing accentuated"))
    model = models.load(device="cpu")
    found = hierarchy.choose_units(model, load_image(gallery_dir() / "chelsea.png"))
    assert all(len(hierarchy.tier_accents(model, found, tier, "fast")) == 3 for tier in hierarchy.ACCENT_TIERS)
