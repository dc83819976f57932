"""Top-k dataset examples: equal to a brute-force top-k over all activations; unreadable files skipped."""

from __future__ import annotations

import pytest
import torch
from support.deconv_nets import chain_model

import models
from models.errors import UserError
from viz.core.images import to_batch, to_pil
from viz.core.receptive_field import Box
from viz.serving.cache import DiskCache
from viz.zf.topk import top_examples


@pytest.fixture(scope="module")
def chain():
    return chain_model(dtype=torch.float32)


@pytest.fixture(scope="module")
def images():
    return torch.rand(11, 3, 16, 16, generator=torch.Generator().manual_seed(3))


def brute_force(model, images, layer, k, per_image):
    with torch.no_grad():
        act = model.net(images) if layer == "top" else None
    n, c, h, w = act.shape
    if per_image:
        per = act.reshape(n, c, -1).amax(dim=2).T  # (C, N)
        values, idx = per.topk(min(k, n), dim=1)
        return values, idx, None
    flat = act.permute(1, 0, 2, 3).reshape(c, -1)  # (C, N*H*W)
    values, idx = flat.topk(k, dim=1)
    return values, idx // (h * w), idx % (h * w)


@pytest.mark.parametrize("per_image", [False, True])
def test_equals_brute_force_topk(chain, images, per_image):
    progress = []
    found = top_examples(
        chain, images, "top", k=5, per_image=per_image, batch_size=3, progress=lambda d, t: progress.append((d, t))
    )
    values, image_idx, positions = brute_force(chain, images, "top", 5, per_image)
    torch.testing.assert_close(found.values, values)
    assert torch.equal(found.images, image_idx)
    if positions is not None:
        assert torch.equal(found.positions, positions)
    else:
        assert all(len({e.image for e in found.examples(c)}) == 5 for c in range(found.channels))
    assert progress == [(3, 11), (6, 11), (9, 11), (11, 11)]


def test_long_sweep_with_skipped_maps_equals_brute_force(chain):
    """Many small batches: most maps cannot beat the running k-th value and skip their own top-k."""
    many = torch.rand(60, 3, 16, 16, generator=torch.Generator().manual_seed(5))
    found = top_examples(chain, many, "top", k=4, batch_size=4)
    values, image_idx, positions = brute_force(chain, many, "top", 4, False)
    torch.testing.assert_close(found.values, values)
    assert torch.equal(found.images, image_idx) and torch.equal(found.positions, positions)


def test_examples_carry_position_and_box(chain, images):
    found = top_examples(chain, images, "top", k=2, batch_size=4)
    best = found.examples(1)[0]
    with torch.no_grad():
        act = chain.net(images[best.image : best.image + 1])[0, 1]
    assert act[best.position] == pytest.approx(best.value) and act.max() == pytest.approx(best.value)
    y, x = best.position  # conv3 (3x3) <- conv2 (3x3, pad 1) <- pool 2 <- conv1 (3x3, pad 1): 12 px fields
    assert best.box == Box(max(0, 2 * y - 3), max(0, 2 * x - 3), min(16, 2 * y + 9), min(16, 2 * x + 9))
    assert best.source == f"tensor[{best.image}]"
    assert torch.equal(found.image(best.image, images), images[best.image])


def test_fewer_candidates_than_k(chain, images):
    found = top_examples(chain, images[:3], "top", k=9, per_image=True)
    assert [len(found.examples(c)) for c in range(found.channels)] == [3] * 6


def test_folder_skips_unreadable_files_and_caches(chain, images, tmp_path):
    for i, image in enumerate(images[:5]):
        to_pil(image).save(tmp_path / f"img{i}.png")
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    (tmp_path / "empty.png").write_bytes(b"")
    cache = DiskCache("topk", root=tmp_path / "cache")
    found = top_examples(chain, tmp_path, "top", k=4, batch_size=2, cache=cache)
    assert sorted(p.split("/")[-1] for p, _ in found.skipped) == ["broken.jpg", "empty.png"]
    assert found.skipped_message().startswith("skipped 2 unreadable file(s): broken.jpg")
    assert len(found.sources) == 5
    loaded = to_batch([tmp_path / f"img{i}.png" for i in range(5)], 16)
    values, image_idx, _ = brute_force(chain, loaded, "top", 4, False)
    torch.testing.assert_close(found.values, values)
    names = [found.sources[i].split("/")[-1] for i in found.images[0]]
    assert names == [f"img{int(i)}.png" for i in image_idx[0]]
    calls = []
    again = top_examples(chain, tmp_path, "top", k=4, batch_size=2, cache=cache, progress=lambda d, t: calls.append(d))
    assert calls == [7] and torch.equal(again.values, found.values) and again.skipped == found.skipped


@pytest.mark.parametrize(
    "source, kwargs, message",
    [
        ("empty_dir", {}, "no images in"),
        ("broken_only", {}, "none of the 1 files could be read"),
        ("tensor", {"layer": "fc9"}, "no layer 'fc9'"),
        ("tensor", {"k": 0}, "k must be a whole number 1-1000, not 0"),
        ("tensor", {"fit": "stretch"}, "squash, crop"),
    ],
)
def test_bad_input(chain, images, tmp_path, source, kwargs, message):
    if source == "broken_only":
        (tmp_path / "x.png").write_bytes(b"garbage")
    sources = images if source == "tensor" else tmp_path
    with pytest.raises(UserError, match=message):
        top_examples(chain, sources, **{"layer": "top", **kwargs}, cache=DiskCache("t", enabled=False))


def test_real_model_on_the_gallery_one_photo_each():
    model = models.load("efficientnet_lite0", weights="none")
    found = top_examples(model, None, "_blocks.1", k=9, per_image=True, cache=DiskCache("t", enabled=False))
    examples = found.examples(0)
    assert len(examples) == 8 and len({e.source for e in examples}) == 8  # the gallery has 8 photos
    assert [e.value for e in examples] == sorted((e.value for e in examples), reverse=True)
    assert all(e.box.height <= 11 for e in examples)
