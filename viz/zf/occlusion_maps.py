"""Occlusion sensitivity (Zeiler & Fergus 2014, Figure 7): slide a grey square over the image and watch.

For every position of the square the network sees the occluded image once; two maps come back, indexed by
the square's position: the probability of the true class (the top prediction on the clean image unless
given) and the total activation of one feature map (the strongest on the clean image unless given), or of
one unit of it. A low value at a position means that part of the image mattered.

Occluded images go through the network in batches, with the feature map captured on the way to the
output, so each image costs one forward pass. captum's `Occlusion` was not used: it returns a per-pixel
average over all squares covering a pixel of (clean - occluded) for one scalar target, not the per-position
maps of the paper, and it would need one pass per target; where its windows tile the image without overlap
the two agree (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.checks import check_channel, check_class, check_image, check_position
from ..core.hooks import Capture
from ..core.images import GREY  # the occluder
from ..core.progress import Progress


@dataclass(frozen=True)
class OcclusionMaps:
    """Maps indexed by the occluder's position: row i, column j = square at (tops[i], lefts[j])."""

    probability: torch.Tensor | None  # (rows, cols) probability of `target`; None without a classifier output
    activation: torch.Tensor | None  # (rows, cols) of the chosen feature map (or unit); None without a layer
    target: int | None  # class index
    clean_probability: float | None
    layer: str | None
    channel: int | None
    clean_activation: float | None
    tops: list[int]
    lefts: list[int]
    window: int

    def worst_probability(self) -> float | None:
        """The probability of `target` with the square in the worst place; None without a classifier output."""
        return None if self.probability is None else float(self.probability.min())


def _starts(size: int, window: int, stride: int) -> list[int]:
    """Square positions from the first edge to the last, the last one flush with the image border."""
    starts = list(range(0, size - window + 1, stride))
    if starts[-1] != size - window:
        starts.append(size - window)
    return starts


def occlusion(
    model: LoadedModel,
    image: torch.Tensor,
    window: int | None = None,
    stride: int | None = None,
    target: int | None = None,
    layer: str | None = None,
    channel: int | None = None,
    position: tuple[int, int] | None = None,
    batch_size: int = 32,
    progress: Progress | None = None,
) -> OcclusionMaps:
    """Occlusion maps for one (3,H,W) image in [0,1] (already at the size the network should see).

    `window` defaults to a quarter of the image side and `stride` to half the window. `layer` (optional)
    adds the activation map: the total of `channel` (default: the clean image's strongest channel), or the
    single unit at `position`.
    """
    check_image(image)
    height, width = image.shape[1:]
    window = int(window or max(1, min(height, width) // 4))
    stride = int(stride or max(1, window // 2))
    if not 1 <= window <= min(height, width):
        raise UserError(f"window {window} must be between 1 and the image side ({min(height, width)} px)")
    if not 1 <= stride <= window:
        raise UserError(f"stride {stride} must be between 1 and the window ({window} px)")
    tops, lefts = _starts(height, window, stride), _starts(width, window, stride)
    boxes = [(t, l) for t in tops for l in lefts]

    clean_out, clean_act = _forward(model, image[None], layer)
    probs = _probabilities(clean_out)
    if probs is not None and target is None:
        target = int(probs[0].argmax())
    if probs is not None:
        target = check_class(target, probs.shape[1])
    if clean_act is not None:
        channel = _pick_channel(clean_act, channel)
        _unit(clean_act, channel, position)  # validates the position before the sweep

    prob_values, act_values = [], []
    for start in range(0, len(boxes), batch_size):
        chunk = boxes[start : start + batch_size]
        occluded = image[None].repeat(len(chunk), 1, 1, 1)
        for i, (top, left) in enumerate(chunk):
            occluded[i, :, top : top + window, left : left + window] = GREY
        out, act = _forward(model, occluded, layer)
        if probs is not None:
            prob_values.append(_probabilities(out)[:, target])
        if act is not None:
            act_values.append(_unit(act, channel, position))
        if progress is not None:
            progress(min(start + batch_size, len(boxes)), len(boxes))

    def as_map(values):
        return torch.cat(values).view(len(tops), len(lefts)).cpu() if values else None

    return OcclusionMaps(
        probability=as_map(prob_values),
        activation=as_map(act_values),
        target=target if probs is not None else None,
        clean_probability=float(probs[0, target]) if probs is not None else None,
        layer=layer,
        channel=channel,
        clean_activation=float(_unit(clean_act, channel, position)[0]) if clean_act is not None else None,
        tops=tops,
        lefts=lefts,
        window=window,
    )


def _forward(model: LoadedModel, images: torch.Tensor, layer: str | None):
    """(network output, layer output or None), from one forward pass."""
    x = model.normalize(images.to(model.device))
    with torch.no_grad():
        if layer is None:
            return model.net(x), None
        with Capture(model, [layer], stop=False) as capture:
            acts = capture.run(x)
        return capture.output, acts[layer]


def _probabilities(out) -> torch.Tensor | None:
    return out.float().softmax(dim=1) if isinstance(out, torch.Tensor) and out.dim() == 2 else None


def _pick_channel(act: torch.Tensor, channel: int | None) -> int:
    totals = act[0].flatten(1).sum(dim=1) if act.dim() > 2 else act[0]
    if channel is None:
        return int(totals.argmax())
    return check_channel(channel, len(totals))


def _unit(act: torch.Tensor, channel: int, position: tuple[int, int] | None) -> torch.Tensor:
    """Per image: the channel's total activation, or the unit at `position`."""
    maps = act[:, channel].float()
    if position is None:
        return maps.flatten(1).sum(dim=1) if maps.dim() > 1 else maps
    if maps.dim() != 3:
        raise UserError(f"this layer's output has shape {tuple(act.shape[1:])}; a position needs a 2-D map")
    y, x = check_position(position, *maps.shape[1:])
    return maps[:, y, x]
