"""The render loop: reproducibility, hooks, cache, silent units, truncation, bad input, batch splitting, presets."""


import pytest
import torch
from support.helpers import count_hooks
from torch import nn

import models
import viz
from models.errors import UserError
from viz.actmax import objectives as O
from viz.actmax import rendering as render_module
from viz.actmax.param import INIT_SD
from viz.actmax.regularizers import ImagePrior
from viz.actmax.settings import PRESETS, QUALITY, quality_settings
from viz.core.images import GREY
from viz.serving.cache import DiskCache

SMALL = dict(size=32, steps=6, cache=False)


@pytest.fixture(scope="module")
def model(lite0):
    return lite0


UNITS = [("_blocks.3", 0), ("_blocks.3", 5)]


def test_returns_images_in_unit_range_and_a_history_per_step(model):
    images, history = viz.render(model, UNITS, **SMALL)
    assert images.shape == (2, 3, 32, 32) and images.dtype == torch.float32
    assert 0 <= images.min() and images.max() <= 1
    assert history.shape == (6, 2)
    assert (history[-1] > history[0]).all()  # the objective went up for both units


def test_same_seed_same_images_other_seed_other_images(model):
    a = viz.render(model, UNITS, seed=3, **SMALL).images
    b = viz.render(model, UNITS, seed=3, **SMALL).images
    c = viz.render(model, UNITS, seed=4, **SMALL).images
    assert torch.equal(a, b)
    assert (a - c).abs().max() > 0.01


def test_no_hook_survives_a_render_nor_a_failing_one(model):
    before = count_hooks(model.net)
    viz.render(model, UNITS, **SMALL)
    assert count_hooks(model.net) == before

    for fail_at in (2, 5):  # during the redirected-gradient phase and after it

        def progress(done, total, fail_at=fail_at):
            if done == fail_at:
                raise RuntimeError("stop here")

        with pytest.raises(RuntimeError, match="stop here"):
            viz.render(model, UNITS, redirect_steps=3, progress=progress, **SMALL)
        assert count_hooks(model.net) == before


def test_the_forward_pass_stops_at_the_deepest_layer_needed(model):
    calls = []
    handle = model.net._conv_head.register_forward_hook(lambda *a: calls.append(1))
    try:
        viz.render(model, UNITS, **SMALL)
        assert calls == []
        viz.render(model, [O.logit(1)], **SMALL)  # the logits need the head
        assert calls
    finally:
        handle.remove()


def test_cache_hit_and_corrupt_entry(model, tmp_path):
    cache = DiskCache("renders", root=tmp_path)
    steps = []
    first = viz.render(model, UNITS, size=32, steps=3, cache=cache, progress=lambda d, t: steps.append(d))
    assert steps == [1, 2, 3]
    again = viz.render(model, UNITS, size=32, steps=3, cache=cache, progress=lambda d, t: steps.append(d))
    assert steps == [1, 2, 3] and torch.equal(first.images, again.images)  # served from disk
    (entry,) = list(tmp_path.rglob("*.pt"))
    entry.write_bytes(b"not a torch file")
    redone = viz.render(model, UNITS, size=32, steps=3, cache=cache, progress=lambda d, t: steps.append(d))
    assert steps == [1, 2, 3, 1, 2, 3] and torch.equal(first.images, redone.images)
    other = viz.render(model, UNITS, size=32, steps=3, seed=1, cache=cache, progress=lambda d, t: steps.append(d))
    assert len(steps) == 9 and not torch.equal(first.images, other.images)  # the seed is part of the key


def silent_unit_model():
    """Conv then in-place ReLU; channel 0's bias is so negative that it is zero on every starting image."""
    net = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.ReLU(inplace=True))
    with torch.no_grad():
        net[0].weight.fill_(0.1)
        net[0].bias.copy_(torch.tensor([-1.8, 0.0]))
    return models.from_module(net, name="silent", layers=["1"], input_size=32)


def test_a_silent_unit_still_gets_a_gradient_through_an_inplace_relu():
    tiny = silent_unit_model()
    after_relu = dict(size=32, steps=30, lr=0.2, cache=False, pre_relu=False)  # read where the ReLU silences it
    plain = viz.render(tiny, [("1", 0)], redirect_steps=0, **after_relu)
    assert plain.history.abs().max() == 0  # plain gradient: nothing moves, the render would be blank
    woken = viz.render(tiny, [("1", 0)], redirect_steps=30, **after_relu)
    assert woken.history[-1, 0] > 0
    before_relu = viz.render(tiny, [("1", 0)], size=32, steps=30, redirect_steps=0, lr=0.2, cache=False)
    assert before_relu.history[-1, 0] > before_relu.history[0, 0]  # pre-ReLU, the unit is never silent


def test_oom_splits_the_batch_and_keeps_the_order(model, monkeypatch):
    """Out of memory for any batch above one: 4 units go 4 -> 2+2 -> 1+1+1+1, in the order given.

    A unit's picture depends on its batch-mates (they share one random stream), so the split result is
    compared with what a 1+1+1+1 split must give: each unit rendered alone with the same settings and seed.
    """
    units = [("_blocks.3", c) for c in (7, 0, 21, 5)]
    alone = [viz.render(model, [u], **SMALL) for u in units]
    real = render_module._optimize
    tried = []

    def small_memory(model, objectives, settings, progress, fields=None):
        tried.append(len(objectives))
        if len(objectives) > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(model, objectives, settings, progress, fields)

    monkeypatch.setattr(render_module, "_optimize", small_memory)
    split = viz.render(model, units, **SMALL)
    assert tried == [4, 2, 1, 1, 2, 1, 1]
    assert torch.equal(split.images, torch.cat([a.images for a in alone]))
    assert torch.equal(split.history, torch.cat([a.history for a in alone], dim=1))
    assert split.objectives == [a.objectives[0] for a in alone]
    firsts = [a.images[0] for a in alone]  # the units' pictures differ, so a reordering would be caught
    assert all((firsts[i] - firsts[j]).abs().max() > 0.01 for i in range(4) for j in range(i + 1, 4))


