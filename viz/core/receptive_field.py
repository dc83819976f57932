"""Receptive fields: the box of input pixels that can influence a unit, for any network graph.

Walking kernel sizes and strides layer by layer breaks on branches (Inception, residual blocks) and on
TensorFlow-style asymmetric padding, so the field is measured instead: the support of the unit's gradient
with respect to the input. A real network's gradient can vanish inside the field (a ReLU that is off, a
max-pool switch that points elsewhere, weights that cancel), so the gradient is taken through a structural
stand-in of the network, run under a `TorchFunctionMode` without touching the shared model: every
convolution and linear layer averages its inputs (weights 1/fan-in, no bias), rectifiers, activations and
batch norm pass values through, max-pooling becomes average pooling with the same window. On an all-ones
input every path then carries a positive gradient, so the support is exactly the set of connected pixels.

The row range of a unit depends only on its row, the column range only on its column, so a map's fields
are measured from its diagonal units in one batch, in float64 (float32 where the device lacks it) so
that the faint edge of a deep unit's field does not underflow to zero.

Limits: a network that slices its channels in a way that still runs with one channel (and so does not
fall back) could be misjudged; ops the stand-in does not know keep their own gradient (a global `amax`
routes to one pixel); a dilated max-pool is kept as it is. A unit of a flat (N, C) layer sees the whole image.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from models import LoadedModel
from models.errors import UserError

from .checks import check_position
from .hooks import Capture
from .rectifiers import FUNCTIONAL_ACTIVATIONS, FUNCTIONAL_RECTIFIERS

CHUNK = 16  # diagonal units per backward pass when the full channel counts are needed


@dataclass(frozen=True)
class Box:
    """Input pixels [top, bottom) x [left, right), clipped to the image."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


@dataclass(frozen=True)
class FieldMap:
    """Receptive fields of every unit of one layer's map, for a square input of `input_size` pixels."""

    rows: tuple[tuple[int, int], ...]  # (top, bottom) per map row
    cols: tuple[tuple[int, int], ...]  # (left, right) per map column
    input_size: int

    def box(self, y: int, x: int) -> Box:
        y, x = check_position((y, x), len(self.rows), len(self.cols))
        (top, bottom), (left, right) = self.rows[y], self.cols[x]
        return Box(top, left, bottom, right)

    @property
    def size(self) -> tuple[int, int]:
        """The largest field height and width (units at the border have clipped fields)."""
        return max(b - t for t, b in self.rows), max(r - l for l, r in self.cols)


_CONVS = {F.conv1d, F.conv2d, F.conv3d}
_PASS_THROUGH = FUNCTIONAL_RECTIFIERS | FUNCTIONAL_ACTIVATIONS | {F.dropout, F.dropout2d}


class _Structural(TorchFunctionMode):
    """Runs a network as its connectivity: averaging filters, pass-through activations, average pools.

    With `single_channel` every convolution also averages over all its input channels into one output
    channel (channels of the stand-in would all be equal anyway), which makes the probe ~100x cheaper; a
    network that indexes channels (channel shuffles, slicing) fails that way and is measured with the full
    channel counts instead.
    """

    def __init__(self, single_channel: bool):
        super().__init__()
        self.single_channel = single_channel

    def _filter(self, weight: torch.Tensor, x: torch.Tensor, groups: int) -> tuple[torch.Tensor, int]:
        if self.single_channel:
            shape, groups = (1, x.shape[1], *weight.shape[2:]), 1
        else:
            shape = tuple(weight.shape)
        fan_in = 1
        for side in shape[1:]:
            fan_in *= side
        return torch.full(shape, 1.0 / fan_in, dtype=x.dtype, device=x.device), groups

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in _CONVS:
            x, weight = args[0], args[1]
            kwargs.pop("bias", None)
            geometry = dict(zip(("stride", "padding", "dilation", "groups"), args[3:]), **kwargs)
            geometry["weight"], geometry["groups"] = self._filter(weight, x, geometry.get("groups", 1))
            return func(x, **geometry)
        if func is F.linear:
            x = args[0]
            return x.mean(dim=-1, keepdim=True) if self.single_channel else F.linear(x, self._filter(args[1], x, 1)[0])
        if func in _PASS_THROUGH or func is F.batch_norm:
            return args[0]
        if func is F.max_pool2d and kwargs.get("dilation", args[4] if len(args) > 4 else 1) in (1, (1, 1)):
            return _as_average_pool(*args, **kwargs)
        if func is F.adaptive_max_pool2d:
            return F.adaptive_avg_pool2d(args[0], args[1] if len(args) > 1 else kwargs["output_size"])
        return func(*args, **kwargs)


def _as_average_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    pooled = F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode=ceil_mode, count_include_pad=True)
    return (pooled, None) if return_indices else pooled


_CACHE: weakref.WeakKeyDictionary[nn.Module, dict] = weakref.WeakKeyDictionary()


