"""Per-image random streams: image i's random numbers depend only on its own seed, never on its batch-mates.

A `torch.Generator` shared by a batch hands image i the numbers after those of images 0..i-1, so a unit's
picture would change with the units rendered beside it and with the rank that renders it. Here every draw
is counter-based: number j of image i is a hash of (seed_i, j), computed for the whole batch in a few
integer tensor operations on the batch's device (no loop over images, no host round trip). A unit's seed
comes from the render seed and the unit itself (`unit_seeds`), so a picture depends only on the unit, the
seed and the settings, whatever the batch, sharding or order.

The parameterizations and transforms take either this or a plain `torch.Generator` (`randn`, `randint`
below dispatch), so they stay usable on their own.
"""

from __future__ import annotations

import hashlib
import math

import torch

_MASK = 0xFFFFFFFF


def unit_seeds(seed: int, units: list[str]) -> list[int]:
    """A 32-bit seed per image from the render seed and its unit (the objective's repr).

    The k-th repeat of a unit in the batch gets its own seed (k is part of the hash), so several pictures of
    one unit differ (what a diversity objective needs) while distinct units keep batch-independent seeds.
    """
    seen: dict[str, int] = {}
    seeds = []
    for unit in units:
        repeat = seen[unit] = seen.get(unit, -1) + 1
        text = f"{seed}/{unit}" + (f"/{repeat}" if repeat else "")
        seeds.append(int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little"))
    return seeds


def _hash32(x: torch.Tensor) -> torch.Tensor:
    """Chris Wellons' lowbias32 integer hash on int64 tensors holding 32-bit values."""
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _MASK
    return x ^ (x >> 16)


class UnitStreams:
    """One random stream per image of a batch; each draw takes the next numbers of every stream."""

    def __init__(self, seeds: list[int], device):
        self.device = torch.device(device)
        self.keys = _hash32(torch.tensor([s & _MASK for s in seeds], dtype=torch.int64, device=self.device))
        self.drawn = 0  # numbers taken from each stream so far

    def __len__(self) -> int:
        return self.keys.shape[0]

    def uniform(self, shape: tuple[int, ...]) -> torch.Tensor:
        """(N, *shape) floats in (0, 1): 23 random bits each, never exactly 0 or 1."""
        count = math.prod(shape)
        counter = torch.arange(self.drawn, self.drawn + count, dtype=torch.int64, device=self.device)
        self.drawn += count
        bits = _hash32((self.keys[:, None] + _hash32(counter & _MASK)[None]) & _MASK) >> 9
        return ((bits.float() + 0.5) / 2**23).view(len(self), *shape)

    def normal(self, shape: tuple[int, ...]) -> torch.Tensor:
        """(N, *shape) standard normal numbers (Box-Muller)."""
        u = self.uniform((2, *shape))
        return (-2 * u[:, 0].log()).sqrt() * torch.cos(2 * math.pi * u[:, 1])

    def integers(self, high: int, shape: tuple[int, ...]) -> torch.Tensor:
        """(N, *shape) integers in [0, high)."""
        return (self.uniform(shape) * high).long().clamp_(max=high - 1)


Random = UnitStreams | torch.Generator


def randn(shape: tuple[int, ...], generator: Random, device) -> torch.Tensor:
    """Normal numbers of `shape` (its first axis is the batch) from either kind of random source."""
    if isinstance(generator, UnitStreams):
        return generator.normal(tuple(shape[1:]))
    return torch.randn(shape, generator=generator, device=device)


def randint(high: int, shape: tuple[int, ...], generator: Random, device) -> torch.Tensor:
    """Integers in [0, high) of `shape` (its first axis is the batch) from either kind of random source."""
    if isinstance(generator, UnitStreams):
        return generator.integers(high, tuple(shape[1:]))
    return torch.randint(high, shape, generator=generator, device=device)
