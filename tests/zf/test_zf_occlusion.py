"""Occlusion maps on a hand-built classifier: a known answer, a naive loop, captum."""

from __future__ import annotations

import pytest
import torch
from captum.attr import Occlusion
from torch import nn

import models
from models.errors import UserError
from viz.core.images import GREY
from viz.zf.occlusion_maps import occlusion


class RedCornerNet(nn.Module):
    """Class 0 = "red in the top-left quadrant": logit 10 x mean of relu(red - 0.5) there; class 1 = 0."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[0, 0] = 1.0
            self.conv.bias.copy_(torch.tensor([-0.5, 0.0]))
        self.relu = nn.ReLU()

    def forward(self, x):
        red = self.relu(self.conv(x))[:, 0, :8, :8].mean(dim=(1, 2))
        return torch.stack([10 * red, torch.zeros_like(red)], dim=1)


@pytest.fixture(scope="module")
def net_and_image():
    net = RedCornerNet()
    model = models.from_module(net, layers=["conv", "relu"], input_size=16)
    image = torch.full((3, 16, 16), GREY)
    image[:, :8, :8] = torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1)
    return model, image


def test_occluding_the_object_lowers_its_class_only_there(net_and_image):
    model, image = net_and_image
    maps = occlusion(model, image, window=4, stride=4)
    assert maps.target == 0 and maps.probability.shape == (4, 4)
    clean = maps.clean_probability
    assert clean == pytest.approx(torch.sigmoid(torch.tensor(5.0)).item())
    covering = torch.zeros(4, 4, dtype=torch.bool)
    covering[:2, :2] = True
    # a 4x4 square hides a quarter of the 8x8 red patch: the logit falls from 5 to 3.75
    torch.testing.assert_close(maps.probability[covering], torch.full((4,), torch.sigmoid(torch.tensor(3.75)).item()))
    assert torch.allclose(maps.probability[~covering], torch.tensor(clean))
    assert maps.worst_probability() == pytest.approx(torch.sigmoid(torch.tensor(3.75)).item())


def test_equals_a_naive_loop(net_and_image):
    model, image = net_and_image
    maps = occlusion(model, image, window=5, stride=3, layer="relu", channel=0, batch_size=4)
    assert maps.tops == [0, 3, 6, 9, 11] and maps.lefts == maps.tops
    for i, top in enumerate(maps.tops):
        for j, left in enumerate(maps.lefts):
            occluded = image.clone()
            occluded[:, top : top + 5, left : left + 5] = GREY
            with torch.no_grad():
                prob = model.net(occluded[None]).softmax(1)[0, 0]
                total = model.net.relu(model.net.conv(occluded[None]))[0, 0].sum()
            assert maps.probability[i, j] == pytest.approx(float(prob), abs=1e-6)
            assert maps.activation[i, j] == pytest.approx(float(total), abs=1e-5)


def test_agrees_with_captum_where_windows_tile_the_image(net_and_image):
    model, image = net_and_image
    maps = occlusion(model, image, window=4, stride=4)

    def prob(x):
        return model.net(x).softmax(1)[:, 0]

    pixels = Occlusion(prob).attribute(image[None], sliding_window_shapes=(3, 4, 4), strides=(3, 4, 4), baselines=GREY)
    drop = maps.clean_probability - maps.probability  # captum: clean minus occluded, per pixel
    torch.testing.assert_close(pixels[0, 0, ::4, ::4], drop, atol=1e-6, rtol=0)


def test_unit_position_and_strongest_channel_default(net_and_image):
    model, image = net_and_image
    maps = occlusion(model, image, window=4, stride=4, layer="relu", position=(1, 1))
    assert maps.channel == 0 and maps.clean_activation == pytest.approx(0.5)
    assert maps.activation[0, 0] == 0 and maps.activation[3, 3] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(window=20), "between 1 and the image side"),
        (dict(window=4, stride=5), "between 1 and the window"),
        (dict(target=7), "classes 0-1"),
        (dict(layer="relu", channel=2), "channels 0-1"),
        (dict(layer="relu", position=(16, 0)), "outside the 16x16 map"),
        (dict(layer="nope"), "no layer 'nope'"),
    ],
)
def test_bad_input(net_and_image, kwargs, message):
    model, image = net_and_image
    with pytest.raises(UserError, match=message):
        occlusion(model, image, **kwargs)
