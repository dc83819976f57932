"""First-layer filters: each scaled to its own range, and training changes them."""

from __future__ import annotations

import torch

import models
from viz.zf.filters import first_conv, first_layer_filters


def test_filters_normalized_per_filter():
    model = models.load("alexnet", weights="none")
    assert first_conv(model)[0] == "features.0"
    filters = first_layer_filters(model)
    weights = model.net.features[0].weight
    assert filters.shape == (64, 3, 11, 11)
    assert torch.equal(filters.flatten(1).amin(1), torch.zeros(64))
    assert torch.equal(filters.flatten(1).amax(1), torch.ones(64))
    w = weights[5]
    torch.testing.assert_close(filters[5], (w - w.min()) / (w.max() - w.min()))


def test_trained_filters_differ_from_untrained():
    trained = first_layer_filters(models.load("efficientnet_lite0"))
    untrained = first_layer_filters(models.load("efficientnet_lite0", weights="none"))
    assert trained.shape == untrained.shape == (32, 3, 3, 3)
    assert (trained - untrained).abs().mean() > 0.05
