"""Renders cached one unit at a time, rendered in batches: the atlas, the landing's field renders, precompute.

A unit's picture depends only on the unit, the seed and the settings (`viz.core.streams`): which units share
its batch, or which process renders it, does not change it. So each unit is cached on its own (disk cache
namespace "units", keyed as a batch of that one unit would be by `viz.render`), and any batch fills the
entries any later batch reads: `python -m viz precompute` renders whole layers, the landing then finds the
three units of a new photo's tier already drawn. A field render's canvas is its layer's (`plan_fields` of
the unit alone), so field renders are batched one layer at a time, where a batch's canvas is that layer's too.
Missing units are rendered in batches; on a GPU a batch that does not fit is halved by the renderer until it does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from models import LoadedModel

from ..core.progress import Progress
from ..serving.cache import CacheChoice, DiskCache, store_for
from .field import plan_fields
from .objectives import Channel
from .rendering import cache_parts, render
from .settings import RenderSettings

CPU_BATCH = 8  # units per optimization on a CPU: big enough to batch, small enough to show progress often
GPU_BATCH = 2048  # on a GPU: a whole layer (or several); the renderer halves it on out-of-memory


@dataclass(frozen=True)
class UnitPicture:
    """One unit's rendered picture."""

    layer: str
    channel: int
    tier: str
    image: torch.Tensor  # (3, S, S) in [0,1], on the CPU
    objective: float  # the objective's final value (how strongly the picture drives the unit)


def _key(model: LoadedModel, unit: tuple[str, int], settings: RenderSettings) -> dict:
    if settings.field:
        plan = plan_fields(model, [unit])
        return cache_parts(model, list(plan.objectives), settings, canvas=plan.canvas)
    return cache_parts(model, [Channel(*unit)], settings)


def unit_key(model: LoadedModel, unit: tuple[str, int], settings: RenderSettings) -> str:
    """The cache key of one unit's picture (also written into atlas PNGs to tell stale files from done ones)."""
    return DiskCache("units").key(_key(model, unit, settings))


def _batches(missing: list[tuple[str, int]], size: int, field: bool) -> Iterator[list[tuple[str, int]]]:
    """`missing` in batches of at most `size`; field renders one layer per batch (its canvas)."""
    groups = {}
    for unit in missing:
        groups.setdefault(unit[0] if field else None, []).append(unit)
    for group in groups.values():
        for start in range(0, len(group), size):
            yield group[start:start + size]


def unit_pictures(
    model: LoadedModel,
    units: Sequence[tuple[str, int]],
    settings: RenderSettings,
    *,
    batch: int | None = None,
    progress: Progress | None = None,
    cache: CacheChoice = True,
) -> Iterator[UnitPicture]:
    """Every unit's picture, cached ones first, then the others batch by batch as they are rendered."""
    store = store_for(cache, "units")
    keys = {unit: store.key(_key(model, unit, settings)) for unit in units}  # a field key plans the unit's field
    missing = []
    for unit in units:
        found = store.load(keys[unit])
        if found is None:
            missing.append(unit)
        else:
            yield _picture(model, unit, found)
    total, done = len(missing) * settings.steps, 0
    for chunk in _batches(missing, batch or (GPU_BATCH if model.device.type == "cuda" else CPU_BATCH), settings.field):

        def step(steps_done: int, steps: int, base=done, width=len(chunk)) -> None:
            if progress is not None:
                progress(base + width * steps_done, total)

        rendering = render(model, chunk, settings=settings, progress=step, cache=False)
        for i, unit in enumerate(chunk):
            entry = {"image": rendering.images[i].clone(), "objective": float(rendering.history[-1, i])}
            store.save(keys[unit], entry)
            yield _picture(model, unit, entry)
        done += len(chunk) * settings.steps
        if progress is not None:
            progress(done, total)


def unit_images(model: LoadedModel, units: Sequence[tuple[str, int]], settings: RenderSettings,
                progress: Progress | None = None, cache: CacheChoice = True) -> torch.Tensor:
    """(N,3,S,S): `unit_pictures`' images in the order of `units` (N may be 0)."""
    if not units:
        return torch.zeros(0, 3, 1, 1)
    drawn = {(p.layer, p.channel): p.image
             for p in unit_pictures(model, units, settings, progress=progress, cache=cache)}
    return torch.stack([drawn[tuple(unit)] for unit in units])


def _picture(model: LoadedModel, unit: tuple[str, int], entry: dict) -> UnitPicture:
    return UnitPicture(unit[0], unit[1], model.layer(unit[0]).tier, entry["image"], float(entry["objective"]))
