"""How a projection is shown: the legible magnitude view (default in the app and figures) or the signed colours.

A raw projection (`project`) is signed, per colour channel, at single-pixel resolution. Shown as signed colours
(`to_display`) a low unit of EfficientNet-Lite0 looks like per-pixel colour confetti, for three measured reasons
(docs/projections.md): the colour channels carry opposite signs that say little about the patch, the first
convolution's stride-2 transposed filters leave a pixel-scale pattern, and the contrast stretch is taken over
the whole image, most of which lies outside the unit's field and is exactly zero, so everything inside
saturates. The "magnitude" view keeps where the signal is strong and drops the rest:

1. |signal| summed over the colour channels (the quantity `viz.metrics.edge_agreement` measures),
2. a Gaussian blur of standard deviation half the first layer's stride in input pixels: that stride is the
   period of the pixel pattern its transposed filters leave (1 px for Lite0's stride-2 stem). A blur at a
   deeper layer's stride (std 2 px at `_blocks.2`) scores higher on `edge_agreement` but shows only the unit's
   average sensitivity blob (it correlates 0.97 with it), not the patch: measured, docs/projections.md,
3. contrast by the `percentile` of the non-zero values only (the unit's field), clipped to [0,1]: black is
   no signal, white the strongest.

The raw signed signal stays what `project` returns; only the picture changes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models import LoadedModel
from models.errors import UserError

from ..core.checks import check_choice, check_images
from ..core.receptive_field import crop_field, field_map
from .projection import project, to_display

DISPLAYS = ("magnitude", "signed")
SIGMA_PER_STRIDE = 0.5  # blur std as a fraction of the first layer's stride (chosen by eye and on held-out units)


def layer_stride(model: LoadedModel, layer: str) -> int:
    """The distance in input pixels between neighbouring units of `layer` (read from their fields' tops)."""
    tops = [top for top, _ in field_map(model, layer).rows]
    middle = len(tops) // 2
    return max(1, tops[middle + 1] - tops[middle]) if len(tops) > 1 else 1


def blur_sigma(model: LoadedModel) -> float:
    """The magnitude view's blur, in input pixels: half the stride of the model's first visualizable layer."""
    return SIGMA_PER_STRIDE * layer_stride(model, model.layers[0].name)


def gaussian_blur(maps: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N,C,H,W) blurred by a separable Gaussian of std `sigma` pixels (zero outside); sigma 0: unchanged."""
    if sigma <= 0:
        return maps
    radius = max(1, int(3 * sigma + 0.5))
    x = torch.arange(-radius, radius + 1, dtype=maps.dtype, device=maps.device)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = maps.shape[1]
    rows = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    cols = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    out = F.conv2d(maps, rows, padding=(0, radius), groups=channels)
    return F.conv2d(out, cols, padding=(radius, 0), groups=channels)


def magnitude(projection: torch.Tensor, sigma: float, percentile: float = 99.0) -> torch.Tensor:
    """Signed (N,3,H,W) projections -> (N,3,H,W) grey in [0,1]: blurred |signal| over colour, black = none.

    Each image is scaled on its own by the `percentile` of its non-zero values; an all-zero one stays black.
    """
    check_images(projection, name="projections")
    if not 0 < percentile <= 100:
        raise UserError(f"percentile {percentile!r} is out of range; choose one in (0, 100]")
    strength = gaussian_blur(projection.detach().float().abs().sum(dim=1, keepdim=True), float(sigma))
    scales = []
    for values in strength.flatten(1):
        inside = values[values > values.amax() * 1e-6]
        scales.append(torch.quantile(inside, percentile / 100.0) if len(inside) else values.new_tensor(1.0))
    scale = torch.stack(scales).clamp(min=1e-12).view(-1, 1, 1, 1)
    return (strength / scale).clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def show(projection: torch.Tensor, model: LoadedModel, display: str = "magnitude") -> torch.Tensor:
    """Projections (N,3,H,W) onto `model`'s input as pictures in [0,1], in the chosen `display` (module docstring)."""
    if check_choice(display, DISPLAYS, "projection display") == "magnitude":
        return magnitude(projection, blur_sigma(model))
    return to_display(projection)


def field_projection(model: LoadedModel, photo: torch.Tensor, layer: str, channel: int, position: tuple[int, int],
                     method: str = "guided") -> torch.Tensor:
    """What in `photo` (3,S,S) drove the unit at `position`: the projection of the unit over that neuron's
    receptive field (`project(..., extent="field")`), shown legibly (`show`: strength, black where there is
    none), cropped to the field (black where the photo's border cuts it)."""
    fields = field_map(model, layer)
    signal = project(model, photo[None], layer, channel, method, position=position, extent="field")
    return crop_field(show(signal, model, "magnitude")[0], fields.box(*position), fields.size, fill=0.0)


def shown_signal(pictures: torch.Tensor, display: str) -> torch.Tensor:
    """What a picture from `show` displays as signal, for `edge_agreement`: its departure from the zero level."""
    return pictures - 0.5 if display == "signed" else pictures


DISPLAY_LABEL = {  # a figure's title line
    "magnitude": "|signal| over colour, blurred at the first layer's stride, 99th-percentile contrast (black: none)",
    "signed": "raw signed colours (grey: zero)",
}
DISPLAY_NOTE = {  # the help beside a projection in the app
    "magnitude": "Shown: the projection's strength, |signal| summed over the colour channels, blurred by a Gaussian "
    "of half the first layer's stride to remove the pixel pattern of its stride-2 convolution, "
    "and scaled by the 99th percentile inside the unit's field (black: no signal, white: strongest). The raw "
    "signed signal is viz.project's output.",
    "signed": "Shown: the raw signed projection per colour channel, mid-grey = zero, contrast by the 99.5th "
    "percentile of the whole image.",
}
