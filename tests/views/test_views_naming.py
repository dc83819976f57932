"""A unit's name is only as strong as its evidence: its support, the classes of its images, the tier's layer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import models
import viz
from viz.core.images import fit_square, gallery_dir, image_files, load_image, to_pil
from viz.jobs.index import build_index
from viz.probing.tagging import draw
from viz.views import evidence as E
from viz.views import naming as N

WEAK = ("_blocks.7", 21)  # its best stimulus drives it about an eighth as much as its best gallery patch


def test_a_unit_whose_best_stimulus_is_weak_is_not_named_after_it(lite0):
    layer, channel = WEAK
    shown = E.evidence(lite0, [WEAK])[WEAK]
    verdict = viz.probe(lite0, layer).unit(channel)
    # support computed independently: the named stimulus through the network, read at the map's centre, over the
    # unit's strongest activation anywhere on the gallery's photos
    stimulus = draw([verdict.tagged], lite0.input_size)
    amap = viz.activations(lite0, stimulus, layer)[layer][0, channel]
    response = float(amap[amap.shape[0] // 2, amap.shape[1] // 2])
    photos = torch.stack([fit_square(load_image(p), lite0.input_size) for p in image_files(gallery_dir())])
    strongest = float(viz.activations(lite0, photos, layer)[layer][:, channel].max())
    assert abs(verdict.response - response) < 1e-3 * max(1.0, abs(response))
    assert abs(shown.support - response / strongest) < 1e-3
    assert shown.support < N.SUPPORT and not shown.explained
    assert shown.words.startswith(N.UNEXPLAINED) and not shown.words.startswith(shown.probe_words)
    assert shown.probe_words == verdict.words and f"only {N.percent(shown.support)}" in shown.words
    # a parts-tier unit is named by its images: the classes the network predicts for its top photos
    predicted = {str(p): viz.classify(lite0, fit_square(load_image(p), lite0.input_size)[None], top=1)[0][0][0]
                 for p in image_files(gallery_dir())}
    examples = viz.top_examples(lite0, None, layer, k=E.PATCHES, per_image=True).examples(channel)
    assert sum(n for _, n in shown.fires_on) == shown.examples == len(examples) == len(predicted)
    assert dict(shown.fires_on) == Counter(predicted[e.source] for e in examples)
    assert "fires most on: " in shown.words and f"of its top {len(examples)}" in shown.words


def test_a_well_supported_name_says_its_support_and_a_weak_one_names_the_images():
    assert N.in_words("edge, 90° (vertical), dark-to-light", 0.84, None, 9) == \
        "edge, 90° (vertical), dark-to-light (drives it 84% as much as its best photo patch)"
    assert N.in_words("colour: orange", 0.749, [("espresso", 5), ("cup", 2)], 9) == (
        "no simple stimulus explains it (its best stimulus, colour: orange, drives it only 74% as much as its best "
        "photo patch): fires most on: espresso 5, cup 2 of its top 9")
    assert N.in_words("curve, radius 8 px", 0.5, None, 9).endswith(": see its top photo patches")
    assert N.in_words("grating", None, None, 0) == "grating"  # no photo drives it: nothing to compare with
    labels = [(f"class {i}", 1) for i in range(8)]
    assert N.counts(labels, 8) == "class 0 1, class 1 1, class 2 1 (and 5 other classes, 1 photo each) of its top 8"
    assert N.explained(N.SUPPORT) and not N.explained(N.SUPPORT - 1e-6) and N.explained(None)
    assert N.percent(0.7499999) == "74%"  # never printed at the threshold while below it
    # the short form, for a "built from" input and the exported strip
    assert N.short_words("grating, 90° (vertical), period 4 px", 0.84) == "grating, 90° (vertical), period 4 px · 84%"
    assert N.short_words("colour: orange", 0.45) == "no simple stimulus explains it (best: colour: orange, 45%)"


def test_an_imagefolder_index_names_units_by_its_folders(tmp_path):
    root = tmp_path / "photos"
    sources = [str(root / c / f"{i}.png") for c in ("cat", "cup") for i in range(3)]
    assert N.folder_labels(sources, root) == {s: Path(s).parent.name for s in sources}
    assert N.folder_labels(sources + [str(root / "loose.png")], root) is None  # not every image in a class folder
    assert N.folder_labels([s for s in sources if "/cat/" in s], root) is None  # one folder is no labelling
    assert N.folder_labels(sources, None) is None
    found = SimpleNamespace(examples=lambda c: [SimpleNamespace(source=s) for s in sources[1:]])
    assert N.fires_on(found, 0, N.folder_labels(sources, root), 9) == [("cup", 3), ("cat", 2)]


def test_an_index_over_class_folders_names_a_parts_unit_by_those_folders(tmp_path, monkeypatch):
    untrained = models.load("efficientnet_lite0", weights="none", device="cpu")
    root, generator = tmp_path / "photos", torch.Generator().manual_seed(0)
    for label in ("cats", "cups"):  # ImageFolder layout: one sub-folder per class
        (root / label).mkdir(parents=True)
        for i in range(3):
            to_pil(torch.rand(3, 40, 48, generator=generator)).save(root / label / f"{i}.png")
    build_index(untrained, root, tmp_path / "index", ["_blocks.7"], batch_size=6)
    index = viz.Index(tmp_path / "index")
    # the probe names the units (tests above); here it would cost half a minute and no label depends on it
    verdict = SimpleNamespace(words="other", tag="other", orientation=None, tagged=None, response=None)
    monkeypatch.setattr(E, "probe", lambda model, layers, cache=True: {
        layer: SimpleNamespace(unit=lambda channel: verdict) for layer in layers})
    monkeypatch.setattr(N, "predicted_labels", lambda *a, **k: pytest.fail("the folders name the images"))
    found = E.evidence(untrained, [("_blocks.7", 0), ("_blocks.7", 5)], index=index)
    for channel in (0, 5):
        shown = found[("_blocks.7", channel)]
        expected = Counter(Path(e.source).parent.name for e in index.top_examples("_blocks.7").examples(channel))
        assert dict(shown.fires_on) == expected and shown.examples == sum(expected.values()) == 6
        assert f"fires most on: {shown.fires_on[0][0]} {shown.fires_on[0][1]}" in shown.words
