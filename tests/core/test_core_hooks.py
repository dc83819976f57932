"""Hooks are scoped to one call: removed after success and failure, invisible to other threads."""

from __future__ import annotations

import threading

import pytest
import torch
from support.helpers import count_hooks

import models
from viz.core.activations import activations
from viz.core.hooks import Capture
from viz.core.images import gallery_dir, to_batch
from viz.core.rectifiers import RectifierRule


@pytest.fixture(scope="module")
def photos(lite0):
    return to_batch(sorted(gallery_dir().glob("*"))[:4], 96)


def test_activations_stop_after_the_deepest_layer_asked(lite0, photos):
    calls = []
    later = [lite0.net._blocks[4], lite0.net._conv_head, lite0.net._fc]
    handles = [m.register_forward_hook(lambda *a: calls.append(1)) for m in later]
    try:
        out = activations(lite0, photos, ["_relu0", "_blocks.3"])
    finally:
        for h in handles:
            h.remove()
    assert calls == []
    assert list(out) == ["_relu0", "_blocks.3"]
    # Same values as running the network by hand up to block 3.
    with torch.no_grad():
        x = lite0.net._relu0(lite0.net._bn0(lite0.net._conv_stem(lite0.normalize(photos))))
        stem = x
        for block in lite0.net._blocks[:4]:
            x = block(x)
    assert torch.allclose(out["_relu0"], stem) and torch.allclose(out["_blocks.3"], x)


def test_hooks_are_removed_after_success_and_after_an_exception(lite0, photos):
    assert count_hooks(lite0.net) == 0
    activations(lite0, photos, ["_blocks.5"])
    assert count_hooks(lite0.net) == 0
    with pytest.raises(RuntimeError):
        with Capture(lite0, ["_blocks.5"]) as capture:
            capture.run(torch.zeros(1, 5, 32, 32))  # wrong channel count: the conv raises
    assert count_hooks(lite0.net) == 0
    with pytest.raises(ZeroDivisionError):
        with RectifierRule(lite0, "deconvnet"):
            1 / 0
    assert count_hooks(lite0.net) == 0


def test_unknown_layer_lists_the_valid_ones(lite0, photos):
    with pytest.raises(models.UserError, match=r"no layer '_blocks\.99'; visualizable layers: _relu0, _blocks\.0"):
        activations(lite0, photos, ["_blocks.99"])


def test_captured_outputs_survive_later_in_place_ops():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 1), torch.nn.ReLU(inplace=True), torch.nn.Conv2d(2, 2, 1))
    model = models.from_module(net, input_size=8)
    x = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    conv = activations(model, x, ["0", "2"])["0"]
    # the capture's kernel may round differently from a direct call (up to 2.4e-7 seen); an in-place ReLU
    # writing into the captured output would zero its negative values instead
    assert torch.allclose(conv, net[0](x), atol=1e-6) and (conv < 0).any()


def _projection(model, images, layer, rule):
    """A gradient through rectifier rules: a result that depends on the hooks of this call only."""
    images = images.clone().requires_grad_(True)
    with RectifierRule(model, rule):
        out = activations(model, images, [layer], grad=True)[layer]
    (grad,) = torch.autograd.grad(out[:, 0].sum(), images)
    return grad


def test_concurrent_callers_get_the_same_results_as_sequential_ones(lite0, photos):
    jobs = [
        ("acts", "_blocks.2", photos[:2]),
        ("deconvnet", "_blocks.4", photos[2:]),
        ("acts", "_blocks.7", photos[1:3]),
        ("gradient", "_blocks.4", photos[2:]),
        ("deconvnet", "_blocks.1", photos[:1]),
    ] * 2

    def run(kind, layer, images):
        if kind == "acts":
            return activations(lite0, images, [layer])[layer]
        return _projection(lite0, images, layer, kind)

    expected = [run(*job) for job in jobs]
    results: list = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def worker(i):
        barrier.wait()
        for _ in range(3):
            results[i] = run(*jobs[i])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        assert torch.allclose(got, want, atol=1e-6)
    assert count_hooks(lite0.net) == 0


