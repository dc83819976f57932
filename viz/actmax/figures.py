"""The figures of activation maximization: a render's captioned panels (unit, layer, tier; a natural render
drawn with its transparency over a checkerboard) and an accentuated photo beside the photo."""

from __future__ import annotations

from matplotlib.figure import Figure

from models import LoadedModel

from ..core.figures import grid_figure, on_background
from .accentuation import Accentuation
from .rendering import Rendering


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
    images = rendering.images
    if rendering.transparency is not None:
        images = on_background(images, rendering.transparency)
        title += " · transparency: where the unit took its gradient"
    return grid_figure(images, captions, title=title, columns=columns)


def accentuation_figure(model: LoadedModel, found: Accentuation, layer: str, photo_name: str) -> Figure:
    """The photo beside the photo with the unit accentuated, the unit's activation under each."""
    captions = [f"{photo_name}\nunit: {found.before:.3g}",
                f"{caption(model, found.objective, layer)} accentuated\nunit: {found.after:.3g}"]
    title = (f"{model.name} · feature accentuation, {found.settings.steps} steps, seed {found.settings.seed} · "
             f"closeness to the photo {found.closeness:.2f}")
    return grid_figure([found.photo, found.image], captions, title=title, panel_inches=2.6)
