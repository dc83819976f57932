"""`viz.circuit` recovers a hand-wired circuit (inputs, order, signs), agrees with captum on Lite0, removes its
hooks, and answers bad pairs, channels and k with a UserError that says what is accepted."""

import pytest
import torch
import torch.nn.functional as F
from support.circuit_nets import BIAS, two_layer_model, window_contributions
from support.helpers import count_hooks

import viz
from models.errors import UserError
from viz.circuits import circuit_on


@pytest.fixture(scope="module")
def hand():
    return two_layer_model()


def _image(seed=0, size=16):
    return torch.rand(3, size, size, generator=torch.Generator().manual_seed(seed))


def test_the_hand_wired_circuit_is_recovered_with_its_order_and_signs(hand):
    image = _image()
    found = circuit_on(hand, image, "contour", 0, "edges", k=3)
    amap = hand.net(image[None])[0, 0]
    assert found.position == divmod(int(amap.argmax()), amap.shape[1])  # its strongest neuron on the image
    expected = window_contributions(image, *found.position)
    assert found.contributions.tolist() == pytest.approx(expected, rel=1e-5)
    assert [c for c, _ in found.inputs] == [0, 1, 2]  # +2 and +1 excite (larger first), -1.5 inhibits
    assert [v > 0 for _, v in found.inputs] == [True, True, False]
    assert found.value == pytest.approx(sum(expected) + BIAS, rel=1e-5)  # linear: the parts add up
    assert found.share(found.inputs[0][1]) == pytest.approx(expected[0] / (expected[0] + expected[1]), rel=1e-5)


def test_k_limits_each_sign_and_unit_one_swaps_them(hand):
    image = _image(1)
    assert [c for c, _ in circuit_on(hand, image, "contour", 0, "edges", k=1).inputs] == [0, 2]
    flipped = circuit_on(hand, image, "contour", 1, "edges", k=3, position=(4, 5))
    assert [c for c, _ in flipped.inputs] == [2, 0, 1] and flipped.position == (4, 5)
    assert flipped.contributions.tolist() == pytest.approx([-v for v in window_contributions(image, 4, 5)], rel=1e-5)


def test_on_its_own_render_the_centre_neuron_is_measured(hand, monkeypatch):
    from viz.actmax.settings import QUALITY, Quality

    monkeypatch.setitem(QUALITY, "fast", Quality("standard", steps=3, size=32))
    found = viz.circuit(hand, "contour", 0, "edges")
    assert isinstance(found, viz.Circuit)
    assert found.value == pytest.approx(float(found.contributions.sum()) + BIAS, rel=1e-4)
    assert found.inputs[0][0] == 0 and found.inputs[0][1] > 0


def test_hooks_are_removed_after_a_run_and_after_a_failure(hand):
    before = count_hooks(hand.net)
    circuit_on(hand, _image(), "contour", 0, "edges")
    with pytest.raises(UserError, match="outside"):
        circuit_on(hand, _image(), "contour", 0, "edges", position=(99, 0))
    assert count_hooks(hand.net) == before


@pytest.mark.parametrize("layer, channel, source, k, message", [
    ("contour", 0, "contour", 3, "choose an earlier layer: edges, side"),
    ("edges", 0, "contour", 3, "none: it is the first"),
    ("contour", 0, "nowhere", 3, "choose one of: edges, side, contour"),
    ("contour", 2, "edges", 3, "channels 0-1"),
    ("contour", 0, "edges", 0, "k must be a whole number 1-3"),
    ("contour", 0, "edges", 4, "k must be a whole number 1-3"),
    ("contour", 0, "side", 1, "no path"),
])
def test_bad_pairs_channels_and_k_say_what_is_accepted(hand, layer, channel, source, k, message):
    with pytest.raises(UserError, match=message):
        viz.circuit(hand, layer, channel, source, image=_image(), k=k)


def test_captum_layer_gradient_x_activation_agrees_on_lite0(lite0):
    from captum.attr import LayerGradientXActivation

    image = F.interpolate(viz.load_image("assets/gallery/chelsea.png")[None], size=(64, 64), mode="area")[0]
    found = circuit_on(lite0, image, "_blocks.4", 7, "_blocks.1", k=3)
    modules = dict(lite0.net.named_modules())
    kept = {}
    handle = modules["_blocks.4"].register_forward_hook(lambda m, i, o: kept.__setitem__("out", o))

    def neuron(x):
        lite0.net(x)
        return kept["out"][:, 7, found.position[0], found.position[1]]

    try:
        reference = LayerGradientXActivation(neuron, modules["_blocks.1"]).attribute(lite0.normalize(image[None]))
    finally:
        handle.remove()
    reference = reference[0].detach().flatten(1).sum(dim=1)
    assert torch.allclose(found.contributions, reference, rtol=1e-4, atol=1e-4 * float(reference.abs().max()))
    assert [c for c, _ in found.inputs[:3]] == reference.argsort(descending=True)[:3].tolist()
