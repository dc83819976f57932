"""Torch's intra-op thread count, changed only for the work that needs it and put back afterwards.

`torch.set_num_threads` is not local: besides the calling thread's own count it sets the default of every
thread that first uses torch later (checked: a thread started while the count is 1 keeps 1 for its
lifetime). Library code therefore never sets it bare; it wraps the work in `torch_threads(n)`, which restores
the count in `finally`. When several threads hold scopes at once, the count found by the first to enter is
restored by the last to leave, so overlapping scopes never leave one of their counts behind.

On the CPU a render's pixels depend on the count (the kernels split their sums by thread), so a figure records
`intra_op_threads()` and `reproduce` renders again inside `torch_threads(recorded)`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

_guard = threading.Lock()
_open = 0  # scopes open in the process
_found = 0  # the count before the first of them


def intra_op_threads() -> int:
    """The count that decides a CPU render's arithmetic (recorded in sidecars and cache keys)."""
    return torch.get_num_threads()


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the enclosed torch work on `count` intra-op threads, then restore the count (also on an error);
    None leaves the count as it is.

    Also a decorator: `@torch_threads(1)` scopes every call of the function."""
    global _open, _found
    if count is None:
        yield
        return
    if count < 1:
        raise ValueError(f"a thread count is 1 or more, not {count}")
    with _guard:
        if _open == 0:
            _found = torch.get_num_threads()
        _open += 1
        before = torch.get_num_threads()
        torch.set_num_threads(count)
    try:
        yield
    finally:
        with _guard:
            _open -= 1
            torch.set_num_threads(_found if _open == 0 else before)
