"""Fill the disk cache for a classroom before it starts, so the app answers at once on a laptop CPU, offline.

What a class opens first: the Layer atlas page on its default layer (at the chosen quality) and, for every
visualizable layer, the gallery's top-9 sweep that the Top-9 page and the units' evidence reads. Each task
computes only what the cache lacks, so a second run computes nothing. The app and a running precompute share
the cache folder; a sweep both ask for at once is computed by one of them (`viz.serving.flight`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from models import LoadedModel

from .atlas import atlas_units, default_layer, quality_settings, unit_pictures
from .cache import DiskCache
from .zf.topk import top_examples

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Task:
    """One piece of the classroom cache."""

    name: str  # what it fills, for the progress bar
    run: Callable[[Progress | None], int]  # computes what is missing; returns how many entries it computed


def classroom_tasks(model: LoadedModel, quality: str = "quick") -> list[Task]:
    """The tasks, cheapest first: the gallery sweeps of every layer, then the default layer's atlas."""

    def sweep(layer: str) -> Task:
        def run(progress):
            cache = DiskCache("topk")
            top_examples(model, None, layer, k=9, per_image=True, progress=progress, cache=cache)
            return cache.saved
        return Task(f"top-9 sweep of {layer}", run)

    def atlas(progress):
        cache = DiskCache("units")
        units = atlas_units(model, [default_layer(model)])
        for _ in unit_pictures(model, units, quality_settings(quality), progress=progress, cache=cache):
            pass
        return cache.saved

    settings = quality_settings(quality)
    return [*(sweep(layer.name) for layer in model.layers),
            Task(f"atlas of {default_layer(model)} ({settings.size} px, {settings.steps} steps)", atlas)]
