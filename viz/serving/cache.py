"""The on-disk cache for expensive results (renders, top-k sweeps).

A key is a SHA-256 of everything that decides the result: the caller's parts (the model as `model_key` names
it, then layer, units, settings) plus the code version (a hash of the engine's own source). Values are dicts of tensors and
plain Python values, written atomically (temporary file, then rename) and read back with
`weights_only=True`; an entry that cannot be read is deleted and recomputed, never fatal. A missing entry
is computed once however many threads and processes ask for it at the same time (`viz.serving.flight`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from models import LoadedModel

from ..core.files import write_atomic
from .flight import once

_ENGINE_DIRS = ("viz", "models")


@functools.cache
def code_version() -> str:
    """Hash of the engine's source files: any code change invalidates old entries."""
    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for folder in _ENGINE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def cache_key(parts: dict) -> str:
    """SHA-256 of the parts and the code version: the key of the disk cache and of shared work in flight."""
    blob = json.dumps({"code": code_version(), **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def entry_count(root: str | os.PathLike | None = None) -> int:
    """How many entries the cache holds, over every namespace (precompute reports what it added)."""
    folder = Path(root) if root is not None else default_cache_dir()
    return sum(1 for _ in folder.rglob("*.pt")) if folder.is_dir() else 0


def default_cache_dir() -> Path:
    """$VIZ_CACHE_DIR, else $XDG_CACHE_HOME/cnn-feature-viz, else ~/.cache/cnn-feature-viz."""
    if os.environ.get("VIZ_CACHE_DIR"):
        return Path(os.environ["VIZ_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnn-feature-viz"


class DiskCache:
    """Results by key under `root/namespace/`; `enabled=False` makes every lookup a miss and stores nothing."""

    def __init__(self, namespace: str, root: str | os.PathLike | None = None, enabled: bool = True):
        self.folder = Path(root) if root is not None else default_cache_dir()
        self.folder = self.folder / namespace
        self.enabled = enabled

    def key(self, parts: dict) -> str:
        return cache_key(parts)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pt"

    def load(self, key: str) -> dict | None:
        path = self.path(key)
        if not self.enabled or not path.is_file():
            return None
        try:
            with warnings.catch_warnings():  # a damaged file may also trip torch's pickle-protocol warning
                warnings.simplefilter("ignore")
                value = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(value, dict):
                raise ValueError("not a dict")
            return value
        except Exception:  # any unreadable entry is recomputed
            path.unlink(missing_ok=True)
            return None

    def save(self, key: str, value: dict) -> None:
        if not self.enabled:
            return
        path = self.path(key)
        buffer = io.BytesIO()
        torch.save(value, buffer)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, buffer.getvalue())
        except OSError:
            pass  # a full or read-only disk costs a recomputation later, nothing more

    def get_or_compute(self, parts: dict, compute: Callable[[], dict]) -> dict:
        """The entry for `parts`, computed (once, see `viz.serving.flight`) and stored when missing."""
        key = self.key(parts)
        if not self.enabled:
            return compute()

        def compute_and_store() -> dict:
            value = compute()
            self.save(key, value)
            return value

        lock_file = self.folder / "locks" / f"{key}.lock"
        return once(f"{self.folder}/{key}", lambda: self.load(key), compute_and_store, lock_file)


CacheChoice = DiskCache | bool  # every engine call's `cache`: True its default store, False none, or this store


def store_for(cache: CacheChoice, namespace: str) -> DiskCache:
    """The store a call given `cache` uses: `namespace` in the default folder (True), nothing (False), or `cache`
    itself (a DiskCache: another folder, or a test's recorder)."""
    if isinstance(cache, DiskCache):
        return cache
    if isinstance(cache, bool):
        return DiskCache(namespace, enabled=cache)
    raise TypeError(f"cache must be True, False or a DiskCache, not {type(cache).__name__}")


def model_key(model: LoadedModel) -> dict:
    """What names a loaded model in every cache key: its name, its weights' identity, its input size, and the
    device type (a GPU's kernels round differently from the CPU's). A result that also depends on the arithmetic
    of a long optimization adds that itself (`viz.actmax.rendering.cache_parts`: torch's version, CPU threads)."""
    return {"model": model.name, "weights": model.weights_id, "input_size": model.input_size,
            "device": model.device.type}

