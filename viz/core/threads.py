"""torch's intra-op thread count, scoped: a render's pixels depend on it on the CPU (the kernels split their sums
by thread), so a figure records it and `reproduce` renders again at the recorded count, then restores the caller's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def intra_op_threads() -> int:
    """The count that decides a CPU render's arithmetic (recorded in sidecars and cache keys)."""
    return torch.get_num_threads()


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the enclosed torch work on `count` intra-op threads (None: leave it), then restore the count."""
    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
