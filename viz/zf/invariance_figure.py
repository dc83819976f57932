"""Zeiler & Fergus's Figure 5 layout: for one transformation, a low layer's and a high layer's distance from
the untransformed output, and the predicted class's probability, one curve per photo."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from models import LoadedModel

from .invariance import Invariance

UNITS = {"translate": "shift (px, + = right)", "scale": "scale factor", "rotate": "rotation (degrees, counter-clockwise)"}


def default_layers(model: LoadedModel) -> list[str]:
    """A low layer (the first of the edges tier) and a high one (the last before the class outputs)."""
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
        ax.set_xlabel(UNITS[kind], fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{model.name}: invariance to {kind} (Zeiler & Fergus, Figure 5)", fontsize=10)
    fig.tight_layout()
    return fig