@pytest.mark.parametrize("rule_first", [True, False])
def test_a_captured_rectifier_gets_its_rule_whichever_context_opens_first(rule_first):
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 3), torch.nn.ReLU6())
    model = models.from_module(net, input_size=12)
    x = torch.randn(2, 3, 12, 12, requires_grad=True)
    rule = RectifierRule(model, "deconvnet")
    capture = Capture(model, ["3"], stop=True)
    outer, inner = (rule, capture) if rule_first else (capture, rule)
    with outer, inner:
        out = capture.run(x)["3"]
    (grad,) = torch.autograd.grad(out[:, 1].sum(), x)
    # Deconvnet by hand: rectify the signal going down at each rectifier, transposed filters in between.
    signal = torch.zeros_like(out)
    signal[:, 1] = 1.0
    down = torch.nn.functional.conv_transpose2d(signal.clamp(min=0), net[2].weight).clamp(min=0)
    expected = torch.nn.functional.conv_transpose2d(down, net[0].weight)
    assert torch.allclose(grad, expected, atol=1e-5)
    assert not any(rule._pending.values()) and count_hooks(net) == 0


def test_redirect_changes_only_images_whose_gradient_is_all_zero():
    """Two images through a ReLU6: one lights the unit, one leaves it at 0 everywhere (dead). Plain gradient
    and redirect agree on the lit image; on the dead one redirect lets g through where it pulls inwards."""
    conv = torch.nn.Conv2d(3, 1, 1, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    model = models.from_module(torch.nn.Sequential(conv, torch.nn.ReLU6()), input_size=4)
    x = torch.stack([torch.full((3, 4, 4), 0.5), torch.full((3, 4, 4), -1.0)]).requires_grad_(True)

    def grad(rule, sign):
        with RectifierRule(model, rule), Capture(model, ["1"], stop=True) as capture:
            out = capture.run(x)["1"]
        return torch.autograd.grad(sign * out.sum(), x)[0]

    ones, zeros = torch.ones(3, 4, 4), torch.zeros(3, 4, 4)
    plain, redirect = grad("gradient", -1), grad("redirect", -1)  # L = -out is minimized: g = -1 pulls up
    assert torch.equal(plain[0], -ones) and torch.equal(plain[1], zeros)
    assert torch.equal(redirect[0], plain[0]) and torch.equal(redirect[1], -ones)
    assert torch.equal(grad("redirect", 1)[1], zeros)  # g = +1 would push the dead input further down


def _conv_relu_conv():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 1), torch.nn.ReLU(inplace=True), torch.nn.Conv2d(2, 1, 1))
    return net, models.from_module(net, input_size=6)


@pytest.mark.parametrize("mode", ["tap", "leaf"])
def test_tap_and_leaf_take_gradients_at_the_layer_and_leaf_cuts_the_graph_there(mode):
    net, model = _conv_relu_conv()
    x = torch.randn(2, 3, 6, 6, requires_grad=True)
    with torch.enable_grad(), Capture(model, ["0"], stop=False, mode=mode) as capture:
        kept = capture.run(x)["0"]
        grad, to_input = torch.autograd.grad(capture.output.sum(), [kept, x], allow_unused=True)
    conv = net[0](x).detach()
    assert torch.allclose(kept, conv) and (kept < 0).any()  # the in-place ReLU after it changed only the copy
    expected = (conv > 0) * net[2].weight[0, :, 0, 0].view(1, 2, 1, 1)  # d out / d conv, by hand
    assert torch.allclose(grad, expected)
    assert kept.is_leaf == (to_input is None) == (mode == "leaf")  # leaf: the backward pass stops at the layer
    assert count_hooks(net) == 0


@pytest.mark.parametrize("mode", Capture.MODES)
def test_every_mode_keeps_a_reused_modules_first_call_and_refuses_non_tensors(mode):
    relu = torch.nn.ReLU()

    class Twice(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.relu = relu

        def forward(self, x):
            return self.relu(self.relu(x) - 1.0)

    model = models.from_module(Twice(), layers=["relu"], input_size=4)
    x = torch.randn(1, 3, 4, 4)
    with torch.enable_grad(), Capture(model, ["relu"], stop=False, mode=mode) as capture:
        out = capture.run(x)
    assert torch.equal(out["relu"].detach(), x.relu()) and torch.equal(capture.output.detach(), (x.relu() - 1).relu())

    class Pair(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.split = torch.nn.Conv2d(3, 2, 1), torch.nn.Identity()

        def forward(self, x):
            return self.split((self.conv(x), x))[0]

    pair = models.from_module(Pair(), layers=["conv"], input_size=4)
    with pytest.raises(models.UserError, match="layer 'split' returns a tuple, not a tensor; pick another layer"):
        with Capture(pair, ["split"], mode=mode) as capture:
            capture.run(x)
    with pytest.raises(ValueError, match="choose one of: record, tap, leaf"):
        Capture(pair, ["split"], mode="copy")
