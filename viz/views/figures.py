"""Figures of the views: the landing's strip (Figure 1.2 for a photo), features while training (Zeiler & Fergus
2014, Figure 4), a unit and its circuit."""

from __future__ import annotations

import textwrap

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch

from models import LoadedModel

from ..circuits import Circuit
from ..core.figures import tile
from .evidence import by_image_set
from .evolution import Evolution
from .hierarchy import Hierarchy, TierUnit
from .naming import short_words


TITLE_CHARACTERS = 80  # a strip unit's title wraps here, within its tier's five pictures


def _cell(render: torch.Tensor, patches: torch.Tensor, height: int) -> torch.Tensor:
    """A unit at one checkpoint: its picture (height x height) beside its top patches in a column."""
    side = height // len(patches)
    picture = F.interpolate(render[None].float(), size=(height, height), mode="nearest")[0]
    column = tile(F.interpolate(patches.float(), size=(side, side), mode="nearest"), 1, pad=0)
    column = F.pad(column, (0, 0, 0, height - column.shape[1]), value=1.0)
    return torch.cat([picture, torch.ones(3, height, max(2, height // 16)), column], dim=2)


def evolution_figure(evolution: Evolution, height: int = 48) -> Figure:
    """Rows: checkpoints; columns: units; each cell the unit's picture and, right of it, its top examples."""
    rows, columns = len(evolution.checkpoints), len(evolution.units)
    fig = Figure(figsize=(1.25 * columns + 0.8, 1.0 * rows + 0.7))
    axes = fig.subplots(rows, columns, squeeze=False)
    for r, label in enumerate(evolution.checkpoints):
        for c, (layer, channel) in enumerate(evolution.units):
            ax = axes[r][c]
            cell = _cell(evolution.renders[r][c], evolution.patches[r][c], height)
            ax.imshow(cell.clamp(0, 1).permute(1, 2, 0).numpy(), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"{layer} #{channel}", fontsize=8)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle("Features while training: each unit's picture and its top examples, checkpoint by checkpoint",
                 fontsize=10)
    fig.tight_layout()
    return fig


def _connect(fig: Figure, start, end, share: float) -> None:
    """A line from axes `start` (right edge) to axes `end` (left edge): green excites, red inhibits, width by share."""
    colour = "#2ca02c" if share >= 0 else "#d62728"
    fig.add_artist(ConnectionPatch((1.0, 0.5), (0.0, 0.5), "axes fraction", "axes fraction", axesA=start, axesB=end,
                                   color=colour, linewidth=0.5 + 4 * min(1.0, abs(share)), alpha=0.8))


def circuit_figure(found: Circuit, unit_picture: torch.Tensor, input_pictures: torch.Tensor, title: str,
                   photo: torch.Tensor | None = None) -> Figure:
    """The unit (its picture, and the photo it was measured on) linked to its inputs' pictures with their shares.

    Excitatory inputs on the top row, inhibitory ones below; a line's width is the input's share of the
    positive contribution.
    """
    excite = [(c, v) for c, v in found.inputs if v > 0]
    inhibit = [(c, v) for c, v in found.inputs if v <= 0]
    columns = max(1, len(excite), len(inhibit))
    left = 2 if photo is not None else 1
    fig = Figure(figsize=(1.9 * (left + 0.6 + columns), 4.4))
    grid = fig.add_gridspec(2, left + 1 + columns, width_ratios=[1.6] * left + [0.6] + [1.0] * columns,
                            wspace=0.15, hspace=0.45)
    unit_axes = fig.add_subplot(grid[:, left - 1])
    panels = [(unit_axes, unit_picture, f"{found.layer} · unit {found.channel}\nwhat it wants")]
    if photo is not None:
        panels.append((fig.add_subplot(grid[:, 0]), photo, "measured on the photo\n(its field outlined)"))
    pictures = iter(input_pictures)
    for row, group in enumerate((excite, inhibit)):
        for column, (channel, value) in enumerate(group):
            ax = fig.add_subplot(grid[row, left + 1 + column])
            share = found.share(value)
            panels.append((ax, next(pictures), f"{found.source} · {channel}\n{value:+.3g} ({100 * share:+.0f}%)"))
            _connect(fig, unit_axes, ax, share)
    for ax, picture, caption in panels:
        ax.imshow(picture.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy(), interpolation="nearest")
        ax.set_title(caption, fontsize=7)
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.text(0.5, 0.0, "share: of the positive gradient x activation summed over the source map; green lines excite, "
             "red inhibit, width by share", ha="center", fontsize=7)
    return fig


def hierarchy_figure(model: LoadedModel, hierarchy: Hierarchy, views: dict, renders: dict[str, torch.Tensor],
                     evidence: dict | None = None, circuits: dict | None = None,
                     pictures: dict | None = None) -> Figure:
    """The strip: photo | per tier 3 units (render, best stimulus, top patches, projection, activation map),
    each named in words by its probe | the classes. `evidence` is `viz.views.evidence.evidence`'s result.

    With `circuits` and `pictures` (stages 4 and 5), a narrow column before each contour and part tier shows
    each unit's inputs from the tier below, linked to the unit by lines (`_draw_inputs`).
    """
    tiers = list(hierarchy.units)
    evidence = evidence or {}
    circuits = circuits or {}
    linked = [tier for tier in tiers if any((u.layer, u.channel) in circuits for u in hierarchy.units[tier])]
    ratios = [2.6] + [r for tier in tiers for r in ([1.0] if tier in linked else []) + [4.7]] + [2.2]
    fig = Figure(figsize=(3.2 + 5.0 * len(tiers) + 1.1 * len(linked) + 2.6, 4.9))
    outer = fig.add_gridspec(1, len(ratios), width_ratios=ratios, wspace=0.12)
    ax = fig.add_subplot(outer[0])
    ax.imshow(hierarchy.image.permute(1, 2, 0).numpy())
    ax.set_title("visible layer (the photo)", fontsize=9)
    ax.axis("off")
    column, unit_axes = 0, {}
    for tier in tiers:
        column += 1 + (tier in linked)
        header = fig.add_subplot(outer[column])
        header.axis("off")
        header.set_title(f"{tier}\nrender · best stimulus · top patches · in the photo · where", fontsize=8, pad=18)
        inner = outer[column].subgridspec(len(hierarchy.units[tier]), 5, wspace=0.05, hspace=0.45)
        rendering = renders.get(tier)
        for row, unit in enumerate(hierarchy.units[tier]):
            view = views[(unit.layer, unit.channel)]
            named = evidence.get((unit.layer, unit.channel))
            shown = [rendering[row] if rendering is not None else None,
                     named.stimulus if named is not None else None,
                     named.patches if named is not None else None, view.projection, view.heat]
            for j, picture in enumerate(shown):
                ax = fig.add_subplot(inner[row, j])
                ax.axis("off")
                if picture is not None:
                    ax.imshow(picture.float().clamp(0, 1).permute(1, 2, 0).numpy(), interpolation="lanczos")
                elif named is not None and j == 1:
                    ax.text(0.5, 0.5, "no stimulus\ndrives it", ha="center", va="center", fontsize=5, color="grey")
                if j == 0:
                    words = f": {short_words(named.probe_words, named.support)}" if named is not None else ""
                    ax.set_title(textwrap.fill(f"{unit.layer} · {unit.channel}{words}", TITLE_CHARACTERS), fontsize=6,
                                 loc="left")
                    unit_axes[(unit.layer, unit.channel)] = ax
        if tier in linked:
            _draw_inputs(fig, outer[column - 1], hierarchy.units[tier], unit_axes, circuits, pictures or {})
    ax = fig.add_subplot(outer[-1])
    labels = [label for label, _ in hierarchy.predictions][::-1]
    ax.barh(range(len(labels)), [p for _, p in hierarchy.predictions][::-1], color="#4c72b0")
    ax.set_yticks(range(len(labels)), [label[:22] for label in labels], fontsize=7)
    ax.yaxis.tick_right()
    ax.set_xlim(0, 1)
    ax.tick_params(axis="x", labelsize=6)
    ax.set_title("output (object identity)", fontsize=9)
    fig.suptitle(f"{model.name} ({'untrained' if model.untrained else 'trained'}): the units that matter "
                 f"for this photo, by {hierarchy.by}", fontsize=10, y=1.06)
    if evidence:
        sets = by_image_set(evidence)
        fig.text(0.5, -0.02, "top patches: " + "; ".join(f"{', '.join(layers)} from {where}" for where, layers in
                                                         sets.items()), ha="center", fontsize=6)
    return fig


def _draw_inputs(fig: Figure, cell, units: list[TierUnit], unit_axes: dict, circuits: dict, pictures: dict) -> None:
    """In `cell`: per unit its excitatory inputs (pictures, channel and share), a line from each to the unit."""
    rows = [(u, c, v) for u in units for c, v in circuits[(u.layer, u.channel)].inputs if v > 0]
    header = fig.add_subplot(cell)
    header.axis("off")
    header.set_title("built from\n(share)", fontsize=7, pad=16)
    inner = cell.subgridspec(max(1, len(rows)), 1, hspace=0.35)
    for row, (unit, channel, value) in enumerate(rows):
        found = circuits[(unit.layer, unit.channel)]
        ax = fig.add_subplot(inner[row, 0])
        ax.axis("off")
        picture = pictures.get((found.source, channel))
        if picture is not None:
            ax.imshow(picture.float().clamp(0, 1).permute(1, 2, 0).numpy(), interpolation="nearest")
        share = found.share(value)
        ax.set_title(f"{channel} · {100 * share:.0f}%", fontsize=5, pad=1)
        fig.add_artist(ConnectionPatch((1.0, 0.5), (0.0, 0.5), "axes fraction", "axes fraction", axesA=ax,
                                       axesB=unit_axes[(unit.layer, unit.channel)], color="#2ca02c",
                                       linewidth=0.4 + 3 * min(1.0, share), alpha=0.8))
