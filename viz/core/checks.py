"""Checks of user-given values, written once: each raises `UserError` with the bad value and what is accepted.

Indices (a channel, a class, a position), counts (`k`), choices (a fit mode) and images' shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import torch

from models.errors import UserError


def _check_index(value, count: int, singular: str, plural: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= value < count:
        raise UserError(f"{singular} {value!r} is out of range; {owner} has {plural} 0-{count - 1}")
    return int(value)


def check_channel(channel, count: int, layer: str | None = None) -> int:
    """`channel` as an int in 0..count-1; `layer` names the layer in the message."""
    return _check_index(channel, count, "channel", "channels", f"layer {layer!r}" if layer else "this layer")


def check_class(index, count: int) -> int:
    """A class index of a model with `count` outputs."""
    return _check_index(index, count, "class", "classes", "the model")


def check_position(position, height: int, width: int) -> tuple[int, int]:
    """`(y, x)` inside a height x width map, as ints."""
    try:
        y, x = (int(v) for v in position)
    except (TypeError, ValueError):
        raise UserError(f"a position is (y, x), got {position!r}") from None
    if not (0 <= y < height and 0 <= x < width):
        raise UserError(
            f"position ({y}, {x}) is outside the {height}x{width} map; y must be 0-{height - 1}, x 0-{width - 1}"
        )
    return y, x


def check_whole(value, low: int, high: int, name: str, counts: str = "") -> int:
    """`value` as an int in low..high (a bool or a float is refused); `counts` says what `high` counts."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        what = f" ({counts})" if counts else ""
        raise UserError(f"{name} must be a whole number {low}-{high}{what}, not {value!r}")
    return int(value)


def check_choice(value, choices: Sequence[str], name: str) -> str:
    """`value` if it is one of `choices`; `name` says what is chosen (e.g. "fit mode")."""
    if value not in choices:
        raise UserError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")
    return value


def _shape(value) -> str:
    return str(tuple(value.shape)) if isinstance(value, torch.Tensor) else f"a {type(value).__name__}"


def check_image(image, name: str = "the image") -> torch.Tensor:
    """`image` if it is a (3, H, W) tensor; the message says how to get one from a file."""
    if not isinstance(image, torch.Tensor) or image.dim() != 3 or image.shape[0] != 3:
        raise UserError(f"{name} must be a (3, H, W) tensor in [0,1], not {_shape(image)}; "
                        "read a file with viz.load_image")
    return image


def check_images(images, single: bool = False, name: str = "images") -> torch.Tensor:
    """`images` if they are a non-empty (N, 3, H, W) tensor; with `single`, a (3, H, W) one too, as a batch of one."""
    if single and isinstance(images, torch.Tensor) and images.dim() == 3:
        images = images[None]
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3 or len(images) == 0:
        accepted = "a (N, 3, H, W) or (3, H, W)" if single else "a non-empty (N, 3, H, W)"
        raise UserError(f"{name} must be {accepted} tensor, not {_shape(images)}")
    return images
