"""The seeded training loop of the digits CNN: plain minibatch SGD with momentum, checkpoints kept.

`fit` trains a given network (a fresh one, or a Net2Net student) and records the validation loss and accuracy
every `eval_every` steps; `train` builds a network from a seed, fits it and keeps the weights at the epochs
asked for (epoch 0 is the initialization). The seed decides the initial weights and the order of the
minibatches, so the same settings give the same weights, bit for bit, on the same machine; `train` results
are cached on disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from models.errors import UserError

from ..core.progress import Progress
from ..core.threads import torch_threads
from ..serving.cache import CacheChoice, store_for
from .data import Digits, digits
from .network import Architecture, build

EPOCHS_RANGE = (1, 100)


@dataclass(frozen=True)
class TrainSettings:
    arch: Architecture = Architecture()  # the network's shape
    epochs: int = 20  # passes over the 1,437 training digits
    batch_size: int = 32  # digits per SGD step
    lr: float = 0.05  # SGD learning rate
    momentum: float = 0.9  # SGD momentum
    seed: int = 0  # initial weights and minibatch order

    def __post_init__(self):
        if isinstance(self.epochs, bool) or not EPOCHS_RANGE[0] <= int(self.epochs) <= EPOCHS_RANGE[1]:
            raise UserError(f"epochs {self.epochs} is out of range; choose {EPOCHS_RANGE[0]}-{EPOCHS_RANGE[1]}")
        if not 1 <= int(self.batch_size) <= 1437:
            raise UserError(f"batch size {self.batch_size} is out of range; choose 1-1437")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 10):
            raise UserError(f"learning rate {self.lr} is out of range; choose a number in (0, 10]")
        if not 0 <= self.momentum < 1:
            raise UserError(f"momentum {self.momentum} is out of range; choose 0 to under 1")

    def steps_per_epoch(self) -> int:
        return -(-len(digits("train")) // self.batch_size)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Curve:
    """Validation loss and accuracy (and the mean training loss since the last point) along training."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    def steps_to(self, accuracy: float) -> int | None:
        """The first recorded step with validation accuracy >= `accuracy`; None if never reached."""
        return next((s for s, a in zip(self.steps, self.val_accuracy) if a >= accuracy), None)


def one_thread() -> contextlib.AbstractContextManager:
    """Run the enclosed torch work on one CPU thread, then restore the count (`viz.core.threads`).

    The digits CNN's operations are tiny: splitting each over several OpenMP threads costs more in
    synchronization than it gains, and on a shared, loaded CPU the threads' busy-waiting made a Net2Net study
    take over 4 minutes of wall time on 2 threads against 28 s on one.
    """
    return torch_threads(1)


@torch.no_grad()
def evaluate(net: nn.Module, data: Digits) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of `net` in eval mode on `data`; the network's mode is restored."""
    was_training = net.training
    net.eval()
    try:
        logits = net(data.images)
        return float(F.cross_entropy(logits, data.labels)), float((logits.argmax(1) == data.labels).float().mean())
    finally:
        net.train(was_training)


def state_of(net: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the weights (and batch-norm statistics)."""
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


@one_thread()
def fit(
    net: nn.Module,
    settings: TrainSettings,
    eval_every: int | None = None,
    keep_epochs: Sequence[int] = (),
    progress: Progress | None = None,
) -> tuple[Curve, dict[int, dict[str, torch.Tensor]]]:
    """Train `net` in place; returns its curve (a point every `eval_every` steps, default once an epoch, and
    one before the first step) and the weights at `keep_epochs` (0: as given)."""
    train, validation = digits("train"), digits("validation")
    per_epoch = settings.steps_per_epoch()
    eval_every = eval_every or per_epoch
    total = settings.epochs * per_epoch
    order = torch.Generator().manual_seed(settings.seed)
    optimizer = torch.optim.SGD(net.parameters(), lr=settings.lr, momentum=settings.momentum)
    curve, kept = Curve(), {}
    running: list[float] = []

    def record(step: int) -> None:
        loss, accuracy = evaluate(net, validation)
        curve.steps.append(step)
        curve.val_loss.append(loss)
        curve.val_accuracy.append(accuracy)
        curve.train_loss.append(sum(running) / len(running) if running else evaluate(net, train)[0])
        running.clear()

    record(0)
    if 0 in keep_epochs:
        kept[0] = state_of(net)
    step = 0
    net.train()
    for epoch in range(1, settings.epochs + 1):
        for batch in torch.randperm(len(train), generator=order).split(settings.batch_size):
            loss = F.cross_entropy(net(train.images[batch]), train.labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running.append(loss.item())
            step += 1
            if step % eval_every == 0:
                record(step)
            if progress is not None:
                progress(step, total)
        if epoch in keep_epochs:
            kept[epoch] = state_of(net)
    net.eval()
    return curve, kept


@dataclass
class TrainingRun:
    """A trained network's history: its settings, its curve, and its weights at the kept epochs."""

    settings: TrainSettings
    curve: Curve
    checkpoints: dict[int, dict[str, torch.Tensor]]  # epoch -> state dict; 0 is the initialization

    def weights(self, epoch: int) -> dict[str, torch.Tensor]:
        if epoch not in self.checkpoints:
            kept = ", ".join(str(e) for e in sorted(self.checkpoints))
            raise UserError(f"no checkpoint at epoch {epoch}; this run kept epochs {kept}")
        return self.checkpoints[epoch]


def check_epochs(epochs: Sequence[int], last: int) -> list[int]:
    """Sorted unique checkpoint epochs, each within 0-`last`."""
    bad = [e for e in epochs if not 0 <= int(e) <= last]
    if bad:
        raise UserError(f"checkpoint epoch {bad[0]} is outside the run; choose epochs in 0-{last}")
    return sorted({int(e) for e in epochs})


def train(
    settings: TrainSettings = TrainSettings(),
    keep_epochs: Sequence[int] = (0,),
    progress: Progress | None = None,
    cache: CacheChoice = True,
) -> TrainingRun:
    """Build the network from `settings.seed`, train it, keep the weights at `keep_epochs` (and the last)."""
    epochs = check_epochs([*keep_epochs, settings.epochs], settings.epochs)
    store = store_for(cache, "optim-train")

    def compute() -> dict:
        curve, kept = fit(build(settings.arch, settings.seed), settings, keep_epochs=epochs, progress=progress)
        return {"curve": dataclasses.asdict(curve), "checkpoints": kept}

    found = store.get_or_compute({"settings": settings.as_dict(), "epochs": epochs}, compute)
    return TrainingRun(settings, Curve(**found["curve"]), found["checkpoints"])
