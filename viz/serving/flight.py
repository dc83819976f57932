"""Single flight: identical work in flight is computed once and its result shared.

Keyed like the disk cache (model, weights, settings, code version). In one process the first caller of a
key becomes its leader and the others wait on its future; across processes that share the cache folder
(the app, a running `python -m viz precompute`, the ranks of `torchrun -m viz atlas`) a file lock per key
lets one process compute while the others block on the lock and then read the entry it wrote.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from filelock import FileLock

T = TypeVar("T")

_flights: dict[str, Future] = {}  # key -> the leader's future, while its work is in flight
_guard = threading.Lock()


def once(key: str, load: Callable[[], T | None], compute: Callable[[], T], lock_file: Path | None = None) -> T:
    """`load()`'s value if there is one; otherwise `compute()`, run by one caller per key at a time.

    `compute` must leave its result where `load` finds it (e.g. write the cache entry) for callers in other
    processes; threads of this process get the leader's value directly. A leader's exception reaches its
    followers too. Without `lock_file` only this process is covered.
    """
    value = load()
    if value is not None:
        return value
    with _guard:
        future = _flights.get(key)
        leader = future is None
        if leader:
            future = _flights[key] = Future()
    if not leader:
        return future.result()
    try:
        value = _across_processes(lock_file, load, compute)
    except BaseException as exc:
        future.set_exception(exc)
        raise
    else:
        future.set_result(value)
        return value
    finally:
        with _guard:
            _flights.pop(key, None)


def in_flight() -> int:
    """How many keys are being computed in this process right now (for tests and status lines)."""
    with _guard:
        return len(_flights)


def _across_processes(lock_file: Path | None, load: Callable[[], T | None], compute: Callable[[], T]) -> T:
    """Hold the key's file lock while computing; another process may have finished it while we waited."""
    if lock_file is None:
        return compute()
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(lock_file)
        lock.acquire()
    except OSError:  # a read-only cache folder: no lock, so at worst a duplicate computation
        return compute()
    try:
        value = load()
        return compute() if value is None else value
    finally:
        lock.release()
