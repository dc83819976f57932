"""Layer activations for a batch of images, running the network only as far as the deepest layer asked, and
where a map peaks (`peak_position`, `peak_positions`: argmax -> (y, x), written once)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from models import LoadedModel
from models.errors import UserError

from .hooks import Capture


def activations(
    model: LoadedModel, images: torch.Tensor, layers: str | Iterable[str], grad: bool = False
) -> dict[str, torch.Tensor]:
    """`{layer: output}` for (N,3,H,W) images in [0,1]; later modules never run.

    With `grad=True` the outputs stay attached to `images`' autograd graph (for objectives and projections).
    """
    names = [layers] if isinstance(layers, str) else list(layers)
    x = model.normalize(images.to(model.device))
    with torch.set_grad_enabled(grad), Capture(model, names, stop=True) as capture:
        return capture.run(x)


def unravel(flat: int, width: int) -> tuple[int, int]:
    """(y, x) of index `flat` into a map `width` wide, laid out row after row (as `flatten` lays it out)."""
    return divmod(int(flat), int(width))


def peak_positions(maps: torch.Tensor) -> list[tuple[int, int]]:
    """(y, x) of the largest value of each (H, W) map of an (N, H, W) stack (the first in reading order on ties)."""
    return [unravel(i, maps.shape[-1]) for i in maps.flatten(1).argmax(dim=1).tolist()]


def peak_position(amap: torch.Tensor) -> tuple[int, int]:
    """(y, x) of the largest value of one (H, W) activation map: where a unit is shown on a photo."""
    return peak_positions(amap[None])[0]


def classify(model: LoadedModel, images: torch.Tensor, top: int = 5) -> list[list[tuple[str, float]]]:
    """Top-`top` (label, probability) for each image of an (N,3,H,W) batch in [0,1]."""
    if model.labels is None:
        raise UserError(f"{model.name} has no class labels; classification needs a labelled output layer")
    top = max(1, min(int(top), len(model.labels)))
    with torch.no_grad():
        probs = model.net(model.normalize(images.to(model.device))).float().softmax(dim=1)
    values, indices = probs.topk(top, dim=1)
    return [
        [(model.labels[i], float(v)) for v, i in zip(row_v.tolist(), row_i.tolist())]
        for row_v, row_i in zip(values, indices)
    ]
