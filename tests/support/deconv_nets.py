"""Tiny hand-built networks shared by the deconvnet, receptive-field and top-k tests."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import models


class ChainNet(nn.Module):
    """conv -> ReLU (in-place, reused) -> max-pool -> conv -> ReLU6 -> conv -> the same ReLU again -> top.

    `top` (an Identity) names the reused ReLU's second output, the layer the tests project from.
    """

    def __init__(self, scale: float = 1.0):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 5, 3, padding=1)
        self.relu6 = nn.ReLU6()
        self.conv3 = nn.Conv2d(5, 6, 3)
        self.top = nn.Identity()
        with torch.no_grad():
            for conv in (self.conv1, self.conv2, self.conv3):
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * scale)
                conv.bias.copy_(torch.randn(conv.bias.shape, generator=g) * 0.1)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.relu6(self.conv2(x))
        return self.top(self.relu(self.conv3(x)))


def explicit_projection(net: ChainNet, x: torch.Tensor, channel: int, method: str) -> torch.Tensor:
    """The same projection written out layer by layer: switches, rectification, conv_transpose2d."""

    def down(signal, output, upper=float("inf")):
        mask = ((output > 0) & (output < upper)).to(signal.dtype)
        if method == "gradient":
            return signal * mask
        if method == "deconvnet":
            return signal.clamp(min=0)
        return signal.clamp(min=0) * (output > 0)  # guided: where it fired, a saturated ReLU6 too

    a1 = F.conv2d(x, net.conv1.weight, net.conv1.bias, padding=1)
    r1 = a1.clamp(min=0)
    p1, switches = F.max_pool2d(r1, 2, return_indices=True)
    r2 = F.conv2d(p1, net.conv2.weight, net.conv2.bias, padding=1).clamp(0, 6)
    r3 = F.conv2d(r2, net.conv3.weight, net.conv3.bias).clamp(min=0)

    n = x.shape[0]
    seed = torch.zeros_like(r3)
    strongest = r3[:, channel].reshape(n, -1).argmax(dim=1)
    seed.view(n, r3.shape[1], -1)[torch.arange(n), channel, strongest] = 1.0

    g = down(seed, r3)
    g = F.conv_transpose2d(g, net.conv3.weight)
    g = down(g, r2, upper=6.0)
    g = F.conv_transpose2d(g, net.conv2.weight, padding=1)
    g = F.max_unpool2d(g, switches, 2, output_size=r1.shape[-2:])
    g = down(g, r1)
    return F.conv_transpose2d(g, net.conv1.weight, padding=1)


def chain_model(scale: float = 1.0, dtype=torch.float64) -> models.LoadedModel:
    """The chain net wrapped as a model; float64 by default so comparisons hold to ~1e-12."""
    net = ChainNet(scale).to(dtype)
    model = models.from_module(net, name="chain", layers=["conv1", "top"], input_size=16)
    return model


class PlainNet(nn.Module):
    """What captum handles: separate, not in-place `nn.ReLU` modules and max-pooling."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv1, self.relu1, self.pool = nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        self.conv2, self.relu2 = nn.Conv2d(4, 5, 3), nn.ReLU()

    def forward(self, x):
        return self.relu2(self.conv2(self.pool(self.relu1(self.conv1(x)))))


class BranchNet(nn.Module):
    """TF-"same" stride-2 conv, max-pool with padding, then a dilated branch added to a 1x1 branch."""

    def __init__(self):
        super().__init__()
        from models.efficientnet_lite import SameConv2d

        g = torch.Generator().manual_seed(0)
        self.stem = SameConv2d(3, 4, 3, stride=2)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.wide = nn.Conv2d(4, 4, 3, padding=2, dilation=2)
        self.narrow = nn.Conv2d(4, 4, 1)
        self.top = nn.ReLU()
        with torch.no_grad():  # positive weights: every connected pixel can raise the unit (brute-force check)
            for conv in (self.stem, self.wide, self.narrow):
                conv.weight.copy_(torch.rand(conv.weight.shape, generator=g) + 0.1)
                conv.bias.zero_()

    def forward(self, x):
        x = self.pool(self.relu(self.stem(x)))
        return self.top(self.wide(x) + self.narrow(x))
