"""ui.memo.per_object: a value worked out once while its object lives, forgotten with it."""

from __future__ import annotations

import gc

import torch

from ui import memo


def test_a_value_is_worked_out_once_per_live_object_and_forgotten_with_it():
    calls = []
    photo = torch.rand(3, 8, 8)
    digest = lambda: calls.append(1) or "the photo's"  # noqa: E731
    first = memo.per_object(photo, "digest", digest)
    assert memo.per_object(photo, "digest", digest) == first and len(calls) == 1  # a second session: no work
    assert memo.per_object(photo, "size", lambda: (3, 8, 8)) == (3, 8, 8)  # another value, its own key
    twin = photo.clone()
    assert memo.per_object(twin, "digest", lambda: "the twin's") == "the twin's"  # by identity, not by pixels
    keys = {(id(photo), "digest"), (id(photo), "size"), (id(twin), "digest")}
    assert keys <= set(memo._values)
    del photo, twin
    gc.collect()
    assert not keys & set(memo._values)  # forgotten with their objects: never outgrows the results it serves
