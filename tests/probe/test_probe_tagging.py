"""Probe tags on a hand-built network whose units are known exactly."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import models
import viz
from models.errors import UserError
from viz.probe.tagging import ORIENTATIONS, TAGS, draw, stimulus_bank

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
