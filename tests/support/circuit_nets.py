"""A hand-wired two-layer net whose circuit is known: three colour units feed a unit with weights +2, +1, -1.5."""

import torch
from torch import nn

import models

WEIGHTS = (2.0, 1.0, -1.5)  # what contour unit 0 takes from edge units 0, 1, 2 (the last one inhibits)
BIAS = 0.25


class TwoLayer(nn.Module):
    """edges: unit i copies colour i (1x1); contour: a 3x3 sum of the edge units; side: computed, never used."""

    def __init__(self):
        super().__init__()
        self.edges = nn.Conv2d(3, 3, 1, bias=False)
        self.relu = nn.ReLU()
        self.side = nn.Conv2d(3, 2, 1)
        self.contour = nn.Conv2d(3, 2, 3)
        with torch.no_grad():
            self.edges.weight.copy_(torch.eye(3)[:, :, None, None])
            self.contour.weight.zero_()
            self.contour.bias.fill_(BIAS)
            for c, w in enumerate(WEIGHTS):
                self.contour.weight[0, c] = w / 9
                self.contour.weight[1, c] = -w / 9

    def forward(self, x):
        self.side(x)  # a branch that leads nowhere: no path from it to `contour`
        return self.contour(self.relu(self.edges(x)))


def two_layer_model() -> models.LoadedModel:
    return models.from_module(TwoLayer(), name="two-layer", layers=["edges", "side", "contour"], input_size=16)


def window_contributions(image: torch.Tensor, y: int, x: int) -> list[float]:
    """Independent arithmetic: unit 0 at (y, x) takes w_c/9 times each colour's sum over its 3x3 window."""
    window = image[:, y : y + 3, x : x + 3].sum(dim=(1, 2))
    return [w / 9 * float(s) for w, s in zip(WEIGHTS, window)]
