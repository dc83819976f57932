"""`viz.circuit`: what a unit is built from, on a photo or on the unit's own picture.

With a photo, the unit's strongest neuron there is measured (`viz.circuits.circuit_on`). Without one, the
unit is measured on what it wants to see: its receptive-field render (`render(..., field=True)`, cached),
pasted into the grey canvas it was optimized on, at the neuron the render maximized. The inputs are then
the source units that render leans on: the edges a contour unit's favourite picture is made of.
"""

from __future__ import annotations

import torch

from models import LoadedModel

from ..actmax import quality_settings, render
from ..actmax.field import paste, plan_fields
from ..actmax.per_unit import unit_images
from ..circuits import Circuit, check_k, circuit_on, source_order
from ..core.checks import check_channel
from ..core.images import fit_square
from ..serving.cache import CacheChoice


def own_render(model: LoadedModel, layer: str, channel: int, quality: str = "fast", cache: CacheChoice = True):
    """(canvas (3,S,S), (y, x)): the unit's field render as its neuron sees it, and that neuron's position."""
    plan = plan_fields(model, [(layer, channel)])
    rendering = render(model, [(layer, channel)], settings=quality_settings(quality, field=True), cache=cache)
    neuron = plan.objectives[0]
    return paste(rendering.images, plan.boxes, plan.canvas)[0], (neuron.y, neuron.x)


def circuit(model: LoadedModel, layer: str, channel: int, source: str, image: torch.Tensor | None = None,
            k: int = 3, quality: str = "fast", cache: CacheChoice = True) -> Circuit:
    """The `k` strongest excitatory and inhibitory `source` channels of unit (`layer`, `channel`).

    `image` (3,H,W) in [0,1] is fitted to the model's input size and the unit's strongest neuron there is
    measured; None measures the unit's centre neuron on its own field render (`quality`, see `viz.render`).
    """
    source_order(model, layer, source)  # a bad pair, channel or k fails before any render
    check_channel(channel, model.layer(layer).channels, layer)
    check_k(k, model, source)
    if image is not None:
        return circuit_on(model, fit_square(image, model.input_size).float(), layer, channel, source, k)
    canvas, position = own_render(model, layer, channel, quality, cache)
    return circuit_on(model, canvas, layer, channel, source, k, position=position)


def field_pictures(model: LoadedModel, layer: str, channels: list[int], quality: str = "fast", cache: CacheChoice = True,
             progress=None, **overrides) -> torch.Tensor:
    """(N,3,S,S): the field renders of `layer`'s `channels` (what each wants, at its field's scale), cached per
    unit (`viz.actmax.per_unit`), the missing ones in one batch; `overrides` change RenderSettings fields of
    the quality level (e.g. `steps=1`)."""
    settings = quality_settings(quality, field=True, **overrides)
    return unit_images(model, [(layer, c) for c in channels], settings, progress, cache)
