"""SmoothGrad projections: equal to captum's NoiseTunnel where captum is right, and closer to the patch's edges."""

from __future__ import annotations

import warnings

import pytest
import torch
from captum.attr import NeuronDeconvolution, NeuronGradient, NeuronGuidedBackprop, NoiseTunnel
from support.deconv_nets import PlainNet

import models
import viz
from models.errors import UserError
from viz.metrics.edge_agreement import edge_agreement
from viz.zf.projection import METHODS

CAPTUM = {"deconvnet": NeuronDeconvolution, "guided": NeuronGuidedBackprop, "gradient": NeuronGradient}


@pytest.mark.parametrize("method", METHODS)
def test_equals_captum_noise_tunnel_with_the_same_seed(method):
    net = PlainNet()
    model = models.from_module(net, layers=["relu2"], input_size=16)
    net.double()
    image = torch.rand(1, 3, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    position = (2, 4)
    ours = viz.project(model, image, "relu2", 1, method=method, position=position, samples=12, noise=0.2, seed=5)
    torch.manual_seed(5)  # captum draws its noise from the global generator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = NoiseTunnel(CAPTUM[method](net, net.relu2)).attribute(
            image.clone(), nt_type="smoothgrad", nt_samples=12, stdevs=float((image.max() - image.min()) * 0.2),
            neuron_selector=(1, *position),
        )
    single = viz.project(model, image, "relu2", 1, method=method, position=position)
    assert not torch.allclose(ours, single)  # the noise did change something
    torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_the_averaged_projection_agrees_better_with_the_patch_edges(lite0):
    """The criterion behind the option, on a low layer whose single guided projections are speckled (sent down
    over the neuron's field, as the app does: 0.16 single, 0.25 averaged when written)."""
    found = viz.top_examples(lite0, None, "_blocks.2", k=3, per_image=False)
    single_scores, smooth_scores = [], []
    for channel in (0, 3):
        examples = found.examples(channel)
        pictures = torch.stack([found.image(e.image) for e in examples])
        where = dict(position=[e.position for e in examples], extent="field")
        boxes = [e.box for e in examples]
        single = viz.project(lite0, pictures, "_blocks.2", channel, "guided", **where)
        smooth = viz.project(lite0, pictures, "_blocks.2", channel, "guided", samples=8, **where)
        single_scores.append(edge_agreement(single, pictures, boxes))
        smooth_scores.append(edge_agreement(smooth, pictures, boxes))
    assert torch.cat(smooth_scores).mean() > torch.cat(single_scores).mean() + 0.05


def test_edge_agreement_is_one_for_the_edges_themselves_and_low_for_noise():
    image = torch.zeros(1, 3, 16, 16)
    image[..., 8:] = 1.0  # one vertical edge
    edges = torch.zeros(1, 3, 16, 16)
    edges[..., 7:9] = 1.0  # where the Sobel filter sees it
    noise = torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    assert edge_agreement(edges, image).item() == pytest.approx(1.0, abs=1e-6)
    assert abs(edge_agreement(noise, image).item()) < 0.3


def test_bad_sample_counts_say_what_is_accepted():
    net = PlainNet()
    model = models.from_module(net, layers=["relu2"], input_size=16)
    with pytest.raises(UserError, match="choose 0"):
        viz.project(model, torch.rand(1, 3, 16, 16), "relu2", 0, samples=-1)
