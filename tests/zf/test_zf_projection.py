"""Projection (deconvnet, guided, gradient) against an explicit layer-by-layer computation and captum."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum.attr import NeuronDeconvolution, NeuronGradient, NeuronGuidedBackprop
from support.deconv_nets import PlainNet, chain_model, explicit_projection
from support.helpers import count_hooks

import models
from models.errors import UserError
from viz.core.receptive_field import receptive_field
from viz.zf.projection import METHODS, project, to_display

CAPTUM = {"deconvnet": NeuronDeconvolution, "guided": NeuronGuidedBackprop, "gradient": NeuronGradient}


@pytest.fixture(scope="module")
def chain():
    return chain_model(scale=2.0)


@pytest.fixture(scope="module")
def images():
    return torch.rand(4, 3, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(1))


def test_chain_net_exercises_every_rule(chain, images):
    """The reference comparison means something only if ReLU6 saturates and ReLUs cut somewhere."""
    pre = chain.net.conv2(chain.net.pool(chain.net.conv1(images).clamp(min=0)))
    assert (pre > 6).any() and (pre < 0).any()


@pytest.mark.parametrize("method", METHODS)
def test_projection_equals_explicit_reference(chain, images, method):
    ours = project(chain, images, "top", 2, method=method)
    reference = explicit_projection(chain.net, images, 2, method)
    assert ours.shape == images.shape and ours.dtype == torch.float64
    assert reference.abs().amax() > 1
    torch.testing.assert_close(ours, reference, rtol=1e-12, atol=1e-12)
    assert count_hooks(chain.net) == 0


def test_methods_differ(chain, images):
    results = {m: project(chain, images, "top", 2, method=m) for m in METHODS}
    assert not torch.allclose(results["deconvnet"], results["gradient"])
    assert not torch.allclose(results["guided"], results["deconvnet"])


def _captum_per_image(cls, net, module, images, channel):
    """captum takes one neuron index for the whole batch, so each image's strongest unit goes on its own."""
    out = net(images)
    parts = []
    for i in range(len(images)):
        y, x = divmod(int(out[i, channel].flatten().argmax()), out.shape[-1])
        parts.append(cls(net, module).attribute(images[i : i + 1].clone(), neuron_selector=(channel, y, x)))
    return torch.cat(parts)


@pytest.mark.parametrize("method", METHODS)
def test_equals_captum_where_captum_is_right(images, method):
    net = PlainNet()
    model = models.from_module(net, layers=["relu2"], input_size=16)
    net.double()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _captum_per_image(CAPTUM[method], net, net.relu2, images, 1)
    ours = project(model, images, "relu2", 1, method=method)
    assert ours.abs().amax() > 0
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", ["deconvnet", "guided"])
def test_captum_misses_relu6_and_reused_relu_but_we_do_not(chain, images, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _captum_per_image(CAPTUM[method], chain.net, chain.net.top, images, 2)
    reference = explicit_projection(chain.net, images, 2, method)
    assert (theirs - reference).abs().amax() > 1
    torch.testing.assert_close(project(chain, images, "top", 2, method=method), reference, rtol=1e-12, atol=1e-12)


def test_position_selects_the_unit(chain, images):
    """With a position every image projects the same unit; a zero-activation unit gives zero (guided)."""
    act = chain.net(images)[:, 2]
    y, x = (act[0] == 0).nonzero()[0].tolist()
    guided = project(chain, images[:1], "top", 2, method="guided", position=(y, x))
    assert guided.abs().amax() == 0
    per_image = project(chain, images[:2], "top", 2, position=[(0, 0), (y, x)])
    one = project(chain, images[1:2], "top", 2, position=(y, x))
    torch.testing.assert_close(per_image[1:], one)


def test_hooks_removed_after_success_and_failure(chain, images):
    project(chain, images, "top", 0)
    assert count_hooks(chain.net) == 0
    with pytest.raises(UserError, match="channel 99 is out of range"):
        project(chain, images, "top", 99)
    assert count_hooks(chain.net) == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(layer="nope", channel=0), "no layer 'nope'"),
        (dict(layer="top", channel=6), "channels 0-5"),
        (dict(layer="top", channel=0, method="lrp"), "deconvnet, guided, gradient"),
        (dict(layer="top", channel=0, position=(9, 0)), "outside the 6x6 map"),
        (dict(layer="top", channel=0, position=[(0, 0)]), "one \\(y, x\\) per image"),
    ],
)
def test_bad_input_says_what_is_accepted(chain, images, kwargs, message):
    with pytest.raises(UserError, match=message):
        project(chain, images, **kwargs)


