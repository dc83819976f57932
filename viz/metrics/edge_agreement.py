"""How well a projection shows the patch's own edges: the measured criterion behind SmoothGrad on Figure 2.

For one example: inside the unit's receptive field, the Pearson correlation between the projection's
magnitude (|signal| summed over colour) and the image's edge strength (Sobel gradient magnitude of its grey
level). 1: the projection lights up exactly where the patch has edges; 0: no relation (coloured noise).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..core.receptive_field import Box

SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def edge_strength(images: torch.Tensor) -> torch.Tensor:
    """(N,H,W) Sobel gradient magnitude of the grey level of (N,3,H,W) images in [0,1]."""
    grey = images.float().mean(dim=1, keepdim=True)
    kernels = torch.stack([SOBEL_X, SOBEL_X.T])[:, None].to(grey.device)
    gradient = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), kernels)
    return gradient.norm(dim=1)


def edge_agreement(projections: torch.Tensor, images: torch.Tensor, boxes: Sequence[Box] | None = None) -> torch.Tensor:
    """(N,) correlation of |projection| with the image's edge strength, each within its box (default: all)."""
    magnitude = projections.float().abs().sum(dim=1)
    edges = edge_strength(images)
    scores = []
    for i in range(len(images)):
        box = boxes[i] if boxes is not None else Box(0, 0, images.shape[-2], images.shape[-1])
        a = magnitude[i, box.top:box.bottom, box.left:box.right].flatten()
        b = edges[i, box.top:box.bottom, box.left:box.right].flatten()
        a, b = a - a.mean(), b - b.mean()
        scores.append((a @ b) / (a.norm() * b.norm()).clamp(min=1e-12))
    return torch.stack(scores)
