"""The digits CNN: a few 3x3 convolutions with ReLU and 2x2 max-pooling, then one linear layer to 10 classes.

It is an `nn.Sequential` with named children (`grey`, `conv1`, `bn1`, `relu1`, `pool1`, `conv2`, ..., `fc`), so
layer names read well in figures and `net[:i]` runs it up to any point. Its shape is data (`Architecture`):
Net2Net turns one architecture into a wider or a deeper one, and the studies compare with and without batch
norm. Weights are drawn from a seed inside `torch.random.fork_rng`, so building a network never disturbs
the caller's global random state.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

import models

from .data import INPUT_SIZE

CLASSES = 10


@dataclass(frozen=True)
class Architecture:
    stages: tuple[tuple[int, ...], ...] = ((8,), (16,))  # per stage the channels of its 3x3 convs; a pool ends each
    batch_norm: bool = False  # BatchNorm2d between each conv and its ReLU (Ioffe & Szegedy 2015)

    def convs(self) -> list[str]:
        """Names of the conv modules, input to output."""
        return [f"conv{i + 1}" for i in range(sum(len(stage) for stage in self.stages))]

    def preactivations(self) -> list[str]:
        """Names of the modules whose output goes into each ReLU (the conv, or its batch norm)."""
        prefix = "bn" if self.batch_norm else "conv"
        return [name.replace("conv", prefix) for name in self.convs()]


class Grey(nn.Module):
    """The mean over the colour channels: the digits are grey, but the engine feeds (N,3,H,W) images.

    It is the network's first module, so the wrapped network takes what every engine call gives it (also the
    registry's probe, which does not normalize) and still trains on (N,1,H,W) digits, where it does nothing.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=1, keepdim=True)


class DigitsCNN(nn.Sequential):
    def __init__(self, arch: Architecture):
        parts: OrderedDict[str, nn.Module] = OrderedDict(grey=Grey())
        channels, index, side = 1, 0, INPUT_SIZE
        for stage, widths in enumerate(arch.stages):
            for width in widths:
                index += 1
                parts[f"conv{index}"] = nn.Conv2d(channels, width, 3, padding=1)
                if arch.batch_norm:
                    parts[f"bn{index}"] = nn.BatchNorm2d(width)
                parts[f"relu{index}"] = nn.ReLU()
                channels = width
            parts[f"pool{stage + 1}"] = nn.MaxPool2d(2)
            side //= 2
        parts["flatten"] = nn.Flatten()
        parts["fc"] = nn.Linear(channels * side * side, CLASSES)
        super().__init__(parts)
        self.arch = arch


def build(arch: Architecture, seed: int) -> DigitsCNN:
    """A freshly initialized network; the same seed gives the same weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return DigitsCNN(arch)


def with_weights(arch: Architecture, state: dict[str, torch.Tensor]) -> DigitsCNN:
    """A network of `arch` holding the weights `state` (e.g. a checkpoint)."""
    net = DigitsCNN(arch)
    net.load_state_dict(state)
    return net


def as_model(arch: Architecture, state: dict[str, torch.Tensor], name: str = "digits_cnn"):
    """A checkpoint wrapped for the engine (`viz.render`, `viz.top_examples`): its conv layers, input as is.

    The wrapper is frozen and in eval mode, so it gets its own copy of the network.
    """
    labels = [str(c) for c in range(CLASSES)]
    return models.from_module(
        with_weights(arch, state), name=name, normalize=None, layers=arch.convs(), labels=labels,
        input_size=INPUT_SIZE, device="cpu",
    )
