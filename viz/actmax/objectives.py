"""What a render optimizes: small composable objectives over captured layer activations.

Sign convention, stated once for the whole package: objectives are *maximized*. An objective maps the
captured activations `{layer: (B, C, H, W) tensor}` of a batch to one score per image, shape (B,).
Objectives add, subtract, negate and scale by numbers (`channel(l, 3) - 0.5 * neuron(l, 7)`); anything
else is a TypeError. Each knows the layers it reads (`.layers`), so a render hooks only those and stops
the forward pass after the deepest one. `OUTPUT` names the network's final output (logits).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch

from models.errors import UserError

from ..core.checks import check_channel, check_class, check_position
from ..core.digest import tensor_digest

OUTPUT = "<output>"  # pseudo-layer: the network's own output, for logit and probability objectives


class Objective:
    """Base of all objectives: composition and repr. Subclasses define `layers` and `score(acts)`."""

    layers: tuple[str, ...] = ()
    couples_batch = False  # True if an image's score depends on the other images of the batch
    local = False  # True if it depends on where the picture sits (a neuron): renders then never crop it

    def __call__(self, acts: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.score(acts)

    def score(self, acts: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def terms(self) -> tuple[tuple[float, "Objective"], ...]:
        return ((1.0, self),)

    def __add__(self, other) -> "Objective":
        if not isinstance(other, Objective):
            _reject("+", other)
        return Combination(self.terms() + other.terms())

    def __radd__(self, other) -> "Objective":
        if isinstance(other, numbers.Number) and other == 0:  # so that sum(objectives) works
            return self
        _reject("+", other)

    def __sub__(self, other) -> "Objective":
        if not isinstance(other, Objective):
            _reject("-", other)
        return self + (-1.0) * other

    def __neg__(self) -> "Objective":
        return (-1.0) * self

    def __mul__(self, weight) -> "Objective":
        if not isinstance(weight, numbers.Real) or isinstance(weight, bool):
            _reject("*", weight)
        return Combination(tuple((w * float(weight), o) for w, o in self.terms()))

    __rmul__ = __mul__

    def __truediv__(self, divisor) -> "Objective":
        if not isinstance(divisor, numbers.Real) or isinstance(divisor, bool) or divisor == 0:
            _reject("/", divisor)
        return self * (1.0 / float(divisor))

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


def _reject(op: str, other) -> None:
    raise TypeError(
        f"unsupported operand for {op}: an objective and a {type(other).__name__} ({other!r:.40}); objectives "
        "add and subtract objectives and scale by non-zero real numbers"
    )


def _layer_output(acts: dict[str, torch.Tensor], layer: str) -> torch.Tensor:
    return acts[layer].float()


class Channel(Objective):
    """Mean of one channel over all positions (Olah et al. 2017's "channel" / "feature map")."""

    def __init__(self, layer: str, channel: int):
        self.layer, self.channel, self.layers = layer, int(channel), (layer,)

    def score(self, acts):
        t = _layer_output(acts, self.layer)
        check_channel(self.channel, t.shape[1], self.layer)
        return t[:, self.channel].flatten(1).mean(dim=1)

    def __repr__(self):
        return f"Channel({self.layer!r}, {self.channel})"


class Neuron(Objective):
    """One channel at one spatial position; `y=None, x=None` means the centre of the map."""

    local = True  # depends on where the image sits in the input: a render must not crop it away

    def __init__(self, layer: str, channel: int, y: int | None = None, x: int | None = None):
        self.layer, self.channel, self.y, self.x, self.layers = layer, int(channel), y, x, (layer,)

    def score(self, acts):
        t = _layer_output(acts, self.layer)
        check_channel(self.channel, t.shape[1], self.layer)
        h, w = t.shape[2:]
        y, x = check_position((h // 2 if self.y is None else self.y, w // 2 if self.x is None else self.x), h, w)
        return t[:, self.channel, y, x]

    def __repr__(self):
        where = "" if self.y is None and self.x is None else f", y={self.y}, x={self.x}"
        return f"Neuron({self.layer!r}, {self.channel}{where})"


class DeepDream(Objective):
    """Mean squared activation of a whole layer (Mordvintsev et al. 2015): amplify whatever is there."""

    def __init__(self, layer: str):
        self.layer, self.layers = layer, (layer,)

    def score(self, acts):
        return _layer_output(acts, self.layer).pow(2).flatten(1).mean(dim=1)

    def __repr__(self):
        return f"DeepDream({self.layer!r})"


class Logit(Objective):
    """One class's logit at the network output (`probability=True`: its softmax probability instead)."""

    def __init__(self, index: int, probability: bool = False):
        self.index, self.probability, self.layers = int(index), probability, (OUTPUT,)

    def score(self, acts):
        out = acts[OUTPUT].float().flatten(1)
        check_class(self.index, out.shape[1])
        values = out.softmax(dim=1) if self.probability else out
        return values[:, self.index]

    def __repr__(self):
        return f"{'Probability' if self.probability else 'Logit'}({self.index})"


class Direction(Objective):
    """Dot product of each position's activation vector with `vector`, averaged over positions."""

    def __init__(self, layer: str, vector: Sequence[float] | torch.Tensor):
        self.layer, self.layers = layer, (layer,)
        self.vector = torch.as_tensor(vector, dtype=torch.float32).flatten().detach().cpu()

    def score(self, acts):
        t = _layer_output(acts, self.layer)
        if t.shape[1] != self.vector.numel():
            raise UserError(
                f"direction has {self.vector.numel()} entries but layer {self.layer!r} has {t.shape[1]} channels"
            )
        v = self.vector.to(t.device).view(1, -1, 1, 1)
        return (t * v).sum(dim=1).flatten(1).mean(dim=1)

    def __repr__(self):
        head = ", ".join(f"{v:.3g}" for v in self.vector[:3].tolist())
        more = ", ..." if self.vector.numel() > 3 else ""
        digest = tensor_digest(self.vector, 8)  # tells long vectors apart
        return f"Direction({self.layer!r}, [{head}{more}] n={self.vector.numel()} #{digest})"


class Diversity(Objective):
    """How unlike the batch's other images each image is, by Gram matrix (Olah et al. 2017, "Diversity").

    Score of image i: minus the mean cosine similarity between its channel Gram matrix and each other
    image's. Add it (with a weight) to a unit objective shared by several images to get varied pictures.
    """

    couples_batch = True

    def __init__(self, layer: str):
        self.layer, self.layers = layer, (layer,)

    def score(self, acts):
        t = _layer_output(acts, self.layer)
        b, c = t.shape[:2]
        if b < 2:
            return t.new_zeros(b)
        flat = t.flatten(2)
        gram = torch.nn.functional.normalize((flat @ flat.transpose(1, 2)).flatten(1), dim=1)
        similarity = gram @ gram.T
        return -(similarity.sum(dim=1) - similarity.diagonal()) / (b - 1)

    def __repr__(self):
        return f"Diversity({self.layer!r})"


class Combination(Objective):
    """A weighted sum of objectives; the result of `+`, `-`, negation and scaling."""

    def __init__(self, terms: tuple[tuple[float, Objective], ...]):
        self._terms = terms
        self.layers = tuple(dict.fromkeys(layer for _, o in terms for layer in o.layers))
        self.couples_batch = any(o.couples_batch for _, o in terms)
        self.local = any(o.local for _, o in terms)

    def terms(self):
        return self._terms

    def score(self, acts):
        return sum(w * o.score(acts) for w, o in self._terms)

    def __repr__(self):
        parts = []
        for i, (w, o) in enumerate(self._terms):
            sign = "-" if w < 0 else "+"
            size = abs(w)
            body = repr(o) if size == 1 else f"{size:g} * {o!r}"
            parts.append(("-" + body if sign == "-" else body) if i == 0 else f" {sign} {body}")
        return "".join(parts)


def channel(layer: str, c: int) -> Channel:
    return Channel(layer, c)


def neuron(layer: str, c: int, y: int | None = None, x: int | None = None) -> Neuron:
    return Neuron(layer, c, y, x)


def layer(name: str) -> DeepDream:
    return DeepDream(name)


def logit(index: int) -> Logit:
    return Logit(index)


def probability(index: int) -> Logit:
    return Logit(index, probability=True)


def direction(layer: str, vector) -> Direction:
    return Direction(layer, vector)


def diversity(layer: str) -> Diversity:
    return Diversity(layer)

