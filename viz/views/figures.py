"""Figures of the views: features while training (Zeiler & Fergus 2014, Figure 4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

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
