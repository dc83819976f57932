"""Gradient x activation at a layer, written once: how much each channel of a layer gives to a later value.

For an output y and a layer's activations a_c (N, C, ...), the score of channel c on image n is

    sum over positions p of  a_c(p) * d y_n / d a_c(p)

(captum's `LayerGradientXActivation`, summed over the map). `layer_scores` scores a layer's channels towards
the predicted class (which units the landing shows); `viz.circuits.built_from` scores a source layer's
channels towards one neuron of a later layer (what a unit is built from). Both capture the layer with the one
layer hook, `viz.core.hooks.Capture` (mode "tap" or "leaf"), under this call's thread-scoped hooks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.checks import check_choice
from ..core.hooks import Capture

SCORES = ("contribution", "activation")  # how `layer_scores` ranks a layer's channels


def gradient_x_activation(output: torch.Tensor, acts: Sequence[torch.Tensor]) -> list[torch.Tensor | None]:
    """Per activation (N, C, ...) of `acts`, the (N, C) sum over its positions of activation x d output / d it.

    `output` is a scalar: the sum of one value per image, so row n is image n's own (images do not mix in a
    network in eval mode). None for an activation `output` does not depend on.
    """
    grads = torch.autograd.grad(output, list(acts), allow_unused=True)
    return [None if g is None else (g * a).flatten(2).sum(dim=2) for g, a in zip(grads, acts)]


def layer_scores(model: LoadedModel, batch: torch.Tensor, layers: list[str], by: str = "contribution"):
    """(probabilities (N, classes), {layer: (N, C) channel scores}, {layer: (N, C, h, w) activations}).

    "contribution": gradient x activation of each image's top class's logit summed over each map (captum's
    `LayerGradientXActivation` summed over positions); "activation": the map's mean.
    """
    check_choice(by, SCORES, "unit choice")
    x = model.normalize(batch.to(model.device)).requires_grad_(True)  # the network's weights are frozen
    with torch.enable_grad(), Capture(model, layers, stop=False, mode="tap") as capture:
        outputs = capture.run(x)
        acts, logits = [outputs[name] for name in layers], capture.output
        if logits.dim() != 2:
            raise UserError(f"{model.name}'s output is not a class score vector; the hierarchy needs a classifier")
        if by == "contribution":
            target = logits.argmax(dim=1)
            scores = gradient_x_activation(logits.gather(1, target[:, None]).sum(), acts)
            unused = [name for name, s in zip(layers, scores) if s is None]
            if unused:
                raise UserError(f"{model.name}'s classes do not depend on layer {unused[0]!r}; pick a layer on the way")
        else:
            scores = [a.flatten(2).mean(dim=2) for a in acts]
    probabilities = logits.detach().float().softmax(dim=1).cpu()
    return (probabilities, {n: s.detach().float().cpu() for n, s in zip(layers, scores)},
            {n: a.detach().float().cpu() for n, a in zip(layers, acts)})
