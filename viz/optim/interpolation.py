"""Loss along a line in parameter space (Goodfellow, Vinyals & Saxe, ICLR 2015).

J(θ(α)) with θ(α) = (1-α)·θ_a + α·θ_b for α from -0.5 to 1.5: by default θ_a is the initialization and θ_b
the trained network. Their finding, which the digits CNN reproduces: the loss falls smoothly and almost
monotonically from the initialization to the solution, with no barrier on the way; beyond α = 1 it rises
again. Every tensor of the state dict is interpolated, batch-norm statistics included; a running variance
extrapolated below zero (α outside [0, 1]) is clamped at zero, where batch norm's epsilon keeps it finite.

The same line for the embedded ImageNet model (Lite0, pretrained against a random init, on the 8 gallery
photos) was measured and left out: 21 points took 70 s on the shared 2-core CPU, not the few seconds a live
view needs (docs/optim.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from models.errors import UserError

from ..core.progress import Progress
from ..serving.cache import CacheChoice, store_for
from .data import Digits, digits
from .network import with_weights
from .training import TrainingRun, one_thread

ALPHA_RANGE = (-0.5, 1.5)


@dataclass
class LossLine:
    """The loss at each α along θ_a -> θ_b, one curve per data set (e.g. training and validation)."""

    alphas: list[float]
    losses: dict[str, list[float]]  # data set name -> loss at each α
    endpoints: tuple[str, str]  # how θ_a and θ_b are called in captions


def alphas_between(count: int) -> list[float]:
    """`count` evenly spaced α in ALPHA_RANGE; 0 and 1 are among them whenever count - 1 is a multiple of 4."""
    if not 5 <= int(count) <= 201:
        raise UserError(f"{count} points along the line is out of range; choose 5-201")
    lo, hi = ALPHA_RANGE
    return [round(lo + (hi - lo) * i / (count - 1), 6) for i in range(count)]


def blend(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """(1-α)·a + α·b for every floating tensor; integer buffers (batch-norm step counts) are taken from b."""
    out = {k: torch.lerp(a[k], b[k], alpha) if a[k].is_floating_point() else b[k] for k in a}
    return {k: v.clamp_min(0) if k.endswith("running_var") else v for k, v in out.items()}


@one_thread()
def loss_line(
    net: nn.Module,
    a: dict[str, torch.Tensor],
    b: dict[str, torch.Tensor],
    data: dict[str, Callable[[Callable], float]],
    alphas: Sequence[float],
    progress: Progress | None = None,
) -> dict[str, list[float]]:
    """For each α, evaluate every loss in `data` on `net` holding blend(a, b, α).

    `net` is only read (it may be a model shared by the app's sessions): each loss gets a function that runs
    it with the blended tensors through `torch.func.functional_call`. `net` should be in eval mode.
    """
    losses: dict[str, list[float]] = {name: [] for name in data}
    with torch.no_grad():
        for i, alpha in enumerate(alphas):
            state = blend(a, b, alpha)
            run = lambda x: functional_call(net, state, (x,))  # noqa: E731
            for name, loss in data.items():
                losses[name].append(loss(run))
            if progress is not None:
                progress(i + 1, len(alphas))
    return losses


def _cross_entropy(data: Digits) -> Callable[[Callable], float]:
    return lambda run: float(F.cross_entropy(run(data.images), data.labels))


def digits_line(
    run: TrainingRun,
    epoch_a: int = 0,
    epoch_b: int | None = None,
    points: int = 25,
    progress: Progress | None = None,
    cache: CacheChoice = True,
) -> LossLine:
    """Training and validation loss of the digits CNN between two checkpoints of `run` (default: first, last).

    Each point runs all 1,797 digits (about as much work as a fifth of an epoch of training), so the default
    25 points (α in steps of 1/12, 0 and 1 among them) keep the line to seconds; cached on disk.
    """
    epoch_b = run.settings.epochs if epoch_b is None else epoch_b
    if epoch_a == epoch_b:
        raise UserError(f"both ends of the line are epoch {epoch_a}; choose two different checkpoints")
    a, b = run.weights(epoch_a), run.weights(epoch_b)
    alphas = alphas_between(points)

    def compute() -> dict:
        data = {"training": _cross_entropy(digits("train")), "validation": _cross_entropy(digits("validation"))}
        return loss_line(with_weights(run.settings.arch, a).eval(), a, b, data, alphas, progress)

    losses = store_for(cache, "optim-line").get_or_compute(dict(run=run.settings.as_dict(), a=epoch_a, b=epoch_b, alphas=alphas), compute)
    name = lambda e: "initialization" if e == 0 else f"epoch {e}"  # noqa: E731
    return LossLine(alphas, losses, (name(epoch_a), name(epoch_b)))
