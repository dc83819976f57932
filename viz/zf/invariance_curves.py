"""Invariance (Zeiler & Fergus 2014, Figure 5): transform a photo step by step and watch how far each layer moves.

For each amount of a transformation the photo is shifted, scaled or rotated (one bilinear resampling at the
model's input size, uncovered pixels grey 0.5), and each chosen layer's whole output is compared with its
output on the untransformed photo (Euclidean distance, flattened); the network's output gives the probability
of the class the untransformed photo is predicted as. In the paper low layers move a lot under small changes
and high layers much less, while the class probability holds until the object leaves or turns.

Conventions: `translate` in pixels, positive moves the content right; `scale` a factor about the centre
(2 doubles the size); `rotate` degrees counter-clockwise about the centre.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.checks import check_choice
from ..core.hooks import Capture
from ..core.images import to_batch
from ..core.transforms import Geometric, compose

KINDS = ("translate", "scale", "rotate")
DEFAULT_AMOUNTS = {
    "translate": tuple(range(-60, 61, 10)),  # pixels, as in the paper
    "scale": tuple(round(0.6 + 0.1 * i, 1) for i in range(13)),  # 0.6-1.8
    "rotate": tuple(range(0, 361, 15)),  # degrees, a full turn
}
BATCH = 16  # transformed images per forward pass


@dataclass(frozen=True)
class _Fixed(Geometric):
    """One given output -> input pixel map for every image (a deterministic transform)."""

    matrix: tuple[tuple[float, ...], ...]

    def plan(self, size, n, generator, device):
        return size, torch.tensor(self.matrix, dtype=torch.float32, device=device).expand(n, 3, 3)


def _inverse_map(kind: str, amount: float) -> tuple[tuple[float, ...], ...]:
    """The map from output pixel coordinates (origin at the centre, y down) to input ones."""
    if kind == "translate":
        return ((1, 0, -amount), (0, 1, 0), (0, 0, 1))
    if kind == "scale":
        if amount <= 0:
            raise UserError(f"scale factor {amount} must be positive, e.g. 0.8 or 1.5")
        return ((1 / amount, 0, 0), (0, 1 / amount, 0), (0, 0, 1))
    if amount % 360 == 0:
        return ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    a = math.radians(amount)  # counter-clockwise on screen; y points down, so the map turns the other way
    c, s = math.cos(a), math.sin(a)
    return ((c, -s, 0), (s, c, 0), (0, 0, 1))


def transformed(image: torch.Tensor, kind: str, amounts: Sequence[float], size: int) -> torch.Tensor:
    """(N,3,size,size) in [0,1]: the image at `size`, transformed by each amount."""
    check_choice(kind, KINDS, "transformation")
    base = to_batch([image], size)
    identity = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    maps = [_inverse_map(kind, float(a)) for a in amounts]
    return torch.cat([base if m == identity else compose([_Fixed(m)])(base, None) for m in maps])


@dataclass(frozen=True)
class Invariance:
    """What `invariance` returns."""

    kind: str
    amounts: list[float]
    images: torch.Tensor  # (N,3,H,W) in [0,1] at the model's input size, one per amount
    distances: dict[str, torch.Tensor]  # layer -> (N,) distance of its output from the untransformed one's
    probability: torch.Tensor  # (N,) probability of `target`
    target: int  # class the untransformed image is predicted as

    def probability_range(self) -> tuple[float, float]:
        """The lowest and the highest probability of `target` over the amounts (a caption's numbers)."""
        return float(self.probability.min()), float(self.probability.max())


@torch.no_grad()
def invariance(
    model: LoadedModel,
    image: torch.Tensor,
    kind: str,
    amounts: Sequence[float] | None = None,
    layers: Sequence[str] = (),
) -> Invariance:
    """Transform `image` ((3,H,W) in [0,1]) by each amount and measure each layer and the output (module doc)."""
    amounts = [float(a) for a in (DEFAULT_AMOUNTS.get(kind, ()) if amounts is None else amounts)]
    if not amounts:
        raise UserError("give at least one amount to transform by")
    images = transformed(image, kind, amounts, model.input_size)
    reference = to_batch([image], model.input_size)
    layers = list(dict.fromkeys(layers))
    outputs: dict[str, list[torch.Tensor]] = {layer: [] for layer in layers}
    logits = []
    with Capture(model, layers, stop=False) as capture:
        batch = torch.cat([reference, images])
        for start in range(0, len(batch), BATCH):
            acts = capture.run(model.normalize(batch[start:start + BATCH].to(model.device)))
            for layer, t in acts.items():
                outputs[layer].append(t.float().flatten(1).cpu())
            logits.append(capture.output.float().flatten(1).cpu())
    probabilities = torch.cat(logits).softmax(dim=1)
    target = int(probabilities[0].argmax())
    distances = {}
    for layer, pieces in outputs.items():
        flat = torch.cat(pieces)
        distances[layer] = (flat[1:] - flat[:1]).norm(dim=1)
    return Invariance(kind, amounts, images, distances, probabilities[1:, target], target)
