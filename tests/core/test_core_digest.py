"""The one tensor digest: equal values share a key, anything that changes the values changes it."""

import hashlib

import torch

from viz.core.digest import tensor_digest


def test_equal_values_share_a_digest_whatever_the_memory_layout():
    t = torch.arange(12.0).view(3, 4)
    assert tensor_digest(t) == tensor_digest(t.clone()) == tensor_digest(t.t().contiguous().t())


def test_values_dtype_and_shape_each_change_the_digest():
    t = torch.arange(12.0).view(3, 4)
    changed = t.clone()
    changed[2, 3] += 1e-6
    digests = {tensor_digest(t), tensor_digest(changed), tensor_digest(t.double()), tensor_digest(t.view(4, 3))}
    assert len(digests) == 4


def test_digest_is_the_head_of_a_sha256_of_dtype_shape_and_bytes():
    t = torch.tensor([1.0, 2.0])
    full = hashlib.sha256(b"(torch.float32, (2,))" + t.numpy().tobytes()).hexdigest()
    assert tensor_digest(t) == full[:16] and tensor_digest(t, 8) == full[:8]
