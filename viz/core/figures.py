"""Figure drawing: image mosaics, colormapped maps, a box outlined, a map over a photo, captioned grids: the
pieces every figure is built from.

Every figure the app shows is built from these, so the CLI can export the same picture (`viz.core.export`).
Figures are plain `matplotlib.figure.Figure` objects, never pyplot's: pyplot keeps every figure alive in a
global registry, a leak in a long-running app server, and would pick a GUI backend.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from models.errors import UserError

from .checks import check_choice
from .receptive_field import Box

HEAT_OPACITY = 0.6  # the activation map's share over the dimmed photo in "where it fires"


def tile(images: torch.Tensor, columns: int, pad: int = 2, fill: float = 1.0) -> torch.Tensor:
    """(N,3,H,W) -> one (3, H', W') mosaic, row-major, with `pad` pixels of `fill` between tiles."""
    n, c, h, w = images.shape
    rows = -(-n // columns)
    out = torch.full((c, rows * (h + pad) - pad, columns * (w + pad) - pad), fill, dtype=images.dtype)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        out[:, r * (h + pad) : r * (h + pad) + h, col * (w + pad) : col * (w + pad) + w] = image.cpu()
    return out


BACKGROUNDS = ("checker", "white")


def on_background(images: torch.Tensor, alpha: torch.Tensor, background: str = "checker", square: int = 8) -> torch.Tensor:
    """(N,3,H,W) pictures with (N,1,H,W) opacity in [0,1] drawn over white or a light checkerboard of
    `square`-px squares (the MACO paper's way of showing a transparency map)."""
    check_choice(background, BACKGROUNDS, "background")
    h, w = images.shape[2:]
    under = torch.ones(1, 1, h, w, dtype=images.dtype)
    if background == "checker":
        y, x = torch.arange(h).view(-1, 1) // square, torch.arange(w).view(1, -1) // square
        under = torch.where((y + x) % 2 == 0, 1.0, 0.8).to(images.dtype)[None, None]
    alpha = alpha.to(images.dtype)
    return images * alpha + under.to(images.device) * (1 - alpha)


def colorize(
    values: torch.Tensor, vmin: float | None = None, vmax: float | None = None, cmap: str = "viridis"
) -> torch.Tensor:
    """A (H,W) map -> (3,H,W) RGB in [0,1] through a matplotlib colormap; limits default to the map's range."""
    values = values.detach().float().cpu()
    low = float(values.min()) if vmin is None else vmin
    high = float(values.max()) if vmax is None else vmax
    scaled = ((values - low) / max(high - low, 1e-12)).clamp(0, 1)
    rgba = matplotlib.colormaps[cmap](scaled.numpy())
    return torch.from_numpy(rgba[..., :3]).float().permute(2, 0, 1)


def outline(image: torch.Tensor, box: Box, colour=(1.0, 0.85, 0.0), width: int = 2) -> torch.Tensor:
    """A copy of (3,H,W) `image` with `box` drawn as a rectangle."""
    out = image.clone()
    c = torch.tensor(colour, dtype=out.dtype).view(3, 1, 1)
    top, left, bottom, right = box.top, box.left, box.bottom, box.right
    out[:, top : top + width, left:right] = c
    out[:, max(bottom - width, top) : bottom, left:right] = c
    out[:, top:bottom, left : left + width] = c
    out[:, top:bottom, max(right - width, left) : right] = c
    return out


def heat_overlay(photo: torch.Tensor, amap: torch.Tensor, box: Box | None = None) -> torch.Tensor:
    """The photo, dimmed, under the activation map (bilinear to the photo's size, its own range, inferno), with
    `box` outlined when given: "where it fires" on the landing and the Unit card."""
    size = photo.shape[1:]
    upsampled = F.interpolate(amap[None, None].float(), size=size, mode="bilinear", align_corners=False)[0, 0]
    mixed = (1 - HEAT_OPACITY) * photo.float() + HEAT_OPACITY * colorize(upsampled, vmin=0.0, cmap="inferno")
    return outline(mixed, box) if box is not None else mixed


def grid_figure(
    images: Sequence[torch.Tensor] | torch.Tensor,
    captions: Sequence[str] | None = None,
    title: str | None = None,
    columns: int | None = None,
    panel_inches: float = 1.8,
) -> Figure:
    """A grid of (3,H,W) images in [0,1], each with its caption, under an optional title."""
    images = list(images)
    if not images:
        raise UserError("nothing to draw: the figure has no images")
    captions = list(captions) if captions is not None else [""] * len(images)
    columns = max(1, min(columns or min(len(images), 8), len(images)))
    rows = -(-len(images) // columns)
    aspect = images[0].shape[1] / images[0].shape[2]
    title_inches = 0.15 + 0.2 * (title.count("\n") + 1) if title else 0  # a wrapped title takes its lines' height
    height = rows * panel_inches * aspect + 0.35 * rows + title_inches
    fig = Figure(figsize=(columns * panel_inches, height))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, caption in zip(axes.flat, images, captions):
        ax.imshow(image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy(), interpolation="lanczos")
        ax.set_title(caption, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
