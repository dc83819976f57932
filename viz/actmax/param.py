"""Image parameterizations: what the optimizer changes, and how that becomes an RGB image in [0,1].

Each returns `(parameters, image_fn)`: the tensors to optimize and a function that builds the (N,3,H,W)
image batch from them. The Fourier one (Olah et al. 2017, "Preconditioning") scales each frequency by
1/f so that steps change coarse structure as easily as fine detail, which keeps renders from turning into
high-frequency noise. Both can express colour in a decorrelated basis (ImageNet's colour correlation) and
squash to [0,1] with a sigmoid; `to_valid_rgb` is that last step.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..core.streams import Random
from ..core.streams import randn as _randn

# Square root of ImageNet's RGB covariance (Lucid's published values); its columns are scaled so the
# largest has norm 1. Multiplying a decorrelated colour vector by it gives correlated RGB.
COLOR_CORRELATION_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR_CORRELATION_NORMALIZED = COLOR_CORRELATION_SQRT / COLOR_CORRELATION_SQRT.norm(dim=0).max()

INIT_SD = 0.01  # standard deviation of the random start (Lucid's), small: the start is a flat grey
FOURIER_DAMPING = 4.0  # Lucid's divisor of the inverse FFT: keeps the start and the steps from saturating

ImageFn = Callable[[], torch.Tensor]


def decorrelate_color(t: torch.Tensor) -> torch.Tensor:
    """Map (N,3,H,W) from the decorrelated colour basis to RGB (before squashing)."""
    m = COLOR_CORRELATION_NORMALIZED.to(device=t.device, dtype=t.dtype)
    return torch.einsum("nchw,dc->ndhw", t, m)


def to_valid_rgb(t: torch.Tensor, decorrelate: bool = True) -> torch.Tensor:
    """Unconstrained (N,3,H,W) -> image in (0,1): optional colour decorrelation, then a sigmoid."""
    return torch.sigmoid(decorrelate_color(t) if decorrelate else t)


def pixel_image(
    n: int, size: int, *, generator: Random, device, decorrelate: bool = True, squash: bool = True
) -> tuple[list[torch.Tensor], ImageFn]:
    """One free value per pixel and colour.

    `squash=False` makes the parameters the image itself (start: grey 0.5 plus noise), for the classic
    regularized ascent whose prior steps (decay, blur, clipping) act on pixels; the caller keeps it in [0,1].
    """
    noise = _randn((n, 3, size, size), generator, device) * INIT_SD
    if not squash:
        pixels = (noise + 0.5).requires_grad_(True)
        return [pixels], lambda: pixels
    pixels = noise.requires_grad_(True)
    return [pixels], lambda: to_valid_rgb(pixels, decorrelate)


def spectrum_scale(h: int, w: int, decay_power: float = 1.0) -> torch.Tensor:
    """1/f^decay for the (h, w//2+1) real-FFT frequencies; f is floored at 1/max(h,w) (the lowest non-zero)."""
    fy = torch.fft.fftfreq(h).view(-1, 1)
    fx = torch.fft.rfftfreq(w).view(1, -1)
    freqs = (fx * fx + fy * fy).sqrt()
    return 1.0 / freqs.clamp(min=1.0 / max(h, w)) ** decay_power


def fourier_image(
    n: int, size: int, *, generator: Random, device, decorrelate: bool = True, decay_power: float = 1.0
) -> tuple[list[torch.Tensor], ImageFn]:
    """Parameters are the image's real-FFT coefficients (real and imaginary parts), scaled by 1/f."""
    scale = spectrum_scale(size, size, decay_power).to(device)[None, None, ..., None]
    spectrum = (_randn((n, 3, size, size // 2 + 1, 2), generator, device) * INIT_SD).requires_grad_(True)

    def image() -> torch.Tensor:
        coefficients = torch.view_as_complex((spectrum * scale).contiguous())
        spatial = torch.fft.irfftn(coefficients, s=(size, size), norm="ortho") / FOURIER_DAMPING
        return to_valid_rgb(spatial, decorrelate)

    return [spectrum], image


PARAMETERIZATIONS = {"fourier": fourier_image, "pixel": pixel_image}

