"""Batch normalization (Ioffe & Szegedy 2015): how much one SGD step moves the input of the next layer.

The same digits CNN with and without batch norm, from the same seed (their conv weights start equal). For
each, the pre-activations of one hidden layer (what its ReLU, and so the next layer, receives) are measured
on the validation digits, then one plain SGD step is taken on a training minibatch and they are measured
again. Without batch norm the step shifts and stretches the distribution the next layer sees (the "internal
covariate shift"); with it each channel is renormalized to mean 0 and variance 1 over the batch before its
learned scale and shift, so the distribution barely moves. Batch norm is measured in training mode, as it
acts during the step. Both networks are also trained in full, for their training curves.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models.errors import UserError

from ..core.progress import Progress
from .data import digits
from .network import DigitsCNN, with_weights
from .training import Curve, TrainingRun, TrainSettings, one_thread, train

VARIANTS = {"without batch norm": False, "with batch norm": True}


@dataclass
class BatchNormStudy:
    layer: int  # which conv's pre-activations, 1-based
    step_lr: float  # learning rate of the one SGD step
    at_epoch: int  # the step is taken from this checkpoint (0: the initialization)
    before: dict[str, torch.Tensor]  # variant -> (N, C, H, W) pre-activations before the step
    after: dict[str, torch.Tensor]  # ... and after it
    runs: dict[str, TrainingRun]  # variant -> its full training run

    def curves(self) -> dict[str, Curve]:
        return {name: run.curve for name, run in self.runs.items()}


def preactivations(net: DigitsCNN, layer: int, images: torch.Tensor) -> torch.Tensor:
    """Output of the module feeding the `layer`-th ReLU (the conv, or its batch norm in training mode)."""
    target = net.arch.preactivations()[layer - 1]
    net.train()
    x = images
    with torch.no_grad():
        for name, module in net.named_children():
            x = module(x)
            if name == target:
                return x
    raise ValueError(f"{target} is not a module of the network")


def sgd_step(net: DigitsCNN, lr: float, batch: torch.Tensor) -> None:
    """One plain SGD step (no momentum) on the training digits `batch` (indices), in training mode."""
    train = digits("train")
    net.train()
    loss = F.cross_entropy(net(train.images[batch]), train.labels[batch])
    net.zero_grad(set_to_none=True)
    loss.backward()
    with torch.no_grad():
        for p in net.parameters():
            p -= lr * p.grad


@one_thread()
def batchnorm_study(
    settings: TrainSettings = TrainSettings(),
    layer: int = 2,
    step_lr: float = 0.5,
    at_epoch: int = 0,
    progress: Progress | None = None,
) -> BatchNormStudy:
    """See the module docstring; `settings.arch.batch_norm` is ignored (both variants are run)."""
    convs = len(settings.arch.convs())
    if not 1 <= layer <= convs:
        raise UserError(f"layer {layer} is out of range; this network has conv layers 1-{convs}")
    if not 0 < step_lr <= 10:
        raise UserError(f"step learning rate {step_lr} is out of range; choose a number in (0, 10]")
    total = len(VARIANTS) * settings.epochs * settings.steps_per_epoch()
    batch = torch.randperm(len(digits("train")), generator=torch.Generator().manual_seed(settings.seed))
    batch = batch[: settings.batch_size]
    validation = digits("validation").images
    before, after, runs = {}, {}, {}
    for i, (name, batch_norm) in enumerate(VARIANTS.items()):
        variant = dataclasses.replace(settings, arch=dataclasses.replace(settings.arch, batch_norm=batch_norm))
        done = i * settings.epochs * settings.steps_per_epoch()
        report = None if progress is None else (lambda d, t, done=done: progress(done + d, total))
        runs[name] = train(variant, keep_epochs=(at_epoch,), progress=report)
        net = with_weights(variant.arch, runs[name].weights(at_epoch))
        before[name] = preactivations(net, layer, validation)
        sgd_step(net, step_lr, batch)
        after[name] = preactivations(net, layer, validation)
    if progress is not None:
        progress(total, total)
    return BatchNormStudy(layer, step_lr, at_epoch, before, after, runs)


def channel_shift(before: torch.Tensor, after: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per channel, how far its distribution moved in units of its standard deviation before the step:
    (|Δ mean| / std, |Δ std| / std), each (C,). Relative, so the two networks' scales compare."""
    dims = (0, 2, 3)
    scale = before.std(dims).clamp_min(1e-12)
    return (after.mean(dims) - before.mean(dims)).abs() / scale, (after.std(dims) - before.std(dims)).abs() / scale


