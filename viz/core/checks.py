"""Range checks of user-given indices, written once: each raises `UserError` with the bad value and the valid range."""

from __future__ import annotations

from numbers import Integral

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
