"""First-layer filters as pictures: the weights of the convolution that looks at the RGB pixels.

Zeiler & Fergus (and Krizhevsky before them) showed these to tell a healthy network (oriented edges,
colour blobs) from a broken one; beside an untrained network's noise the point makes itself. Each filter
is scaled on its own to [0,1] (its minimum black, its maximum white), so weak filters stay visible but
their magnitudes can no longer be compared.
"""

from __future__ import annotations

import torch
from torch import nn

from models import LoadedModel
from models.errors import UserError


def first_conv(model: LoadedModel) -> tuple[str, nn.Conv2d]:
    """The first `nn.Conv2d` (in module order) that takes 3 input channels, by name."""
    for name, module in model.net.named_modules():
        if isinstance(module, nn.Conv2d) and module.in_channels == 3 and module.groups == 1:
            return name, module
    raise UserError(f"{model.name} has no Conv2d module with 3 input channels to show as filters")


def first_layer_filters(model: LoadedModel) -> torch.Tensor:
    """(K, 3, kh, kw) filters of the first convolution, each normalized to [0,1] on its own."""
    _, conv = first_conv(model)
    weights = conv.weight.detach().float().cpu()
    low = weights.flatten(1).amin(dim=1).view(-1, 1, 1, 1)
    high = weights.flatten(1).amax(dim=1).view(-1, 1, 1, 1)
    span = (high - low).clamp(min=1e-12)
    return torch.where(high > low, (weights - low) / span, torch.full_like(weights, 0.5))
