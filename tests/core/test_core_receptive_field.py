"""Receptive fields from the structural gradient, against brute force and known architectures."""

from __future__ import annotations

import pytest
import torch
from support.deconv_nets import BranchNet
from support.helpers import count_hooks

import models
from models.errors import UserError
from viz.core.images import GREY
from viz.core.receptive_field import WHITE, Box, crop_field, field_map, receptive_field

SIZE = 21


def brute_force_boxes(net, layer_fn, size):
    """Raise each input pixel in turn; the pixels that change a unit span its field."""
    base = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 0.1
    bumped = base.repeat(size * size, 1, 1, 1)
    idx = torch.arange(size * size)
    bumped[idx, :, idx // size, idx % size] += 5.0
    with torch.no_grad():
        changed = (layer_fn(net, bumped) - layer_fn(net, base)).abs().amax(dim=1) > 1e-9  # (P, h, w)
    boxes = {}
    for y in range(changed.shape[1]):
        for x in range(changed.shape[2]):
            pixels = changed[:, y, x].nonzero().flatten()
            rows, cols = pixels // size, pixels % size
            boxes[(y, x)] = Box(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)
    return boxes


@pytest.mark.parametrize(
    "layer, layer_fn", [("pool", lambda n, x: n.pool(n.relu(n.stem(x)))), ("top", BranchNet.forward)]
)
def test_matches_brute_force_on_branched_net(layer, layer_fn):
    net = BranchNet()
    model = models.from_module(net, layers=[layer], input_size=SIZE)
    net.double()
    expected = brute_force_boxes(net, layer_fn, SIZE)
    fields = field_map(model, layer)
    assert {(y, x): fields.box(y, x) for (y, x) in expected} == expected
    assert len(set(expected.values())) > 4  # the boxes differ with position (the test could fail)
    assert count_hooks(net) == 0


def test_alexnet_conv1_geometry():
    """11x11 filters, stride 4, padding 2: unit y covers rows 4y-2 .. 4y+9, clipped to the image."""
    model = models.load("alexnet", weights="none")
    assert receptive_field(model, "features.1", (0, 0)) == Box(0, 0, 9, 9)
    assert receptive_field(model, "features.1", (3, 5)) == Box(10, 18, 21, 29)
    assert field_map(model, "features.1").size == (11, 11)
    assert receptive_field(model, "classifier.6", (0, 0)) == Box(0, 0, 224, 224)


class SplitNet(torch.nn.Module):
    """Splits its channels (like ShuffleNet): the one-channel stand-in fails, the fallback must measure it."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 4, 3)
        self.side = torch.nn.Conv2d(2, 2, 5, padding=2)
        with torch.no_grad():
            for conv in (self.stem, self.side):
                conv.weight.uniform_(0.1, 1.0)

    def forward(self, x):
        a, b = self.stem(x).chunk(2, dim=1)
        return torch.cat([self.side(a), b], dim=1)


def test_channel_splitting_net_falls_back_and_matches_brute_force():
    net = SplitNet()
    model = models.from_module(net, layers=["side"], input_size=SIZE)
    net.double()
    expected = brute_force_boxes(net, SplitNet.forward, SIZE)
    fields = field_map(model, "side")  # records the first call: the whole forward must run
    assert fields.box(5, 5) == expected[(5, 5)] == Box(3, 3, 10, 10)


def test_googlenet_early_layers():
    """conv1 7x7/2 pad 3, max-pool 3/2 (ceil), conv2 1x1: unit 3 sees conv1 units 6-8, i.e. rows 9-19.
    """
    model = models.load("googlenet", weights="none")
    fields = field_map(model, "conv2", input_size=64)
    assert fields.box(3, 3) == Box(9, 9, 20, 20) and fields.size == (11, 11)


def test_position_outside_the_map():
    model = models.from_module(BranchNet(), layers=["top"], input_size=SIZE)
    with pytest.raises(UserError, match="outside the 6x6 map"):
        receptive_field(model, "top", (6, 0))


def test_a_field_cut_by_the_border_keeps_its_shape_with_grey_outside_the_photo():
    out = crop_field(torch.ones(3, 20, 20), Box(0, 0, 5, 8), (8, 8), GREY)  # 3 rows of the field lie above the photo
    assert out.shape == (3, 8, 8)
    assert torch.all(out[:, :3] == GREY) and torch.all(out[:, 3:] == 1.0)
    inside = crop_field(torch.zeros(3, 20, 20), Box(4, 6, 12, 14), (8, 8))  # a field the photo holds whole
    assert torch.equal(inside, torch.zeros(3, 8, 8))
    left_cut = crop_field(torch.zeros(3, 20, 20), Box(4, 0, 12, 5), (8, 8))  # 3 columns lie left of the photo
    assert torch.all(left_cut[:, :, :3] == WHITE) and torch.all(left_cut[:, :, 3:] == 0)
