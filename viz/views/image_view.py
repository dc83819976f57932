"""The Image page's computations: a layer's feature maps on one photo, strongest first, and their projections."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models import LoadedModel, UserError

from ..core.activations import activations
from ..core.figures import colorize
from ..core.images import fit_square
from ..zf.projection import project, to_display


def strongest_maps(model: LoadedModel, image: torch.Tensor, layer: str, count: int = 16):
    """(channels, pictures): the `count` channels of `layer` with the highest peak on the photo, strongest
    first, each map coloured on one shared scale (so a weak map looks weak) and enlarged to the input size."""
    photo = fit_square(image, model.input_size).float().cpu()
    maps = activations(model, photo[None], layer)[layer][0].float().cpu()
    if maps.dim() != 3:
        raise UserError(f"{layer} has no spatial maps (output shape {tuple(maps.shape)}); choose a conv layer")
    peaks = maps.flatten(1).amax(dim=1)
    channels = peaks.argsort(descending=True)[:count].tolist()
    high = float(peaks.max()) or 1.0
    big = F.interpolate(maps[channels][:, None], size=photo.shape[1:], mode="nearest")[:, 0]
    return channels, [colorize(m, vmin=0.0, vmax=high, cmap="inferno") for m in big]


def projections(model: LoadedModel, image: torch.Tensor, layer: str, channels: list[int], method: str) -> list:
    """For each channel, its strongest activation on the photo projected to pixels (`method`), for viewing."""
    photo = fit_square(image, model.input_size).float().cpu()[None]
    return [to_display(project(model, photo, layer, c, method))[0] for c in channels]
