"""Where a model runs: CUDA, then Apple MPS, then CPU, unless the caller names one."""

from __future__ import annotations

import torch

from .errors import UserError


def pick_device(requested: str | torch.device | None = None) -> torch.device:
    """Return `requested` as a device after checking it exists here, or the best available one."""
    if requested is None or str(requested) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as exc:
        raise UserError(f"unknown device {requested!r}: use auto, cpu, cuda, cuda:N or mps") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError("CUDA was asked for but no CUDA GPU is visible here: use --device cpu (or auto)")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise UserError(f"there is no {device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "mps" and not (torch.backends.mps.is_available()):
        raise UserError("Apple MPS was asked for but is not available here: use --device cpu (or auto)")
    return device
