"""Receptive-field renders: optimize a picture of just what one neuron can see, enlarged to the render size.

A low unit (an edge detector of Lite0's `_blocks.1` sees 11x11 input pixels) rendered on a whole 224-px
canvas is a speck in the middle of noise; cropping that speck out of a full render and enlarging it gives
an 11-pixel blur. Here the picture *is* the field: the render-size picture goes through the usual random
transforms, is resized (antialiased) to the field's box and pasted into a grey canvas at that box, and the
neuron whose field it is gets maximized. The returned picture therefore covers exactly the field, and every
pixel of it is one the neuron sees.

The canvas is as small as the field allows: for `(layer, channel)` or `(layer, channel, None, None)` the
neuron is the centre of the smallest canvas on which its field is not cut by the border (for `_blocks.1`,
a 24-px canvas instead of 224: the render costs a fraction of a full one). A convolutional network computes
the same function of an uncut field wherever it sits, so this is the centre neuron of the full-size input too.
A unit whose field is larger than the model's input gets the whole input (the field cut by the border, as in
a plain neuron render). Explicit `(layer, channel, y, x)` reads that neuron on the model's full input.

Limits: networks that are not translation-equivariant up to the layer (e.g. with position embeddings)
would see a different function on the small canvas; give explicit positions for those.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models import LoadedModel
from models.errors import UserError

from ..core.images import GREY
from ..core.receptive_field import Box, centre_field, field_map, sees_whole_field, uncut
from ..serving.cache import DiskCache
from . import objectives as obj

CANVAS_STEP = 8  # canvas sides tried when searching the smallest one that holds a centre field uncut


@dataclass(frozen=True)
class FieldPlan:
    """Where each unit's picture goes: one canvas side for the batch, one box and neuron per unit."""

    canvas: int  # side of the square input the network sees
    boxes: tuple[Box, ...]  # per unit: the input pixels its neuron sees, where its picture is pasted
    objectives: tuple[obj.Neuron, ...]  # per unit: the neuron maximized (a position on the canvas's map)

    def part(self, start: int, stop: int) -> "FieldPlan":
        return FieldPlan(self.canvas, self.boxes[start:stop], self.objectives[start:stop])


def centre_canvas(model: LoadedModel, layer: str) -> int:
    """The smallest canvas side on which `layer`'s centre neuron sees its whole field (else the input size).

    The search measures fields at several canvas sides (seconds for a deep layer), so the answer is kept on
    disk, keyed by the network's structure (its module tree), not its weights.
    """
    key = {"structure": hashlib.sha256(repr(model.net).encode()).hexdigest(), "layer": layer,
           "input_size": model.input_size}
    return int(DiskCache("fields").get_or_compute(key, lambda: {"canvas": _search_canvas(model, layer)})["canvas"])


def _search_canvas(model: LoadedModel, layer: str) -> int:
    full = model.input_size
    _, box = centre_field(model, layer, full)
    if not sees_whole_field(model, layer):
        return full
    side = -(-(max(box.height, box.width) + 2) // CANVAS_STEP) * CANVAS_STEP
    while side < full:
        _, small = centre_field(model, layer, side)
        if uncut(small, side) and (small.height, small.width) == (box.height, box.width):
            return side
        side += CANVAS_STEP
    return full


def plan_fields(model: LoadedModel, units) -> FieldPlan:
    """The canvas, boxes and neurons for `units`: (layer, channel) or (layer, channel, y, x), y/x may be None."""
    parsed = []
    for unit in units:
        if not isinstance(unit, tuple) or len(unit) not in (2, 4) or not isinstance(unit[0], str):
            raise UserError(f"a field render takes units (layer, channel) or (layer, channel, y, x), not {unit!r}")
        layer, channel = unit[0], unit[1]
        y, x = unit[2:] if len(unit) == 4 else (None, None)
        if (y is None) != (x is None):
            raise UserError(f"give both y and x or neither (the centre), not {unit!r}")
        if not isinstance(channel, int) or not 0 <= channel < model.layer(layer).channels:
            raise UserError(f"channel {channel!r} is out of range for {layer}: choose 0-{model.layer(layer).channels - 1}")
        parsed.append((layer, channel, y, x))
    explicit = any(y is not None for _, _, y, _ in parsed)
    canvas = model.input_size if explicit else max(centre_canvas(model, layer) for layer, *_ in parsed)
    boxes, neurons = [], []
    for layer, channel, y, x in parsed:
        if y is None:
            (y, x), box = centre_field(model, layer, canvas)
        else:
            box = field_map(model, layer, canvas).box(int(y), int(x))
        boxes.append(box)
        neurons.append(obj.Neuron(layer, channel, int(y), int(x)))
    return FieldPlan(canvas, tuple(boxes), tuple(neurons))


def paste(pictures: torch.Tensor, boxes, canvas: int) -> torch.Tensor:
    """(N,3,S,S) pictures -> (N,3,canvas,canvas): picture i resized into box i, grey elsewhere (differentiable)."""
    out = []
    for picture, box in zip(pictures, boxes):
        small = F.interpolate(picture[None] - GREY, size=(box.height, box.width), mode="bilinear",
                              antialias=True, align_corners=False)
        out.append(F.pad(small, (box.left, canvas - box.right, box.top, canvas - box.bottom)) + GREY)
    return torch.cat(out)


def as_seen(pictures: torch.Tensor, boxes, size: int) -> torch.Tensor:
    """Each picture as its neuron sees it (antialiased to its box's pixels), enlarged back to `size`.

    Detail finer than the field's own pixels never reaches the neuron, so it is never optimized and stays
    as noise from the random start; showing the field's pixels enlarged shows only what was optimized.
    Enlarged 3x or more, each field pixel becomes a visible square (nearest neighbour): a smooth upsampling
    of an 11-pixel field blurs its edges away, and the squares say honestly how coarse the field is.
    """
    out = []
    for picture, box in zip(pictures, boxes):
        small = F.interpolate(picture[None], size=(box.height, box.width), mode="bilinear", antialias=True,
                              align_corners=False)
        mode = "nearest-exact" if size >= 3 * max(box.height, box.width) else "bicubic"
        out.append(F.interpolate(small, size=(size, size), mode=mode).clamp(0, 1))
    return torch.cat(out)
