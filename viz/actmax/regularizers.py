"""Regularizers of the "classic" preset (Yosinski et al. 2015, "Understanding Neural Networks Through Deep
Visualization"), for the pixel parameterization without squashing, where the parameters are the image.

Their method is gradient ascent followed, after every step, by an operator r(x) (`ImagePrior` here) that
pulls the image towards natural-looking pictures: L2 decay towards grey, a Gaussian blur every few steps,
and setting to grey the pixels with a small norm or a small contribution (|x * grad| summed over colours)
below a percentile. Total variation (Mahendran & Vedaldi 2015) is the one penalty: it is subtracted from the score.
Grey 0.5 plays the role of their mean-subtracted zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..core.images import GREY


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N,C,H,W), radius 3 sigma, reflected borders."""
    radius = max(1, math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = images.shape[1]
    out = F.pad(images, [radius] * 4, mode="reflect")
    out = F.conv2d(out, kernel.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(out, kernel.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def total_variation(images: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels, one value per image."""
    dy = (images[:, :, 1:] - images[:, :, :-1]).abs().flatten(1).mean(dim=1)
    dx = (images[:, :, :, 1:] - images[:, :, :, :-1]).abs().flatten(1).mean(dim=1)
    return dx + dy


def _grey_below_percentile(pixels: torch.Tensor, score: torch.Tensor, percentile: float) -> None:
    """Set to grey, in place, the pixels whose (N,H,W) `score` is below the image's `percentile`."""
    cut = torch.quantile(score.flatten(1), percentile / 100, dim=1).view(-1, 1, 1)
    pixels.masked_fill_((score < cut).unsqueeze(1), GREY)


@dataclass(frozen=True)
class ImagePrior:
    """r(x), applied in place to the image after each ascent step (all off at their zero values)."""

    decay: float = 0.0  # L2 decay: x <- grey + (1 - decay) (x - grey)
    blur_every: int = 0  # blur once every this many steps (0: never)
    blur_sigma: float = 0.0  # Gaussian blur radius in pixels
    norm_percentile: float = 0.0  # grey out pixels whose colour-vector norm is below this percentile
    contribution_percentile: float = 0.0  # grey out pixels whose |x * grad| is below this percentile

    @torch.no_grad()
    def __call__(self, pixels: torch.Tensor, grad: torch.Tensor | None, step: int) -> None:
        if self.decay:
            pixels.sub_(GREY).mul_(1 - self.decay).add_(GREY)
        if self.blur_every and self.blur_sigma and (step + 1) % self.blur_every == 0:
            pixels.copy_(gaussian_blur(pixels, self.blur_sigma))
        if self.norm_percentile:
            _grey_below_percentile(pixels, (pixels - GREY).norm(dim=1), self.norm_percentile)
        if self.contribution_percentile and grad is not None:
            _grey_below_percentile(pixels, ((pixels - GREY) * grad).sum(dim=1).abs(), self.contribution_percentile)
        pixels.clamp_(0, 1)
