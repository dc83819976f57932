"""Transformation robustness: random geometric changes applied before each step, so that a render works
under small shifts, scales and rotations instead of exploiting one exact pixel grid (Olah et al. 2017).

Each geometric transform is a small value that draws, per image of the batch, an affine map from its output
pixel grid to its input one. `compose` multiplies the maps of consecutive geometric transforms and
resamples the image once with a single `grid_sample` (bilinear): pad, jitter, scale, rotate, jitter,
resizing to the model's input scale and cropping the window the network sees cost one pass instead of
six. Pixels that come from outside the picture take the fill value (grey 0.5, Lucid's pad constant).
Plain `Tensor -> Tensor` callables may sit in the list too; they run in their place.

Coordinates: pixels, origin at the centre of the canvas; a map sends output coordinates to input ones.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .images import GREY  # the value of pixels that come from outside the picture
from .streams import Random, randint


class Geometric:
    """Base of the geometric transforms: `plan` returns the new canvas side and one 3x3 map per image."""

    def plan(self, size: int, n: int, generator: Random, device) -> tuple[int, torch.Tensor]:
        raise NotImplementedError


def _eye(n: int, device) -> torch.Tensor:
    return torch.eye(3, device=device).repeat(n, 1, 1)


def _translation(offsets: torch.Tensor) -> torch.Tensor:
    """(n, 2) offsets (dx, dy) by which the content moves -> maps output -> input (subtract them)."""
    m = _eye(offsets.shape[0], offsets.device)
    m[:, :2, 2] = -offsets
    return m


@functools.lru_cache(maxsize=64)
def _table(values: tuple[float, ...], device: torch.device) -> torch.Tensor:
    """The values as a tensor on the device, made once: no host-to-device copy inside the step loop."""
    return torch.tensor([float(v) for v in values], device=device)


def _choice(values: tuple[float, ...], n: int, generator: Random, device) -> torch.Tensor:
    table = _table(tuple(values), torch.device(device))
    return table[randint(len(table), (n,), generator, device)]


@dataclass(frozen=True)
class Pad(Geometric):
    """Grow the canvas by `pixels` on every side (the new border is the fill colour)."""

    pixels: int

    def plan(self, size, n, generator, device):
        return size + 2 * self.pixels, _eye(n, device)


@dataclass(frozen=True)
class Jitter(Geometric):
    """Shift by a whole number of pixels, one of `pixels` values per axis (centred on zero)."""

    pixels: int

    def plan(self, size, n, generator, device):
        shifts = randint(self.pixels, (n, 2), generator, device) - self.pixels // 2
        return size, _translation(shifts.float())


@dataclass(frozen=True)
class RandomScale(Geometric):
    """Zoom about the centre by a factor drawn from `factors` (the canvas keeps its size)."""

    factors: tuple[float, ...]

    def plan(self, size, n, generator, device):
        s = _choice(self.factors, n, generator, device)
        m = _eye(n, device)
        m[:, 0, 0] = m[:, 1, 1] = 1.0 / s
        return size, m


@dataclass(frozen=True)
class RandomRotate(Geometric):
    """Rotate about the centre by an angle in degrees drawn from `degrees`."""

    degrees: tuple[float, ...]

    def plan(self, size, n, generator, device):
        a = _choice(self.degrees, n, generator, device) * (math.pi / 180)
        m = _eye(n, device)
        m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = a.cos(), a.sin(), -a.sin(), a.cos()
        return size, m


@dataclass(frozen=True)
class Resize(Geometric):
    """Scale the whole canvas to `size` pixels (e.g. show a 128-px render at the model's 224-px scale)."""

    size: int

    def plan(self, size, n, generator, device):
        m = _eye(n, device)
        m[:, 0, 0] = m[:, 1, 1] = size / self.size
        return self.size, m


@dataclass(frozen=True)
class RandomCrop(Geometric):
    """Keep a random `size`-pixel window of the canvas (the network then only runs on that window)."""

    size: int

    def plan(self, size, n, generator, device):
        slack = max(size - self.size, 0)
        offsets = randint(slack + 1, (n, 2), generator, device) - slack // 2
        return self.size, _translation(-offsets.float())


# Lucid's `standard_transforms`: pad 12 (grey), jitter 8, scale 0.90-1.10 in steps of 0.02,
# rotate -10..10 degrees (0 weighted 6 of 26), jitter 4.
STANDARD = (
    Pad(12),
    Jitter(8),
    RandomScale(tuple(round(1 + (i - 5) / 50, 2) for i in range(11))),
    RandomRotate(tuple(range(-10, 11)) + (0,) * 5),
    Jitter(4),
)
TRANSFORM_SETS = {"standard": STANDARD, "none": ()}

Transform = Geometric | Callable[[torch.Tensor], torch.Tensor]


def _resample(images: torch.Tensor, maps: torch.Tensor, out_size: int) -> torch.Tensor:
    """Sample `images` at `maps @ output grid` (pixel maps -> grid_sample's [-1, 1] coordinates)."""
    n, _, h, w = images.shape
    theta = maps[:, :2, :].clone()  # diag(2/w, 2/h) @ maps @ diag(out/2, out/2, 1), as row and column scalings
    theta[:, 0] *= 2.0 / w
    theta[:, 1] *= 2.0 / h
    theta[:, :, :2] *= out_size / 2
    theta = theta.to(images.dtype)
    grid = F.affine_grid(theta, [n, images.shape[1], out_size, out_size], align_corners=False)
    return F.grid_sample(images - GREY, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + GREY


def compose(transforms: Sequence[Transform]) -> Callable[[torch.Tensor, Random], torch.Tensor]:
    """One function `(images, generator) -> images` applying `transforms` in order, geometric runs fused."""
    transforms = tuple(transforms)

    def apply(images: torch.Tensor, generator: Random) -> torch.Tensor:
        n, size = images.shape[0], images.shape[-1]
        maps, canvas = None, size
        for t in transforms:
            if isinstance(t, Geometric):
                canvas, m = t.plan(canvas, n, generator, images.device)
                maps = m if maps is None else maps @ m
                continue
            if maps is not None:
                images, maps = _resample(images, maps, canvas), None
            images = t(images)
            canvas = images.shape[-1]
        return images if maps is None else _resample(images, maps, canvas)

    return apply
