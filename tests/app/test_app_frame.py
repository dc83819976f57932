"""The app driven through app.py (so page switches are real): frame state, URL views, the landing, the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

WORDS = r"(edge|grating|colour|curve|corner|other|\w+-\w+ boundary)\b"  # a unit's probe name, viz.probing.words
UNEXPLAINED = "no simple stimulus explains it"  # viz.views.naming
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _captions(at: AppTest) -> list[str]:
    return [caption for element in at.image for caption in element.captions]


@pytest.mark.slow
def test_landing_from_a_link_shows_every_tier_and_the_choice_survives_a_page_switch():
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params["weights"] = "none"  # a link to the untrained network's landing
    at.run()
    assert not at.exception
    assert at.sidebar.radio(key="weights").value == "none"
    captions = _captions(at)
    renders = [c for c in captions if re.fullmatch(r"_blocks\.\d+ · unit \d+ · (edges|contours|parts)", c)]
    assert [c.rsplit(" · ", 1)[1] for c in renders] == ["edges"] * 3 + ["contours"] * 3 + ["parts"] * 3
    links = [link.label for link in at.get("page_link")]
    for layer in ("_blocks.1", "_blocks.4", "_blocks.7"):  # edges, contours, parts
        assert sum(label.startswith(f"open {layer} · unit ") for label in links) == 3
    assert captions.count("what in this photo drove it") == 9 and captions.count("where it fires") == 9
    accents = [c for c in captions if re.fullmatch(r"unit \d+, exaggerated in the photo: \S+ → \S+", c)]
    assert len(accents) == 6  # the contour and part units, accentuated in the photo
    # every unit named: by its probe stimulus with its support, or, when that is weak, by its images
    names = [m.value for m in at.markdown if re.fullmatch(rf"\*\*({WORDS}|{UNEXPLAINED}).*\*\*", m.value)]
    assert len(names) == 9
    assert sum("fires most on: " in n for n in names) == 3  # the parts tier: the classes of its top images
    assert captions.count("top photo patches") == 9  # from the gallery: every unit fires somewhere
    stimuli = [c for c in captions if c.startswith("best probe stimulus")]
    assert len(stimuli) + sum(n.startswith("**other") for n in names) == 9
    assert [c.endswith("too weak to name it") for c in stimuli] == [n.startswith(f"**{UNEXPLAINED}") for n in names
                                                                    if not n.startswith("**other")]
    assert "8 photos are few" in at.info[0].value and "python -m viz index" in at.info[0].value
    why = [c.value for c in at.caption if "Why this layer:" in c.value]
    assert len(why) == 3 and "no parts layer has more curve-tagged units" in why[2]  # untrained: the probe finds none
    built = [c.value for c in at.caption if c.value.startswith("built from ")]  # each contour and part unit's inputs
    assert built == ["built from `_blocks.1` (share of its excitation, on this photo):"] * 3 + [
        "built from `_blocks.4` (share of its excitation, on this photo):"] * 3
    shares = [c for c in captions if re.fullmatch(r"unit \d+ · \d+%", c)]
    assert 6 <= len(shares) <= 18
    # each input named in words, with its support
    assert len([c for c in at.caption if re.match(rf"({WORDS}|{UNEXPLAINED})", c.value)]) == len(shares)
    assert len(at.table[0].value["class"]) == 5  # the predicted classes
    assert "untrained" in " ".join(m.value for m in at.markdown)

    at.switch_page("ui/pages/image.py").run()
    assert not at.exception
    assert at.sidebar.radio(key="weights").value == "none"
    assert "random-init" in at.sidebar.caption[0].value


@pytest.mark.slow
def test_a_url_opens_the_unit_it_names():
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"layer": "_blocks.1", "unit": "5", "image": "coffee.png"})
    at.switch_page("ui/pages/unit.py").run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="layer").value == "_blocks.1" and at.number_input(key="unit").value == 5
    assert at.selectbox(key="image").value == "coffee.png"
    assert any("neuron: its 11x11-px field" in c for c in _captions(at))
    assert any("top-9" in c for c in _captions(at))
    assert any(c.startswith("accentuated: ") and "closeness" in c for c in _captions(at))
    named = next(m.value for m in at.markdown if m.value.startswith("Named by its evidence: **"))
    assert re.search(WORDS, named.split("**")[1])
    assert any(c.startswith("its best probe stimulus, drawn sharp over its 11x11-px field") for c in _captions(at)) \
        or "other" in named
    assert any(c.startswith("its top patches enlarged") for c in _captions(at))
    assert at.table[0].value.shape[0] == 5  # the statistics over the image set
    chain = " ".join(m.value for m in at.markdown)  # an edge unit feeds the contours; nothing is below it
    assert "Feeds into (`_blocks.4`" in chain and "Built from" not in chain


@pytest.mark.slow
def test_bad_url_values_show_a_message_and_fall_back():
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"layer": "_blocks.99", "unit": "100000", "image": "nope.png", "weights": "half"})
    at.switch_page("ui/pages/unit.py").run()
    assert not at.exception
    warned = " ".join(w.value for w in at.warning)
    for value in ("'_blocks.99'", "'100000'", "'nope.png'", "'half'"):
        assert value in warned
    assert at.sidebar.radio(key="weights").value == "default"
    assert at.number_input(key="unit").value == 0


def test_unit_page_shows_the_diversity_set_and_three_methods_on_request():
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"layer": "_blocks.1", "unit": "0"})
    at.switch_page("ui/pages/unit.py").run()
    at.toggle(key="unit_more").set_value(True).run()
    assert not at.exception
    captions = _captions(at)
    assert sum(c.startswith("diverse ") for c in captions) == 4
    assert {"plain gradient ascent", "Yosinski et al. 2015", "Lucid"} <= set(captions)
