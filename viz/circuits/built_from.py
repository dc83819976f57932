"""What a unit is built from: gradient x activation of one neuron with respect to an earlier layer.

For a neuron u of `layer` and an earlier layer s with channels s_c, the contribution of channel c is

    sum over positions p of  s_c(p) * d u / d s_c(p)

(captum's `LayerGradientXActivation` of s for the output u, summed over the map). It is the first-order
share of u that flows through channel c: positive for an excitatory input, negative for an inhibitory one.
For a linear path from s to u the contributions add up to u exactly (minus the bias); through rectifiers they
are the linearization at this input, which is why the input (a photo, or the unit's own render) is part of
the answer.

The neuron is read where `viz.render` reads it: before the saturating rectifier that ends its layer, if any
(Lucid's "pre-ReLU", `Layer.pre`), so a saturated ReLU6 still has a gradient. The source layer is read as it
is. Hooks live in this call's scopes and are removed on exit; the source is captured as a leaf
(`Capture(mode="leaf")`: a copy detached from the graph below it), so the backward pass stops at the source
and a later in-place operation cannot change the activations being multiplied. The product itself is
`viz.circuits.attribution.gradient_x_activation`, the one shared with the landing's unit choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.activations import peak_position
from ..core.checks import check_channel, check_image, check_position, check_whole
from ..core.hooks import Capture
from .attribution import gradient_x_activation


@dataclass(frozen=True)
class Circuit:
    """One unit and the source channels it is built from on one input."""

    layer: str
    channel: int
    source: str
    position: tuple[int, int]  # (y, x) of the neuron measured, in `layer`'s map
    inputs: list[tuple[int, float]]  # up to k excitatory (strongest first), then up to k inhibitory (most negative first)
    contributions: torch.Tensor  # (C_source,) every source channel's contribution, on the CPU
    value: float  # the neuron's value (pre-rectifier) on this input

    @cached_property
    def excitation(self) -> float:
        """The sum of the positive contributions: what shares are shares of (summed once: a page asks per input)."""
        return float(self.contributions.clamp(min=0).sum())

    def share(self, contribution: float) -> float:
        """A contribution as a fraction of the positive total (negative for an inhibitory input)."""
        return contribution / self.excitation if self.excitation > 0 else 0.0

    def concentration(self, top: int = 3) -> float:
        """The share of the positive contribution carried by the `top` strongest excitatory inputs."""
        positive = self.contributions.clamp(min=0)
        return float(positive.topk(min(top, len(positive))).values.sum()) / self.excitation if self.excitation > 0 else 0.0


def source_order(model: LoadedModel, layer: str, source: str) -> None:
    """Raise a UserError unless both are visualizable layers and `source` comes before `layer`."""
    names = [entry.name for entry in model.layers]
    model.layer(layer), model.layer(source)  # an unknown name lists the valid ones
    if names.index(source) >= names.index(layer):
        earlier = ", ".join(names[: names.index(layer)]) or "none: it is the first visualizable layer"
        raise UserError(f"source {source!r} does not come before {layer!r} in {model.name}; "
                        f"choose an earlier layer: {earlier}")


def contributions(model: LoadedModel, images: torch.Tensor, layer: str, source: str,
                  units: Sequence[tuple[int, tuple[int, int] | None]]):
    """Row i: the contributions of `source`'s channels to unit `units[i]` = (channel, (y, x) or None) on image i.

    `images` is (N,3,H,W) in [0,1]; a position None means the channel's strongest neuron on that image.
    Returns ((N, C_source) contributions, [(y, x)] positions, (N,) neuron values), on the CPU.
    """
    source_order(model, layer, source)
    if len(units) != len(images):
        raise UserError(f"give one unit per image: {len(units)} units for {len(images)} images")
    count = model.layer(layer).channels
    channels = [check_channel(channel, count, layer) for channel, _ in units]
    x = model.normalize(images.to(model.device))
    with (torch.enable_grad(), Capture(model, [source], stop=False, mode="leaf") as cut,
          Capture(model, [layer], pre_relu=True) as capture):
        maps = capture.run(x)[layer]
        if maps.dim() != 4:
            raise UserError(f"layer {layer!r} has no spatial map ({tuple(maps.shape)}); choose a convolutional layer")
        if source not in cut.outputs:
            raise UserError(f"{source!r} is not computed before {layer!r} in {model.name}'s forward pass")
        h, w = maps.shape[2:]
        positions = [check_position(peak_position(maps[i, channel]) if position is None else position, h, w)
                     for i, (channel, (_, position)) in enumerate(zip(channels, units))]
        rows = torch.arange(len(images), device=maps.device)
        ys, xs = (torch.tensor(v, device=maps.device) for v in zip(*positions))
        values = maps[rows, torch.tensor(channels, device=maps.device), ys, xs]
        kept = cut.outputs[source]
        total = gradient_x_activation(values.sum(), [kept])[0] if values.requires_grad else None
    if total is None:
        raise UserError(f"{layer!r} does not depend on {source!r} in {model.name}: no path between them; "
                        "choose a source on the way to it")
    return total.detach().float().cpu(), positions, values.detach().float().cpu()


def check_k(k, model: LoadedModel, source: str) -> int:
    """`k`, how many inputs of each sign a circuit keeps: 1 to the source layer's channels."""
    return check_whole(k, 1, model.layer(source).channels, "k", "the source layer's channels")


def strongest_inputs(row: torch.Tensor, k: int) -> list[tuple[int, float]]:
    """Up to k excitatory channels (largest first), then up to k inhibitory ones (most negative first)."""
    order = row.argsort(descending=True).tolist()
    excitatory = [(c, float(row[c])) for c in order[:k] if row[c] > 0]
    inhibitory = [(c, float(row[c])) for c in reversed(order[-k:]) if row[c] < 0]
    return excitatory + inhibitory


def circuit_on(model: LoadedModel, image: torch.Tensor, layer: str, channel: int, source: str, k: int = 3,
               position: tuple[int, int] | None = None) -> Circuit:
    """The circuit of one unit on one (3,H,W) image in [0,1]: its neuron at `position`, else its strongest."""
    source_order(model, layer, source)
    k = check_k(k, model, source)
    check_image(image)
    total, positions, values = contributions(model, image[None].float(), layer, source, [(channel, position)])
    return make_circuit(layer, channel, source, positions[0], total[0], float(values[0]), k)


def make_circuit(layer: str, channel: int, source: str, position, row: torch.Tensor, value: float, k: int) -> Circuit:
    """A Circuit from one row of `contributions` (e.g. read back from a cache)."""
    return Circuit(layer, int(channel), source, tuple(position), strongest_inputs(row, k), row, float(value))
