"""The atlas: one activation-maximization picture per unit of a layer (or of every visualizable layer).

Each unit is cached on its own (disk cache namespace "units", keyed by model, weights, unit, settings,
device type and torch version), so the CLI's `atlas` command, `precompute` and the app's Layer atlas page
fill and read the same entries. That is sound because a unit's picture depends only on the unit, the seed
and the settings (`viz.actmax.streams`): which units share its batch, or which process renders it, does
not change it. Missing units are rendered in batches; on a GPU a batch that does not fit is halved by the
renderer until it does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from models import LoadedModel
from models.errors import UserError

from ..actmax import RenderSettings, render
from ..actmax.objectives import Channel
from ..actmax.rendering import cache_parts
from ..core.progress import Progress
from ..serving.cache import CacheChoice, DiskCache, store_for

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


def atlas_units(model: LoadedModel, layers: Sequence[str] | None = None,
                channels: Sequence[int] | None = None) -> list[tuple[str, int]]:
    """(layer, channel) of every unit asked for: `layers` (default: every visualizable one), and within each
    the `channels` it has (default: all); a channel range wider than a layer is cut to the layer."""
    chosen = [model.layer(name) for name in layers] if layers else list(model.layers)
    units = [(layer.name, c) for layer in chosen for c in range(layer.channels) if channels is None or c in channels]
    if not units:
        raise UserError("no unit to render: the channels asked for are beyond every chosen layer's width")
    return units


def default_batch(device: torch.device) -> int:
    return GPU_BATCH if device.type == "cuda" else CPU_BATCH


def _key(model: LoadedModel, unit: tuple[str, int], settings: RenderSettings) -> dict:
    return cache_parts(model, [Channel(*unit)], settings)


def unit_key(model: LoadedModel, unit: tuple[str, int], settings: RenderSettings) -> str:
    """The cache key of one unit's picture (also written into atlas PNGs to tell stale files from done ones)."""
    return DiskCache("units").key(_key(model, unit, settings))


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
    missing = []
    for unit in units:
        found = store.load(store.key(_key(model, unit, settings)))
        if found is None:
            missing.append(unit)
        else:
            yield _picture(model, unit, found)
    batch = batch or default_batch(model.device)
    total, done = len(missing) * settings.steps, 0
    for start in range(0, len(missing), batch):
        chunk = missing[start:start + batch]

        def step(steps_done: int, steps: int, base=done, width=len(chunk)) -> None:
            if progress is not None:
                progress(base + width * steps_done, total)

        rendering = render(model, chunk, settings=settings, progress=step, cache=False)
        for i, unit in enumerate(chunk):
            entry = {"image": rendering.images[i].clone(), "objective": float(rendering.history[-1, i])}
            store.save(store.key(_key(model, unit, settings)), entry)
            yield _picture(model, unit, entry)
        done += len(chunk) * settings.steps
        if progress is not None:
            progress(done, total)


def _picture(model: LoadedModel, unit: tuple[str, int], entry: dict) -> UnitPicture:
    return UnitPicture(unit[0], unit[1], model.layer(unit[0]).tier, entry["image"], float(entry["objective"]))
