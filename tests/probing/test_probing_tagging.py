"""Probe tags on a hand-built network whose units are known exactly."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import models
import viz
from models.errors import UserError
from viz.core.receptive_field import Box
from viz.probing.tagging import ORIENTATIONS, TAGS, draw, draw_field, stimulus_bank
from viz.probing.words import describe

STEP = ORIENTATIONS[1] - ORIENTATIONS[0]


def _known_units() -> models.LoadedModel:
    """Conv 3x3 on grey-level edges: vertical, horizontal, 45-degree ('/'), a red sum, and a dead unit; then ReLU."""
    vertical = torch.tensor([[-1.0, 0, 1], [-1, 0, 1], [-1, 0, 1]])  # brighter to the right
    horizontal = torch.tensor([[1.0, 1, 1], [0, 0, 0], [-1, -1, -1]])  # brighter above
    diagonal = torch.tensor([[-1.0, -1, 0], [-1, 0, 1], [0, 1, 1]])  # zero along '/', brighter below-right
    conv = nn.Conv2d(3, 5, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
        for unit, kernel in enumerate((vertical, horizontal, diagonal)):
            conv.weight[unit] = kernel / 3  # the same on every colour channel
        conv.weight[3, 0] = 1.0  # sums the red channel over its 3x3 field
    return models.from_module(nn.Sequential(conv, nn.ReLU()), layers=["1"], input_size=48)


def _angle_gap(a: float, b: float) -> float:
    d = abs(a - b) % 180
    return min(d, 180 - d)


def test_known_filters_get_their_tags_and_orientations():
    found = viz.probe(_known_units(), "1", cache=False)
    vertical, horizontal, diagonal, red, dead = (found.unit(c) for c in range(5))
    assert vertical.tag == "edge" and _angle_gap(vertical.orientation, 90) <= STEP
    assert horizontal.tag == "edge" and _angle_gap(horizontal.orientation, 0) <= STEP
    assert diagonal.tag == "edge" and _angle_gap(diagonal.orientation, 45) <= STEP
    assert red.tag == "colour" and red.orientation is None
    assert red.best.params[0][0] == 1.0 and red.selectivity > 0  # full red everywhere beats every edge, if barely a broad grating
    assert dead.tag == "other" and dead.selectivity == 0.0
    assert vertical.best_image.shape == (3, 48, 48)
    shares = found.shares()
    assert set(shares) == set(TAGS) and shares == {"edge": 0.6, "colour": 0.2, "curve": 0.0, "other": 0.2}


def test_the_orientation_convention_is_the_angle_of_the_edge_line():
    bank = stimulus_bank()
    vertical = next(s for s in bank if s.family == "edge" and s.orientation == 90)
    image = draw([vertical], 8)[0, 0]
    assert torch.all(image[:, 0] == image[0, 0]) and image[0, 0] != image[0, -1]  # changes left to right only
    horizontal = next(s for s in bank if s.family == "edge" and s.orientation == 0)
    image = draw([horizontal], 8)[0, 0]
    assert torch.all(image[0, :] == image[0, 0]) and image[0, 0] != image[-1, 0]  # changes top to bottom only


def test_the_best_stimuli_are_ranked_and_drawn():
    found = viz.probe(_known_units(), ["1"], cache=False)["1"]
    images, stimuli = found.top(0, k=3)
    assert images.shape == (3, 3, 48, 48) and torch.equal(images[0], draw(stimuli[:1], 48)[0])
    values = found.responses[0, [found.bank.index(s) for s in stimuli]]
    assert torch.all(values[:-1] >= values[1:])


@pytest.mark.parametrize("channel", [5, -1, 1.0, True])
def test_a_channel_outside_the_layer_is_refused_with_the_valid_range(channel):
    found = viz.probe(_known_units(), "1", cache=False)
    for ask in (found.unit, found.top):
        with pytest.raises(UserError, match=r"channel .* out of range; layer '1' has channels 0-4"):
            ask(channel)


def test_known_units_are_named_in_words():
    found = viz.probe(_known_units(), "1", cache=False)
    words = [found.unit(c).words for c in range(5)]
    assert words[0] == "edge, 90° (vertical), dark-to-light"  # brighter to the right
    assert words[1] == "edge, 0° (horizontal), light-to-dark"  # brighter above, read top to bottom
    assert words[2] == "edge, 45° (diagonal /), dark-to-light"  # brighter below-right, read left to right
    assert words[3] == "colour: red"
    assert words[4].startswith("other")


def test_words_name_opponent_edges_gratings_curves_and_corners():
    bank = stimulus_bank()

    def first(family, *params):
        return next(s for s in bank if s.family == family and s.params[:len(params)] == params)

    blue_yellow = first("opponent", 90, 1, (0, 0, 1))  # blue on the left (light side, polarity 1)
    assert describe("edge", 90.0, blue_yellow) == "blue-yellow boundary, 90° (vertical), blue-to-yellow"
    assert describe("edge", 60.0, first("grating", 60, 8)) == "grating, 60° (diagonal /), period 8 px"
    assert describe("curve", None, first("curved edge", 8, 0, 1)) == \
        "curve, radius 8 px, bulging left, light inside"  # the disc's centre to the right
    assert describe("curve", None, first("corner", 90, -1)) == "corner opening up, dark inside"
    assert describe("edge", 135.0) == "edge, 135° (diagonal \\)"


def test_a_stimulus_drawn_at_display_size_averages_back_to_the_probes_pixels():
    size, box, scale = 48, Box(top=18, left=19, bottom=29, right=30), 9  # an 11-px field, drawn at 99 px
    bank = stimulus_bank()
    probe_pixels = draw(bank, size)[:, :, box.top:box.bottom, box.left:box.right]
    for stimulus, expected in zip(bank, probe_pixels):
        crisp = draw_field(stimulus, size, box, scale)
        assert crisp.shape == (3, 99, 99)
        if stimulus.family in ("grating", "flat"):  # smooth: each block's middle pixel is the probe's sample
            assert torch.allclose(crisp[:, scale // 2::scale, scale // 2::scale], expected, atol=1e-5), stimulus.name
            continue
        # a step edge: the area it covers in each pixel, against the probe's one-pixel linear ramp (they part
        # most at a corner's apex)
        averaged = torch.nn.functional.avg_pool2d(crisp[None], scale)[0]
        assert (averaged - expected).abs().max() < 0.3, stimulus.name
        assert (averaged - expected).abs().mean() < 0.02, stimulus.name
    assert torch.equal(draw_field(bank[0], size, box, 1), probe_pixels[0])  # at scale 1: the probe's pixels
