"""Image parameterizations: what the optimizer changes, and how that becomes an RGB image in [0,1].

Each returns `(parameters, image_fn)`: the tensors to optimize and a function that builds the (N,3,H,W)
image batch from them. The Fourier one (Olah et al. 2017, "Preconditioning") scales each frequency by
1/f so that steps change coarse structure as easily as fine detail, which keeps renders from turning into
high-frequency noise. Both can express colour in a decorrelated basis (ImageNet's colour correlation) and
squash to [0,1] with a sigmoid; `to_valid_rgb` is that last step. The MACO one (Fel et al. 2023) optimizes
only the phase of the spectrum: its magnitude is fixed to that of natural photos (`viz.actmax.natural`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..core.streams import Random
from ..core.streams import randn as _randn
from .natural import COLOR_CORRELATION_NORMALIZED, COLOR_DECORRELATION, load_spectrum, mix_colors, standardize

INIT_SD = 0.01  # standard deviation of the random start (Lucid's), small: the start is a flat grey
FOURIER_DAMPING = 4.0  # Lucid's divisor of the inverse FFT: keeps the start and the steps from saturating

ImageFn = Callable[[], torch.Tensor]


def decorrelate_color(t: torch.Tensor) -> torch.Tensor:
    """Map (N,3,H,W) from the decorrelated colour basis to RGB (before squashing)."""
    return mix_colors(t, COLOR_CORRELATION_NORMALIZED)


def to_valid_rgb(t: torch.Tensor, decorrelate: bool = True) -> torch.Tensor:
    """Unconstrained (N,3,H,W) -> image in (0,1): optional colour decorrelation, then a sigmoid."""
    return torch.sigmoid(decorrelate_color(t) if decorrelate else t)


def from_valid_rgb(image: torch.Tensor, decorrelate: bool = True, eps: float = 1e-3) -> torch.Tensor:
    """The inverse of `to_valid_rgb` (pixels kept `eps` inside (0,1)): where a picture starts from a photo."""
    logits = torch.logit(image.clamp(eps, 1 - eps))
    if not decorrelate:
        return logits
    return mix_colors(logits, COLOR_DECORRELATION)


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
    n: int, size: int, *, generator: Random, device, decorrelate: bool = True, decay_power: float = 1.0,
    start: torch.Tensor | None = None,
) -> tuple[list[torch.Tensor], ImageFn]:
    """Parameters are the image's real-FFT coefficients (real and imaginary parts), scaled by 1/f.

    `start` (N,3,size,size), from `from_valid_rgb`, is added before squashing: the picture then starts from it.
    """
    scale = spectrum_scale(size, size, decay_power).to(device)[None, None, ..., None]
    spectrum = (_randn((n, 3, size, size // 2 + 1, 2), generator, device) * INIT_SD).requires_grad_(True)

    def image() -> torch.Tensor:
        coefficients = torch.view_as_complex((spectrum * scale).contiguous())
        spatial = torch.fft.irfftn(coefficients, s=(size, size), norm="ortho") / FOURIER_DAMPING
        return to_valid_rgb(spatial if start is None else spatial + start, decorrelate)

    return [spectrum], image


# Contrast of a MACO picture: its standardized values are scaled by this before the sigmoid. Horama stretches its
# pictures' contrast only for display; here the network sees what is shown. On 8 parts-tier units of Lite0 at
# `fast` quality, 2.0 against 1.0 raised the judged activation from 18.4 to 19.2 and the plausibility from
# 0.196 to 0.201 (docs/natural.md), and by eye turned washed-out textures into shapes with edges.
MACO_CONTRAST = 2.0


def maco_image(
    n: int, size: int, *, generator: Random, device, decorrelate: bool = True
) -> tuple[list[torch.Tensor], ImageFn]:
    """Parameters are the phases of the spectrum; its magnitude is the natural one, never optimized.

    As in the reference code (Horama): the phases are standardized, the picture built from them is
    standardized, scaled by MACO_CONTRAST, then coloured and squashed. The magnitude of the standardized picture's spectrum is the
    natural one times a constant, at every step (up to the real-FFT's self-conjugate first and Nyquist columns).
    """
    magnitude = load_spectrum(size, device)
    phase = _randn((n, 3, size, size // 2 + 1), generator, device).requires_grad_(True)

    def image() -> torch.Tensor:
        spatial = torch.fft.irfft2(torch.polar(magnitude.expand_as(phase), standardize(phase)), s=(size, size),
                                   norm="ortho")
        return to_valid_rgb(MACO_CONTRAST * standardize(spatial), decorrelate)

    return [phase], image


PARAMETERIZATIONS = {"fourier": fourier_image, "pixel": pixel_image, "maco": maco_image}