def field_map(model: LoadedModel, layer: str, input_size: int | None = None) -> FieldMap:
    """The receptive field of every unit of `layer` for a square input (default: the model's input size).

    Computed once per network, layer and size, then remembered while the network exists.
    """
    size = int(input_size or model.input_size)
    known = _CACHE.setdefault(model.net, {})
    if (layer, size) not in known:
        known[(layer, size)] = _measure(model, layer, size)
    return known[(layer, size)]


def receptive_field(model: LoadedModel, layer: str, position: tuple[int, int], input_size: int | None = None) -> Box:
    """The input box that can influence unit `position` = (y, x) of `layer`'s map."""
    return field_map(model, layer, input_size).box(*position)


WHITE = 1.0  # fills the part of a receptive field that lies outside the image, in a figure


def uncut(box: Box, canvas: int) -> bool:
    """Whether `box` lies inside a `canvas`-px square input without touching its border (the field is whole)."""
    return box.top > 0 and box.left > 0 and box.bottom < canvas and box.right < canvas


def centre_field(model: LoadedModel, layer: str, canvas: int) -> tuple[tuple[int, int], Box]:
    """((y, x), box): the centre neuron of `layer`'s map on a `canvas`-px input, and its receptive field."""
    fields = field_map(model, layer, canvas)
    position = (len(fields.rows) // 2, len(fields.cols) // 2)
    return position, fields.box(*position)


def sees_whole_field(model: LoadedModel, layer: str) -> bool:
    """Whether `layer`'s centre neuron sees its whole receptive field inside the model's input."""
    return uncut(centre_field(model, layer, model.input_size)[1], model.input_size)


def crop_field(image: torch.Tensor, box: Box, size: tuple[int, int], fill: float = WHITE) -> torch.Tensor:
    """Crop (3,H,W) to `box`, then pad with `fill` to the field's full `size` where the image border cut it."""
    patch = image[:, box.top : box.bottom, box.left : box.right]
    out = torch.full((3, *size), fill, dtype=patch.dtype)
    top = size[0] - box.height if box.top == 0 and box.bottom < image.shape[1] else 0
    left = size[1] - box.width if box.left == 0 and box.right < image.shape[2] else 0
    out[:, top : top + box.height, left : left + box.width] = patch[:, : size[0], : size[1]]
    return out


def _extent(hits: torch.Tensor) -> list[tuple[int, int]]:
    """Per row of a (B, L) boolean tensor: first and one-past-last True index ((0, 0) if none)."""
    length = hits.shape[1]
    first = torch.where(hits.any(dim=1), hits.int().argmax(dim=1), 0)
    last = length - hits.flip(1).int().argmax(dim=1)
    return [(int(f), int(l)) if any_hit else (0, 0) for f, l, any_hit in zip(first, last, hits.any(dim=1))]


def _measure(model: LoadedModel, layer: str, size: int) -> FieldMap:
    try:
        return _measure_with(model, layer, size, single_channel=True)
    except UserError:
        raise
    except Exception:  # the one-channel stand-in broke a network that splits or indexes its channels
        return _measure_with(model, layer, size, single_channel=False)


def _measure_with(model: LoadedModel, layer: str, size: int, single_channel: bool) -> FieldMap:
    dtype = torch.float32 if model.device.type == "mps" else torch.float64
    probe = torch.ones(1, 3, size, size, dtype=dtype, device=model.device)
    with torch.no_grad(), _Structural(single_channel), Capture(model, [layer]) as capture:
        shape = capture.run(probe)[layer].shape
    if len(shape) != 4:
        return FieldMap(rows=((0, size),), cols=((0, size),), input_size=size)
    height, width = shape[2], shape[3]
    chunk = max(height, width) if single_channel else CHUNK
    rows: list[tuple[int, int]] = []
    cols: list[tuple[int, int]] = []
    for start in range(0, max(height, width), chunk):
        units = range(start, min(start + chunk, max(height, width)))
        x = probe.expand(len(units), -1, -1, -1).clone().requires_grad_(True)
        with torch.enable_grad(), _Structural(single_channel), Capture(model, [layer]) as capture:
            out = capture.run(x)[layer]
            seed = torch.zeros_like(out)
            for i, j in enumerate(units):
                seed[i, :, min(j, height - 1), min(j, width - 1)] = 1.0
            (grad,) = torch.autograd.grad(out, x, grad_outputs=seed)
        reached = grad.detach() != 0
        row_extents = _extent(reached.any(dim=3).any(dim=1))
        col_extents = _extent(reached.any(dim=2).any(dim=1))
        rows += [row_extents[i] for i, j in enumerate(units) if j < height]
        cols += [col_extents[i] for i, j in enumerate(units) if j < width]
    return FieldMap(rows=tuple(rows), cols=tuple(cols), input_size=size)
