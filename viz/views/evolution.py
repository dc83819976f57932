"""Features while training (Zeiler & Fergus 2014, Figure 4): a few units of each layer, checkpoint by checkpoint.

For every checkpoint, each unit gets its activation-maximization picture (`viz.render`) and its top dataset
examples (`viz.top_examples`, the receptive-field patches of its k strongest activations): the same engine
calls as the rest of the tool, on each checkpoint wrapped as a model. Read down a column: the units of the
low layer settle on their pattern within the first epochs, those of the higher layer keep changing longer.

`digits_evolution` does this for the digits CNN on the validation digits; `features_over_training` takes any
series of models (e.g. a user's checkpoints of a registered architecture) and images (e.g. the gallery).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models import LoadedModel
from models.errors import UserError

from ..actmax import render
from ..core.progress import Progress
from ..core.receptive_field import crop_field
from ..optim.data import digits
from ..optim.network import Grey, as_model
from ..optim.training import TrainSettings, check_epochs, one_thread, train
from ..zf.topk import top_examples

DEFAULT_EPOCHS = (1, 2, 5, 10, 20)
# What reads well for 16-px digits: the picture at the network's own input size, no jitter (a shift of a few
# pixels is a large part of a 16-px digit), Fourier parameterization without ImageNet's colour basis (the
# network only sees the grey level), 128 steps. Shown in grey: the mean of the channels is what it sees.
DIGITS_RENDER = dict(preset="lucid", size=16, steps=128, transforms="none", decorrelate=False, redirect_steps=0)


@dataclass
class Evolution:
    """Per checkpoint (row) and unit (column): its rendered picture and its top-k patches."""

    checkpoints: list[str]  # row captions, e.g. "epoch 5" or a file name
    units: list[tuple[str, int]]  # (layer, channel) per column
    renders: list[list[torch.Tensor]]  # per checkpoint, per unit (3,h,w) in [0,1], cropped to its field
    patches: list[list[torch.Tensor]]  # per checkpoint, per unit (k,3,h,w) receptive-field crops


def _centre_units(model: LoadedModel, images, layer: str, channels: list[int], k: int):
    """For the units at the centre of `layer`'s map: their render targets, receptive field, top-k patches."""
    found = top_examples(model, images, layer, k=k, per_image=True)
    tensor = images if isinstance(images, torch.Tensor) else None
    if found.fields is None:  # a flat layer: the whole image is the field
        targets, box, size = [(layer, c) for c in channels], None, (found.input_size, found.input_size)
    else:
        y, x = (side // 2 for side in found.map_size)
        targets, box, size = [(layer, c, y, x) for c in channels], found.fields.box(y, x), found.fields.size
    patches = []
    for channel in channels:
        crops = [crop_field(found.image(e.image, tensor).float(), e.box, size) for e in found.examples(channel)]
        patches.append(torch.stack(crops))
    return targets, box, size, patches


def _at_input_size(picture: torch.Tensor, side: int) -> torch.Tensor:
    """The render as the network saw it (the loop shows it at the model's input size), for the field's box."""
    if picture.shape[-1] == side:
        return picture
    return F.interpolate(picture[None], size=(side, side), mode="bilinear", align_corners=False)[0].clamp(0, 1)


def features_over_training(
    checkpoints: Sequence[tuple[str, LoadedModel]],
    images: torch.Tensor | str | os.PathLike | None,
    units: Sequence[tuple[str, int]],
    k: int = 3,
    render_options: dict | None = None,
    progress: Progress | None = None,
) -> Evolution:
    """Renders and top-k patches of `units` at each checkpoint; `images=None` searches the gallery.

    A unit (layer, channel) is rendered as its neuron at the centre of the layer's map, and its picture is
    cropped to that neuron's receptive field: the scale at which it sees, the same as its top-k patches.
    """
    if not checkpoints:
        raise UserError("no checkpoints given; name at least one")
    if not units:
        raise UserError("no units given; name at least one (layer, channel)")
    options = dict(render_options or {})
    steps = options.pop("steps", None) or 64
    total = len(checkpoints) * (steps + 1)
    renders, patches = [], []
    for i, (_, model) in enumerate(checkpoints):
        offset = i * (steps + 1)
        by_layer = {}
        for layer in dict.fromkeys(layer for layer, _ in units):
            by_layer[layer] = _centre_units(model, images, layer, [c for name, c in units if name == layer], k)
        targets = [t for found in by_layer.values() for t in found[0]]
        report = None if progress is None else (lambda d, t, offset=offset: progress(offset + d * steps // t, total))
        pictures = iter(render(model, targets, steps=steps, progress=report, **options).images)
        row_renders, row_patches = [], []
        for _, box, size, layer_patches in by_layer.values():
            for patch in layer_patches:
                picture = _at_input_size(next(pictures), model.input_size)
                row_renders.append(picture if box is None else crop_field(picture, box, size))
                row_patches.append(patch)
        renders.append(row_renders)
        patches.append(row_patches)
        if progress is not None:
            progress(offset + steps + 1, total)
    ordered = [(layer, c) for layer in by_layer for name, c in units if name == layer]
    return Evolution([label for label, _ in checkpoints], ordered, renders, patches)


@one_thread()  # the renders of a 16-px net are as tiny as its training
def digits_evolution(
    settings: TrainSettings = TrainSettings(),
    epochs: Sequence[int] = DEFAULT_EPOCHS,
    units_per_layer: int = 4,
    k: int = 3,
    render_seed: int = 0,
    render_steps: int = DIGITS_RENDER["steps"],
    progress: Progress | None = None,
) -> Evolution:
    """Train (or read from the cache) the digits run, then follow its first units of every conv layer."""
    epochs = check_epochs(epochs, settings.epochs)
    narrowest = min(w for stage in settings.arch.stages for w in stage)
    if not 1 <= units_per_layer <= narrowest:
        raise UserError(f"{units_per_layer} units per layer is out of range; choose 1-{narrowest}")
    training_steps = settings.epochs * settings.steps_per_epoch()
    total = training_steps + len(epochs) * 100

    run = train(settings, keep_epochs=epochs, progress=None if progress is None else lambda d, t: progress(d, total))
    name = lambda e: "initialization" if e == 0 else f"epoch {e}"  # noqa: E731
    checkpoints = [(name(e), as_model(settings.arch, run.weights(e), f"digits_cnn@{e}")) for e in epochs]
    units = [(layer, c) for layer in settings.arch.convs() for c in range(units_per_layer)]
    report = None if progress is None else (lambda d, t: progress(training_steps + d * len(epochs) * 100 // t, total))
    found = features_over_training(checkpoints, digits("validation").as_rgb(), units, k,
                                   dict(DIGITS_RENDER, seed=render_seed, steps=render_steps), report)
    found.renders = [[Grey()(r[None])[0].expand(3, -1, -1) for r in row] for row in found.renders]
    return found
