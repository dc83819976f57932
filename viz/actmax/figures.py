"""The figure of a render: one captioned panel per unit (unit, layer, tier), a title naming the model."""

from __future__ import annotations

from matplotlib.figure import Figure

from models import LoadedModel

from ..core.figures import grid_figure
from .render import Rendering


def caption(model: LoadedModel, objective: str, layer: str | None) -> str:
    """'Channel 3' style caption, with the layer and its tier on a second line when known."""
    text = objective.replace(f"{layer!r}, ", "") if layer else objective
    tiers = {entry.name: entry.tier for entry in model.layers}
    return f"{text}\n{layer} · {tiers[layer]}" if layer in tiers else text


def render_figure(model: LoadedModel, rendering: Rendering, layers: list[str | None], columns: int | None = None) -> Figure:
    """Grid of the rendered images; `layers[i]` is the layer image i's unit lives on (None: no caption line)."""
    captions = [caption(model, o, layer) for o, layer in zip(rendering.objectives, layers)]
    s = rendering.settings
    title = f"{model.name} · {s.size} px, {s.steps} steps, seed {s.seed}"
    return grid_figure(rendering.images, captions, title=title, columns=columns)
