"""An example models file: a small CIFAR-10 network (32x32 inputs) with its trained weights beside this file.

    VIZ_MODELS=docs/examples/cifar_models.py make run
    python -m viz render --models-file docs/examples/cifar_models.py --model cifar_net --layer features.4 --out r.png

Each entry of MODELS is a callable without arguments; returning `models.from_module(...)` (rather than the bare
network) gives the input size, the normalization and the class names the network was trained with.
"""

from pathlib import Path

import torch
from torch import nn

import models

WEIGHTS = Path(__file__).with_name("cifar_net.pt")  # torch.save(net.state_dict(), WEIGHTS) after training
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


class CifarNet(nn.Module):
    """Five 3x3 convolutions with ReLUs and three 2x2 max-pools (32 -> 4 px), then a linear classifier."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(128 * 4 * 4, classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def cifar_net():
    net = CifarNet()
    net.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    return models.from_module(net, name="cifar_net", input_size=32, labels=CLASSES,
                              normalize=models.Normalizer(CIFAR_MEAN, CIFAR_STD))


MODELS = {"cifar_net": cifar_net}
