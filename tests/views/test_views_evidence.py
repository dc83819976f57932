"""A unit named and made legible: its words, its best stimulus over its field, its top real patches."""

from __future__ import annotations

import torch

import viz
from viz.core.figures import tile
from viz.core.images import fit_square, load_image
from viz.probe.tagging import draw_field
from viz.views import evidence as E

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
        assert shown.words == verdict.words and shown.tag == verdict.tag and shown.field == (11, 11)
        if verdict.tagged is None:
            assert shown.stimulus is None
            continue
        assert shown.stimulus.shape == (3, 99, 99)  # 9 display pixels per input pixel, >= DISPLAY
        # the probe's own stimulus where the unit looks (that it averages back to the probe's pixels is
        # tests/probe's check)
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
