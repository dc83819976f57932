"""The Zeiler–Fergus figures: Figure 2 (projections beside patches), occlusion maps, first-layer filters,
Figure 5 (invariance curves).

Each function returns a matplotlib figure built from `viz.core.figures` pieces; the CLI saves it
(`viz.core.export.save_figure`) and the app shows it, so both draw the same picture.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from models import LoadedModel

from ..core.figures import colorize, grid_figure, tile
from ..core.receptive_field import WHITE, crop_field
from .audit import deconv_audit
from .display import DISPLAY_LABEL, show
from .filters import first_layer_filters
from .invariance_curves import Invariance
from .occlusion_maps import OcclusionMaps
from .projection import EXTENT_NOTE, project
from .topk import TopExamples

INVARIANCE_UNITS = {"translate": "shift (px, + = right)", "scale": "scale factor",
                    "rotate": "rotation (degrees, counter-clockwise)"}  # x axis of each kind of Figure 5


def unit_panel(
    model: LoadedModel, found: TopExamples, channel: int, method: str = "deconvnet", images: torch.Tensor | None = None,
    samples: int = 0, display: str = "magnitude", extent: str = "field",
) -> torch.Tensor:
    """One unit of Figure 2: its top-k projections (3 columns) left of the matching image patches.

    `samples` > 0 averages each projection over that many noisy copies (SmoothGrad, `project`); `display`:
    how a projection is drawn (`viz.zf.display`: "magnitude", legible, or "signed", the raw colours);
    `extent`: what is sent down (`project`: "field", legible, or "neuron", the paper's single activation).
    """
    examples = found.examples(channel)
    pictures = torch.stack([found.image(e.image, images) for e in examples])
    positions = [e.position for e in examples] if examples[0].position is not None else None
    signal = project(model, pictures, found.layer, channel, method, position=positions, samples=samples,
                     extent=extent)
    shown = show(signal, model, display)
    size = found.fields.size if found.fields is not None else (found.input_size, found.input_size)
    projections = tile(torch.stack([crop_field(s, e.box, size) for s, e in zip(shown, examples)]), 3)
    patches = tile(torch.stack([crop_field(p, e.box, size) for p, e in zip(pictures.float(), examples)]), 3)
    gap = torch.full((3, projections.shape[1], max(4, projections.shape[2] // 20)), WHITE)
    return torch.cat([projections, gap, patches], dim=2)


def figure2(
    model: LoadedModel,
    found: TopExamples,
    channels: list[int],
    method: str = "deconvnet",
    images: torch.Tensor | None = None,
    columns: int = 3,
    panels: list[torch.Tensor] | None = None,
    samples: int = 0,
    display: str = "magnitude",
    extent: str = "field",
) -> Figure:
    """Zeiler & Fergus's Figure 2 for one layer: per unit, projections beside patches; the audit in the title.

    `panels` (from `unit_panel`, one per channel) skips the projections when the same figure is drawn again;
    `samples` > 0: SmoothGrad projections (the mean over that many noisy copies); `display`, `extent`: see
    `unit_panel` (the title says what was sent down and what was done to the raw signal).
    """
    panels = panels if panels is not None else [
        unit_panel(model, found, c, method, images, samples, display, extent) for c in channels
    ]
    captions = [f"unit {c}  (top activation {found.examples(c)[0].value:.3g})" for c in channels]
    smooth = f" · SmoothGrad over {samples} noisy copies" if samples else ""
    title = f"{model.name} · {found.layer} · {method}{smooth}: {projection_note(model, found.layer, method)}"
    title = f"{title} · sent down: {EXTENT_NOTE[extent].split(' (')[0]} · shown: {DISPLAY_LABEL[display]}"
    return grid_figure(panels, captions, textwrap.fill(title, 110), columns=min(columns, len(panels)), panel_inches=3.2)


def projection_note(model: LoadedModel, layer: str, method: str) -> str:
    """"exact" or "approximate" with the reasons, as shown beside every projection."""
    if method == "gradient":
        return "exact (plain gradient)"
    return deconv_audit(model, layer).summary()


def occlusion_figure(model: LoadedModel, image: torch.Tensor, maps: OcclusionMaps) -> Figure:
    """The image, the true class's probability map and (if measured) the feature-map activation map."""
    height, width = image.shape[1:]

    def upscale(values: torch.Tensor) -> torch.Tensor:
        return F.interpolate(values[None], size=(height, width), mode="nearest")[0]

    panels, captions = [image.float().cpu()], ["image"]
    if maps.probability is not None:
        label = model.labels[maps.target] if model.labels else f"class {maps.target}"
        panels.append(upscale(colorize(maps.probability, 0.0, 1.0)))
        captions.append(f"p({label}) with the square here (clean {maps.clean_probability:.2f})")
    if maps.activation is not None:
        panels.append(upscale(colorize(maps.activation)))
        captions.append(f"{maps.layer} channel {maps.channel} (clean {maps.clean_activation:.3g})")
    title = f"{model.name}: occlusion by a grey {maps.window}px square (dark = the square there hurts)"
    return grid_figure(panels, captions, title, columns=len(panels), panel_inches=2.6)


def filters_figure(models_and_titles: list[tuple[LoadedModel, str]], scale: int = 6) -> Figure:
    """First-layer filters of each model as one mosaic (each filter scaled on its own), side by side."""
    panels, captions = [], []
    for model, caption in models_and_titles:
        filters = first_layer_filters(model)
        big = filters.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
        panels.append(tile(big, columns=int(len(filters) ** 0.5 + 0.999), pad=scale))
        captions.append(f"{caption}: {len(filters)} filters {filters.shape[2]}x{filters.shape[3]}")
    title = "First-layer filters (each normalized to its own range)"
    return grid_figure(panels, captions, title, columns=len(panels), panel_inches=3.5)


def invariance_layers(model: LoadedModel) -> list[str]:
    """The layers the invariance figure compares by default: a low one (the first of the edges tier) and a high
    one (the last before the class outputs)."""
    classes = len(model.labels or [])
    features = [layer.name for layer in model.layers if layer.channels != classes]
    edges = [layer.name for layer in model.tier_layers("edges")]
    return [(edges or features)[0], features[-1]]


def invariance_figure(model: LoadedModel, results: Sequence[tuple[str, Invariance]], layers: Sequence[str]) -> Figure:
    """Panels: distance at each layer, then the probability of each photo's own class; a line per photo."""
    fig = Figure(figsize=(3.3 * (len(layers) + 1), 3.2))
    axes = fig.subplots(1, len(layers) + 1, squeeze=False)[0]
    for name, result in results:
        label = model.labels[result.target] if model.labels else str(result.target)
        for ax, layer in zip(axes, layers):
            ax.plot(result.amounts, result.distances[layer].numpy(), marker=".", label=f"{name}")
        axes[-1].plot(result.amounts, result.probability.numpy(), marker=".", label=f"{name}: {label}")
    kind = results[0][1].kind
    for ax, layer in zip(axes, layers):
        ax.set_title(f"{layer} ({model.layer(layer).tier}): distance", fontsize=9)
        ax.set_ylabel("Euclidean distance to untransformed", fontsize=7)
    axes[-1].set_title("probability of the photo's class", fontsize=9)
    axes[-1].set_ylim(0, 1)
    axes[-1].legend(fontsize=6, frameon=False)
    for ax in axes:
        ax.set_xlabel(INVARIANCE_UNITS[kind], fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{model.name}: invariance to {kind} (Zeiler & Fergus, Figure 5)", fontsize=10)
    fig.tight_layout()
    return fig
