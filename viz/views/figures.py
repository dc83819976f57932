"""Figures of the views: features while training (Zeiler & Fergus 2014, Figure 4); a unit and its circuit."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch

from ..circuits import Circuit
from ..core.figures import tile
from .evolution import Evolution


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
