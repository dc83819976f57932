"""The landing's computation: units per tier that matter for a photo, their views, the strip as a figure."""

from __future__ import annotations

import json
import re

import pytest
from support.helpers import make_photos, pdf_text, svg_text

import models
import viz
from viz.cli import main
from viz.jobs.index import build_index
from viz.probing.tagging import TAGS
from viz.probing.tiers import HIDDEN_TIERS
from viz.views import hierarchy as H
from viz.views.naming import SUPPORT, UNEXPLAINED

WORDS = r"(edge|grating|colour|curve|corner|other|\w+-\w+ boundary)\b"  # viz.probing.words

CAT = "assets/gallery/chelsea.png"


def test_the_cat_photo_gets_three_units_per_tier_and_its_class(lite0):
    found = H.choose_units(lite0, viz.load_image(CAT))
    assert found.predictions[0][0] == "Egyptian cat"
    assert list(found.units) == list(HIDDEN_TIERS) == ["edges", "contours", "parts"]
    for tier, units in found.units.items():
        assert len(units) == 3 and [u.score for u in units] == sorted((u.score for u in units), reverse=True)
        for u in units:
            amap = found.maps[(u.layer, u.channel)]
            assert amap[u.position] == amap.max()  # the strongest activation of its map
            assert 0 <= u.box.top < u.box.bottom <= lite0.input_size
    views = H.unit_views(lite0, found)
    view = views[(found.units["edges"][0].layer, found.units["edges"][0].channel)]
    assert view.projection.shape[1:] == (11, 11) and view.heat.shape == (3, 224, 224)
    by_activation = H.choose_units(lite0, viz.load_image(CAT), by="activation")
    assert by_activation.units["edges"][0].score > 0


@pytest.mark.slow
def test_cli_writes_the_strip_for_the_untrained_network(tmp_path, capsys):
    out = tmp_path / "strip.png"
    assert main(["hierarchy", CAT, "--weights", "none", "--steps", "1", "--device", "cpu", "--dpi", "40",
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 5000
    assert "units by contribution" in capsys.readouterr().out
    for kind, read in (("pdf", pdf_text), ("svg", svg_text)):  # the same strip from the caches, as text
        vector = tmp_path / f"strip.{kind}"
        assert main(["hierarchy", CAT, "--weights", "none", "--steps", "1", "--device", "cpu", "--out", str(vector)]) == 0
        lines = read(vector.read_bytes())
        for layer in ("_blocks.1", "_blocks.4", "_blocks.7"):  # every unit named by its probe in words
            named = [t for t in lines if re.match(rf"{re.escape(layer)} · \d+: ({WORDS}|{UNEXPLAINED})", t)]
            assert len(named) == 3, (kind, layer, lines)
    record = json.loads((tmp_path / "strip.png.json").read_text())  # F.json: the units shown, named, and their inputs
    tiers = {entry["tier"]: entry["units"] for entry in record["tiers"]}
    assert [entry["tier"] for entry in record["tiers"]] == ["edges", "contours", "parts"]
    for tier, below in (("contours", "edges"), ("parts", "contours")):
        for unit in tiers[tier]:
            assert unit["source"] == tiers[below][0]["layer"] and unit["tag"] in TAGS
            assert re.match(WORDS, unit["probe_words"])
            assert all(v > 0 for _, v in unit["inputs"]) and all(v < 0 for _, v in unit["inhibitory"])
            assert [v for _, v in unit["inputs"]] == sorted((v for _, v in unit["inputs"]), reverse=True)
    assert "inputs" not in tiers["edges"][0] and len(tiers["contours"][0]["inputs"]) >= 1
    # every unit carries its name's support; from the parts tier up the classes its top images get, counted
    for tier, units in tiers.items():
        for unit in units:
            assert isinstance(unit["support"], float) and unit["explained"] == (unit["support"] >= SUPPORT)
            assert unit["words"].startswith(unit["probe_words"] if unit["explained"] else "no simple stimulus")
            if tier == "parts":
                assert sum(n for _, n in unit["fires_on"]) == unit["examples"] == 8  # the gallery's 8 photos
                assert [n for _, n in unit["fires_on"]] == sorted((n for _, n in unit["fires_on"]), reverse=True)
            else:
                assert "fires_on" not in unit
    assert "no parts layer has more curve-tagged units" in record["tiers"][2]["reason"]  # untrained: none does
    assert {unit["patches"] for units in tiers.values() for unit in units} == {"the bundled gallery"}
    assert record["index"] is None

    # --index: the layers a dataset index covers take their patches from it (the rest of the strip is cached)
    untrained = models.load("efficientnet_lite0", weights="none", device="cpu")
    build_index(untrained, make_photos(tmp_path / "photos", 4), tmp_path / "idx", ["_blocks.4"], batch_size=4)
    index = viz.Index(tmp_path / "idx")
    capsys.readouterr()
    assert main(["hierarchy", CAT, "--weights", "none", "--steps", "1", "--device", "cpu", "--index",
                 str(tmp_path / "idx"), "--out", str(tmp_path / "indexed.svg")]) == 0
    assert "top patches of _blocks.4 from index 'idx'" in capsys.readouterr().out
    record = json.loads((tmp_path / "indexed.svg.json").read_text())
    assert record["index"] == {"folder": str(tmp_path / "idx"), "identity": index.header["identity"]}
    patches = {unit["layer"]: unit["patches"] for entry in record["tiers"] for unit in entry["units"]}
    assert patches == {"_blocks.1": "the bundled gallery", "_blocks.4": index.describe(),
                       "_blocks.7": "the bundled gallery"}
    footnote = f"top patches: _blocks.1, _blocks.7 from the bundled gallery; _blocks.4 from {index.describe()}"
    assert footnote in svg_text((tmp_path / "indexed.svg").read_bytes())

