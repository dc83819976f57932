"""How much a render looks, to the network itself, like the real pictures its unit fires on (the MACO paper's
plausibility, Fel et al. 2023): the cosine similarity, in the network's deepest features, between the render
and each of the unit's top real patches, averaged.

Deep features: the penultimate visualizable layer (Lite0: the 1280-channel head), averaged over space. A
patch is the receptive field of one of the unit's strongest activations over an image set, cut out and
resized to the model's input size, as the render is.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F

from models import LoadedModel

from ..core.activations import activations
from ..zf.topk import top_examples


def deep_features(model: LoadedModel, images: torch.Tensor) -> torch.Tensor:
    """(N, D) space-averaged features of the penultimate visualizable layer, for (N,3,H,W) images in [0,1]."""
    layer = model.layers[-2].name
    images = F.interpolate(images.float(), size=model.input_size, mode="bilinear", antialias=True,
                           align_corners=False)
    with torch.no_grad():
        out = activations(model, images.to(model.device), [layer])[layer]
    return (out.flatten(2).mean(dim=2) if out.dim() == 4 else out).cpu()


def top_patches(model: LoadedModel, folder: str | os.PathLike | None, layer: str, channel: int, k: int = 9) -> torch.Tensor:
    """(k, 3, S, S) the receptive fields of the unit's k strongest activations over `folder` (None: the gallery)."""
    found = top_examples(model, folder, layer, k=k)
    patches = []
    for example in found.examples(channel):
        box = example.box
        crop = found.image(example.image)[:, box.top:box.bottom, box.left:box.right]
        patches.append(F.interpolate(crop[None], size=model.input_size, mode="bilinear", antialias=True,
                                     align_corners=False))
    return torch.cat(patches)


def plausibility(model: LoadedModel, renders: torch.Tensor, patches: list[torch.Tensor]) -> torch.Tensor:
    """(N,) mean cosine similarity of render i's deep features to those of each of `patches[i]`."""
    rendered = deep_features(model, renders)
    return torch.stack([F.cosine_similarity(rendered[i:i + 1], deep_features(model, p)).mean()
                        for i, p in enumerate(patches)])
