"""The atlas: one activation-maximization picture per unit of a layer (or of every visualizable layer).

The pictures come from `viz.actmax.per_unit`, cached one unit at a time, so the CLI's `atlas` command,
`precompute` and the app's Layer atlas page fill and read the same entries.
"""

from __future__ import annotations

from collections.abc import Sequence

from models import LoadedModel
from models.errors import UserError


def atlas_units(model: LoadedModel, layers: Sequence[str] | None = None,
                channels: Sequence[int] | None = None) -> list[tuple[str, int]]:
    """(layer, channel) of every unit asked for: `layers` (default: every visualizable one), and within each
    the `channels` it has (default: all); a channel range wider than a layer is cut to the layer."""
    chosen = [model.layer(name) for name in layers] if layers else list(model.layers)
    units = [(layer.name, c) for layer in chosen for c in range(layer.channels) if channels is None or c in channels]
    if not units:
        raise UserError("no unit to render: the channels asked for are beyond every chosen layer's width")
    return units
