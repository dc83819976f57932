"""The digits data set: scikit-learn's bundled `load_digits` (1,797 8x8 digits, 10 classes), no download.

Pixels are scaled from 0-16 to [0,1] and the 8x8 digits are upsampled (bilinear) to `INPUT_SIZE` = 16 px:
the information stays 8x8, but two 3x3 convolutions with a 2x2 pooling each then leave a 4x4 map instead
of a 2x2 one, and the pictures of what a unit wants (shown at the network's input size) have room for a
stroke. 32 px would read a little better but costs four times the training time, which the one-minute
budget of each view on a 2-core CPU cannot spare.

The split is fixed and needs no random numbers: every fifth digit (360) is validation, the rest (1,437)
training, so every seed and every study sees the same two sets.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F

INPUT_SIZE = 16  # side of the square image the digits CNN takes
VALIDATION_EVERY = 5  # digit i is in the validation set when i % VALIDATION_EVERY == 0


@dataclass(frozen=True)
class Digits:
    """One split: images (N,1,S,S) in [0,1] and labels (N,) in 0-9."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def as_rgb(self) -> torch.Tensor:
        """(N,3,S,S) grey images: the engine's image calls (top examples, figures) take three channels."""
        return self.images.expand(-1, 3, -1, -1)


@functools.cache
def _all_digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.from_numpy(bunch.images).float().div(16.0).unsqueeze(1)
    images = F.interpolate(images, size=INPUT_SIZE, mode="bilinear", align_corners=False).clamp(0, 1)
    return images, torch.from_numpy(bunch.target).long()


def digits(split: str) -> Digits:
    """The "train" or "validation" split (cached in memory after the first call)."""
    images, labels = _all_digits()
    held_out = torch.arange(len(labels)) % VALIDATION_EVERY == 0
    if split == "train":
        return Digits(images[~held_out], labels[~held_out])
    if split == "validation":
        return Digits(images[held_out], labels[held_out])
    raise ValueError(f"unknown split {split!r}; choose train or validation")
