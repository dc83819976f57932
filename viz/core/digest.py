"""A short hash of a tensor's values: keys for work on tensors that have no trustworthy name (an upload, a
photo, a direction vector), so that equal values share a cache entry and different ones never do."""

from __future__ import annotations

import hashlib

import torch


def tensor_digest(t: torch.Tensor, length: int = 16) -> str:
    """The first `length` hex digits of the SHA-256 of the tensor's dtype, shape and values."""
    data = t.detach().cpu().contiguous()
    return hashlib.sha256(str((data.dtype, tuple(data.shape))).encode() + data.numpy().tobytes()).hexdigest()[:length]
