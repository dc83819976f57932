"""Figure 1.2 as a plot with numbers: the share of each probe tag per layer, input to output, for several
networks side by side (trained beside untrained)."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from .tagging import TAGS, LayerProbe

TAG_COLOURS = {"edge": "#1f77b4", "colour": "#ff7f0e", "curve": "#2ca02c", "other": "#c7c7c7"}


def shares_figure(panels: Sequence[tuple[str, dict[str, LayerProbe]]], tiers: dict[str, str] | None = None) -> Figure:
    """One stacked-bar panel per (title, {layer: probe}): per layer, the fraction of its units with each tag.

    `tiers` (layer -> tier) labels each bar with its Figure 1.2 tier. The edge share is written on each bar.
    """
    layers = list(panels[0][1])
    fig = Figure(figsize=(max(6.0, 0.42 * len(layers) + 1.5), 2.9 * len(panels)))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (title, probes) in zip(axes, panels):
        bottom = [0.0] * len(layers)
        for tag in TAGS:
            heights = [probes[layer].shares()[tag] for layer in layers]
            ax.bar(range(len(layers)), heights, bottom=bottom, color=TAG_COLOURS[tag], label=tag, width=0.8)
            bottom = [b + h for b, h in zip(bottom, heights)]
        for i, layer in enumerate(layers):
            ax.text(i, 0.02, f"{probes[layer].shares()['edge']:.0%}", ha="center", va="bottom", fontsize=6,
                    color="white", rotation=90)
        ax.set_title(title, fontsize=9)
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of units", fontsize=8)
        ax.set_xticks(range(len(layers)))
        names = [f"{layer} ({tiers[layer]})" if tiers else layer for layer in layers]
        ax.set_xticklabels(names, rotation=60, ha="right", fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