def test_functional_relu_warns_on_googlenet():
    model = models.load("googlenet", weights="none")
    images = torch.rand(2, 3, 64, 64)
    with pytest.warns(UserWarning, match="functionally"):
        out = project(model, images, "conv2", 5)
    assert out.shape == images.shape and out.abs().amax() > 0
    assert count_hooks(model.net) == 0


def test_real_model_projection_stays_in_the_receptive_field():
    """Lite0's stem unit (3x3 conv, stride 2) can only reach a 3x3 patch of the input."""
    model = models.load("efficientnet_lite0", weights="none")
    images = torch.rand(1, 3, 64, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no unhookable rectifiers in Lite0
        out = project(model, images, "_relu0", 7, position=(10, 20))
    rows, cols = out[0].abs().sum(0).nonzero().unbind(1)
    assert rows.min() >= 20 and rows.max() <= 22 and cols.min() >= 40 and cols.max() <= 42


def test_display_maps_zero_to_grey_and_keeps_sign():
    projection = torch.zeros(2, 3, 8, 8, dtype=torch.float64)
    projection[0, 0, 0, 0], projection[0, 1, 0, 0] = 5.0, -5.0
    shown = to_display(projection, percentile=100)
    assert shown.dtype == torch.float32 and shown.min() >= 0 and shown.max() <= 1
    assert shown[0, 0, 0, 0] == 1 and shown[0, 1, 0, 0] == 0 and shown[0, 2, 3, 3] == 0.5
    assert (shown[1] == 0.5).all()


def test_display_at_the_default_percentile_clips_the_top_half_percent_per_image():
    """Against numpy: per image, |value| at the 99.5th percentile maps to black/white; rarer values clip."""
    g = torch.Generator().manual_seed(0)
    projection = torch.randn(2, 3, 20, 20, generator=g) * torch.tensor([1.0, 30.0]).view(2, 1, 1, 1)
    projection[0, 0, :2, :2] = 50.0  # 4 of 1200 values, 0.33%: above the percentile, clipped to white
    shown = to_display(projection)
    for image, out in zip(projection.numpy().astype(np.float64), shown.numpy()):
        scale = np.percentile(np.abs(image), 99.5)
        assert np.allclose(out, np.clip(0.5 + 0.5 * image / scale, 0, 1), atol=1e-5)
        assert 0 < (np.abs(image) > scale).sum() <= 0.005 * image.size + 1  # about 0.5% clip, no more
    assert (shown[0, 0, :2, :2] == 1).all()


def test_field_extent_sends_down_the_units_activations_around_the_neuron(chain, images):
    """Plain gradients are linear in what is sent down: the field's projection is the sum of each neuron's
    projection in the window, weighted by its activation over the window's strongest. The window is found
    here from the receptive-field boxes, independently of `field_windows`."""
    channel, size = 2, images.shape[-1]
    activation = chain.net(images)[:, channel]
    height, width = activation.shape[1:]
    y, x = divmod(int(activation[0].flatten().argmax()), width)
    box = receptive_field(chain, "top", (y, x), size)
    weights = torch.zeros(height, width, dtype=images.dtype)
    for j in range(height):
        for i in range(width):
            other = receptive_field(chain, "top", (j, i), size)
            if box.top <= (other.top + other.bottom) / 2 < box.bottom and box.left <= (other.left + other.right) / 2 < box.right:
                weights[j, i] = activation[0, j, i].clamp(min=0)
    weights /= weights.max()
    assert 1 < (weights > 0).sum() < height * width  # the window holds several active neurons, not the whole map
    expected = sum(w * project(chain, images[:1], "top", channel, "gradient", position=(j, i))
                   for (j, i), w in ((divmod(k, width), w) for k, w in enumerate(weights.flatten())) if w > 0)
    field = project(chain, images[:1], "top", channel, "gradient", position=(y, x), extent="field")
    torch.testing.assert_close(field, expected, rtol=1e-9, atol=1e-12)
    neuron = project(chain, images[:1], "top", channel, "gradient", position=(y, x))
    assert (field - neuron).abs().amax() > 1e-3


def test_field_extent_needs_square_images_and_a_known_extent(chain, images):
    with pytest.raises(UserError, match="neuron, field"):
        project(chain, images, "top", 0, extent="map")
    with pytest.raises(UserError, match="square images"):
        project(chain, images[..., :12], "top", 0, extent="field")
