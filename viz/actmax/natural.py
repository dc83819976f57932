"""Statistics of natural photos that the parameterizations build on: colour correlation and magnitude spectrum.

The colour correlation is ImageNet's (Lucid's published values). MACO (Fel et al. 2023) renders optimize only the
phase of a picture's spectrum; its magnitude stays this average, so every render has the energy per frequency of a
photo and cannot fill up with high-frequency patterns. The spectrum describes the picture as the parameterization
builds it: standardized, in the decorrelated colour basis, before the sigmoid. `natural_spectrum` computes it from
photos on disk; the shipped default (`natural_spectrum.npy`, float16, 3 x 224 x 113) was made from the bundled
gallery with `python -m viz spectrum --out viz/actmax/natural_spectrum.npy` (docs/natural.md), so nothing is
downloaded.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.errors import UserError

from ..core.images import gallery_dir, image_files, load_image

# Square root of ImageNet's RGB covariance (Lucid's published values); its columns are scaled so the
# largest has norm 1. Multiplying a decorrelated colour vector by it gives correlated RGB.
COLOR_CORRELATION_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR_CORRELATION_NORMALIZED = COLOR_CORRELATION_SQRT / COLOR_CORRELATION_SQRT.norm(dim=0).max()
COLOR_DECORRELATION = torch.linalg.pinv(COLOR_CORRELATION_NORMALIZED)  # correlated RGB -> decorrelated basis

SHIPPED = Path(__file__).with_name("natural_spectrum.npy")
SPECTRUM_SIZE = 224  # side of the pictures the shipped spectrum describes; other sides are resampled from it
CROP_SCALES = (1.0, 0.5)  # each photo gives its full centre square and a 3x3 grid of half-side squares


def mix_colors(t: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """(N,3,H,W) with each pixel's colour vector multiplied by the 3x3 `matrix`.

    One small matmul: on a CPU a twentieth of the time of the equivalent einsum ("nchw,dc->ndhw"), which
    becomes a long, thin batched product, forward and backward; it ran in every render step."""
    matrix = matrix.to(device=t.device, dtype=t.dtype)
    return (matrix @ t.flatten(2)).view(t.shape)


def standardize(t: torch.Tensor) -> torch.Tensor:
    """Zero mean and unit standard deviation per image of an (N, ...) batch."""
    flat = t.flatten(1)
    mean, std = flat.mean(dim=1), flat.std(dim=1)
    shape = (-1,) + (1,) * (t.dim() - 1)
    return (t - mean.view(shape)) / (std.view(shape) + 1e-4)


def _squares(image: torch.Tensor) -> list[torch.Tensor]:
    """The crops one photo contributes: squares of each CROP_SCALES side, on a grid over the photo."""
    _, h, w = image.shape
    out = []
    for scale in CROP_SCALES:
        side = max(1, round(min(h, w) * scale))
        steps = 1 if scale == 1.0 else 3
        for top in np.linspace(0, h - side, steps).round().astype(int):
            for left in np.linspace(0, w - side, steps).round().astype(int):
                out.append(image[:, top : top + side, left : left + side])
    return out


def natural_spectrum(folder: str | os.PathLike | None = None, size: int = SPECTRUM_SIZE) -> torch.Tensor:
    """(3, size, size//2+1) mean |rfft2| of the photos under `folder` (default: the bundled gallery).

    Each crop is resized to `size`, standardized and taken into the decorrelated colour basis (the inverse of
    `decorrelate_color`), as the MACO parameterization's picture is before its sigmoid.
    """
    files = image_files(folder if folder is not None else gallery_dir())
    if not files:
        raise UserError(f"no photos under {folder}: give a folder of .jpg/.png photos to compute a spectrum from")
    total, count = torch.zeros(3, size, size // 2 + 1), 0
    for path in files:
        crops = [F.interpolate(c[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)
                 for c in _squares(load_image(path))]
        batch = mix_colors(standardize(torch.cat(crops)), COLOR_DECORRELATION)
        total += torch.fft.rfft2(batch, norm="ortho").abs().sum(dim=0)
        count += len(crops)
    return total / count


def save_spectrum(spectrum: torch.Tensor, path: str | os.PathLike) -> None:
    np.save(path, spectrum.numpy().astype(np.float16))


@functools.lru_cache(maxsize=16)
def _resampled(size: int) -> torch.Tensor:
    shipped = torch.from_numpy(np.load(SHIPPED).astype(np.float32))
    if shipped.shape[1] == size:
        return shipped
    # Resample with the zero frequency in the middle of the full axis, so neighbours in frequency stay neighbours.
    centred = torch.fft.fftshift(shipped, dim=1)[None]
    resized = F.interpolate(centred, size=(size, size // 2 + 1), mode="bilinear", antialias=True, align_corners=False)
    return torch.fft.ifftshift(resized[0], dim=1)


def load_spectrum(size: int, device=None) -> torch.Tensor:
    """The shipped natural spectrum for `size`-px pictures: (3, size, size//2+1), on `device`."""
    return _resampled(size).to(device)