@pytest.mark.parametrize(
    "units, options, message",
    [
        ([("_blocks.99", 0)], {}, "choose one of"),
        ([("_blocks.3", 40)], {}, "0-39"),
        ([("_blocks.3", 0)], {"size": 8}, "16-1024"),
        ([("_blocks.3", 0)], {"steps": 0}, "1-10000"),
        ([("_blocks.3", 0)], {"preset": "vivid"}, "standard, lucid, classic"),
        ([("_blocks.3", 0)], {"window": 0.1}, "0.25-1"),
        ([["_blocks.3", 0]], {}, "(layer, channel)"),
        ([], {}, "at least one unit"),
    ],
)
def test_bad_input_is_a_user_error_saying_what_is_accepted(model, units, options, message):
    with pytest.raises(UserError, match=message):
        viz.render(model, units, cache=False, **{"steps": 2, **options})


def test_unknown_setting_is_a_type_error(model):
    with pytest.raises(TypeError, match="unknown render setting"):
        viz.render(model, UNITS, cache=False, colour="red")


def test_diversity_makes_images_of_one_unit_differ_more(model):
    unit = O.channel("_blocks.3", 0)
    same = viz.render(model, [unit] * 2, size=32, steps=12, cache=False, seed=0)
    varied = viz.render(model, [unit + 50 * O.diversity("_blocks.3")] * 2, size=32, steps=12, cache=False, seed=0)

    def gram_dissimilarity(images):
        at_input_size = torch.nn.functional.interpolate(images, size=224, mode="bilinear")
        return O.diversity("_blocks.3")(viz.activations(model, at_input_size, "_blocks.3")).mean()

    assert gram_dissimilarity(varied.images) > gram_dissimilarity(same.images) + 0.01


def test_classic_preset_has_its_documented_values():
    """README's table: Yosinski et al.'s decay 1e-4 and blur radius 1.0 every 4 steps, 1000 steps at 224 px,
    gradient ascent at lr 10 on unsquashed pixels, no transforms, the whole view."""
    c = PRESETS["classic"]
    assert (c.decay, c.blur_every, c.blur_sigma) == (1e-4, 4, 1.0)
    assert (c.steps, c.size, c.param, c.squash, c.optimizer, c.lr) == (1000, 224, "pixel", False, "sgd", 10.0)
    assert (c.transforms, c.window, c.norm_percentile, c.contribution_percentile) == ("none", 1.0, 0.0, 0.0)


def test_max_steps_variable_caps_every_quality_level_but_not_explicit_steps(monkeypatch):
    monkeypatch.delenv("VIZ_MAX_STEPS", raising=False)
    assert [quality_settings(q).steps for q in QUALITY] == [level.steps for level in QUALITY.values()]
    monkeypatch.setenv("VIZ_MAX_STEPS", "100")
    assert [quality_settings(q).steps for q in QUALITY] == [min(100, level.steps) for level in QUALITY.values()]
    assert quality_settings("best", steps=300).steps == 300  # an explicit choice is not capped
    monkeypatch.setenv("VIZ_MAX_STEPS", "a few")
    with pytest.raises(UserError, match="VIZ_MAX_STEPS='a few': give a whole number of steps in 1-10000"):
        quality_settings("fast")


def test_classic_render_applies_its_prior_each_step_and_moves_the_pixels(model, monkeypatch):
    applied = []

    class RecordedPrior(ImagePrior):
        def __call__(self, pixels, grad, step):
            applied.append((self, step))
            super().__call__(pixels, grad, step)

    monkeypatch.setattr(render_module, "ImagePrior", RecordedPrior)
    r = viz.render(model, UNITS[:1], preset="classic", size=32, steps=8, cache=False)
    prior = applied[0][0]
    assert (prior.decay, prior.blur_every, prior.blur_sigma) == (1e-4, 4, 1.0)
    assert [step for _, step in applied] == list(range(8))
    assert 0 <= r.images.min() and r.images.max() <= 1
    assert (r.images - GREY).std() > 5 * INIT_SD  # the start is grey plus noise of INIT_SD; pixels moved
    assert r.history[-1, 0] > r.history[0, 0]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_render_is_reproducible_and_finite():
    gpu = models.load("efficientnet_lite0", device="cuda")
    a = viz.render(gpu, UNITS, size=64, steps=20, cache=False)
    b = viz.render(gpu, UNITS, size=64, steps=20, cache=False)
    assert torch.isfinite(a.images).all() and torch.equal(a.images, b.images)
    assert (a.history[-1] > a.history[0]).all()


@pytest.mark.parametrize("view,window", [(224, 0.72), (224, 0.6), (224, 0.3), (299, 0.72), (64, 0.5)])
def test_the_window_is_the_nearest_8k_plus_1_side(view, window):
    """Odd through three stride-2 layers (TF-"same" convs then pad evenly, inside the conv), near the asked size."""
    side = render_module.window_side(view, window)
    assert side % 8 == 1 and abs(side - view * window) <= 4


def test_standard_and_the_faster_window_see_161_and_137_of_224_pixels():
    assert render_module.window_side(224, 0.72) == 161 and render_module.window_side(224, 0.6) == 137
