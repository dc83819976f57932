"""Objectives read a unit before its saturating rectifier by default (Lucid's "pre-ReLU"), and can be told not to."""

from __future__ import annotations

import torch
from torch import nn

import models
import viz
from viz.core.hooks import Capture


class _Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x) * 2)  # a functional step between the conv and the rectifier


def test_from_module_finds_the_module_that_feeds_each_rectifier():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU6(), nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4),
                        nn.ReLU(inplace=True), nn.ReLU())
    model = models.from_module(net, layers=["0", "1", "4", "5"], input_size=16)
    pre = {layer.name: layer.pre for layer in model.layers}
    # conv output is already linear; ReLU6 fed by the conv; in-place ReLU fed by batch norm; a rectifier
    # fed by a rectifier has no pre-activation to read.
    assert pre == {"0": "", "1": "0", "4": "3", "5": ""}
    functional = models.from_module(_Functional(), layers=["relu"], input_size=16)
    assert functional.layers[0].pre == ""


def test_pre_relu_capture_reads_the_stem_before_its_relu6(lite0):
    x = torch.rand(2, 3, 64, 64)
    with Capture(lite0, ["_relu0"], pre_relu=True) as capture:
        read = capture.run(lite0.normalize(x))["_relu0"]
    expected = lite0.net._bn0(lite0.net._conv_stem(lite0.normalize(x)))  # independent: the stem by hand
    torch.testing.assert_close(read, expected)
    assert read.max() > 6 and read.min() < 0  # both ends a ReLU6 would cut off


def test_a_render_is_not_capped_by_a_saturating_relu6_unless_asked():
    conv = nn.Conv2d(3, 1, 1)
    with torch.no_grad():
        conv.weight.fill_(20.0), conv.bias.zero_()  # mid-grey already drives it to 30, far past the ceiling
    model = models.from_module(nn.Sequential(conv, nn.ReLU6()), layers=["1"], input_size=32)
    pre = viz.render(model, [("1", 0)], size=32, steps=60, cache=False)
    post = viz.render(model, [("1", 0)], size=32, steps=60, cache=False, pre_relu=False)
    assert pre.settings.pre_relu and not post.settings.pre_relu
    assert post.history.max() <= 6.0 + 1e-4  # after the ReLU6 the objective is flat at its ceiling
    assert pre.history[-1].item() > pre.history[0].item() + 2  # before it, brighter still scores higher
    assert pre.images.mean() > post.images.mean() + 0.02  # and the picture is driven towards white
