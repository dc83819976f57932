"""The disk cache: computes once, heals a corrupt entry, and an unusable folder costs only a recomputation."""

from __future__ import annotations

import torch

from viz.serving.cache import DiskCache


def test_cache_computes_once_then_hits(tmp_path):
    cache = DiskCache("renders", root=tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return {"images": torch.arange(6.0).view(2, 3), "history": [1.0, 2.0]}

    first = cache.get_or_compute({"model": "m", "unit": 3}, compute)
    second = cache.get_or_compute({"model": "m", "unit": 3}, compute)
    assert len(calls) == 1
    assert torch.equal(first["images"], second["images"]) and second["history"] == [1.0, 2.0]
    cache.get_or_compute({"model": "m", "unit": 4}, compute)
    assert len(calls) == 2


def test_a_corrupt_entry_is_recomputed(tmp_path):
    cache = DiskCache("renders", root=tmp_path)
    parts = {"unit": 1}
    cache.get_or_compute(parts, lambda: {"v": torch.ones(1)})
    path = cache.path(cache.key(parts))
    path.write_bytes(b"\x80garbage")
    value = cache.get_or_compute(parts, lambda: {"v": torch.zeros(1)})
    assert torch.equal(value["v"], torch.zeros(1))
    assert torch.equal(cache.load(cache.key(parts))["v"], torch.zeros(1))


def test_a_disabled_cache_stores_nothing(tmp_path):
    cache = DiskCache("x", root=tmp_path, enabled=False)
    cache.get_or_compute({"a": 1}, lambda: {"v": 1})
    assert not any(tmp_path.rglob("*.pt"))


def test_an_unwritable_cache_costs_only_a_recomputation(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = DiskCache("x", root=blocker)
    assert cache.get_or_compute({"a": 1}, lambda: {"v": 7}) == {"v": 7}
