"""A unit named and made legible: its words, its best stimulus over its field, its top real patches (from the
gallery, or from a dataset index where one covers the layer)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import torch
from support.helpers import make_photos

import models
import viz
from viz.core.figures import tile
from viz.core.images import fit_square, load_image, to_pil
from viz.jobs.index import build_index
from viz.probing.tagging import draw_field
from viz.views import evidence as E
from viz.views import naming

LAYER = "_blocks.1"  # Lite0's edges tier: an 11-px field


def test_an_edge_unit_is_named_by_its_probe_with_its_stimulus_sharp_over_its_field(lite0):
    found = E.evidence(lite0, [(LAYER, c) for c in range(4)])
    verdicts = viz.probe(lite0, LAYER)
    box = E.centre_box(lite0, LAYER)
    height, width = viz.activations(lite0, torch.zeros(1, 3, 224, 224), LAYER)[LAYER].shape[2:]
    assert box == viz.receptive_field(lite0, LAYER, (height // 2, width // 2))  # the unit the probe reads
    assert (box.height, box.width) == (11, 11)
    for c in range(4):
        shown, verdict = found[(LAYER, c)], verdicts.unit(c)
        assert shown.probe_words == verdict.words and shown.tag == verdict.tag and shown.field == (11, 11)
        assert shown.words == naming.in_words(verdict.words, shown.support, None, shown.examples)  # with its support
        if verdict.tagged is None:
            assert shown.stimulus is None
            continue
        assert shown.stimulus.shape == (3, 99, 99)  # 9 display pixels per input pixel, >= DISPLAY
        # the probe's own stimulus where the unit looks (that it averages back to the probe's pixels is
        # tests/probing's check)
        assert torch.equal(shown.stimulus, draw_field(verdict.tagged, lite0.input_size, box, 9))


def test_top_patches_are_top_examples_field_crops_enlarged(lite0):
    channels = [0, 7]
    found = E.evidence(lite0, [(LAYER, c) for c in channels])
    sweep = viz.top_examples(lite0, None, LAYER, k=E.PATCHES, per_image=True)
    for c in channels:
        examples = sweep.examples(c)
        crops = []
        for e in examples:  # cut independently: the photo as the network saw it, at the example's field
            photo = fit_square(load_image(e.source), lite0.input_size)
            crop = torch.full((3, 11, 11), 0.5)
            patch = photo[:, e.box.top:e.box.bottom, e.box.left:e.box.right]
            top = 11 - e.box.height if e.box.top == 0 else 0
            left = 11 - e.box.width if e.box.left == 0 else 0
            crop[:, top:top + e.box.height, left:left + e.box.width] = patch
            crops.append(crop)
        assert torch.allclose(E.top_patches(lite0, sweep, c), torch.stack(crops))
        enlarged = torch.stack(crops).repeat_interleave(9, dim=2).repeat_interleave(9, dim=3)
        assert torch.allclose(found[(LAYER, c)].patches, tile(enlarged, 3, pad=4))


def _panel(model, found, channel):
    """A unit's patch panel cut afresh from `found`: its top crops, enlarged, tiled as on the landing."""
    crops = E.top_patches(model, found, channel)
    scale = E.display_scale(tuple(crops.shape[2:]))
    return tile(E.enlarge(crops, scale), E.PATCH_COLUMNS, pad=max(1, scale // 2))


def test_a_layer_an_index_covers_takes_its_patches_from_the_index_without_a_sweep(tmp_path, monkeypatch):
    untrained = models.load("efficientnet_lite0", weights="none", device="cpu")
    photos = make_photos(tmp_path / "photos", 5)
    build_index(untrained, photos, tmp_path / "index", ["_blocks.4"], k=4, batch_size=5)
    index = viz.Index(tmp_path / "index")
    swept = []

    def counted(model, images, layer, **options):
        swept.append(layer)
        return viz.top_examples(model, images, layer, **options)

    monkeypatch.setattr(E, "top_examples", counted)
    # the probe names the units (the tests above); here it would cost half a minute and no patch depends on it
    verdict = SimpleNamespace(words="other", tag="other", orientation=None, tagged=None, response=None)
    monkeypatch.setattr(E, "probe", lambda model, layers, cache=True: {
        layer: SimpleNamespace(unit=lambda channel: verdict) for layer in layers})
    units = [("_blocks.1", 0), ("_blocks.4", 3), ("_blocks.4", 7)]
    found = E.evidence(untrained, units, index=index)
    assert swept == ["_blocks.1"]  # the layer the index does not hold is swept over the gallery, once
    gallery = viz.top_examples(untrained, None, "_blocks.1", k=E.PATCHES, per_image=True)
    assert torch.equal(found[("_blocks.1", 0)].patches, _panel(untrained, gallery, 0))
    assert found[("_blocks.1", 0)].image_set == E.GALLERY
    indexed = index.top_examples("_blocks.4")
    for channel in (3, 7):
        shown = found[("_blocks.4", channel)]
        assert shown.image_set == index.describe() and "the 5 images of" in shown.image_set
        assert {Path(e.source).parent.parent for e in indexed.examples(channel)} <= {photos, photos.parent}
        assert len(indexed.examples(channel)) == 4  # the index's k, fewer than a panel's 9
        assert torch.equal(shown.patches, _panel(untrained, indexed, channel))

    # the cached patches are keyed by the files' size and modification time: a photo rewritten under the same
    # name is cut again, not served from the cache
    first = Path(indexed.examples(3)[0].source)
    to_pil(1 - load_image(first)).save(first)
    os.utime(first, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns + 10**9))
    again = E.evidence(untrained, units[1:], index=index)[("_blocks.4", 3)]  # the same key but for the file
    assert torch.equal(again.patches, _panel(untrained, indexed, 3))
    assert not torch.equal(again.patches, found[("_blocks.4", 3)].patches)
    assert swept == ["_blocks.1"]
