"""Gradient x activation, written once: the landing's channel scores agree with captum, and the product itself
is checked against a hand computation on a tiny net."""

import pytest
import torch

import models
import viz
from models.errors import UserError
from viz.circuits import gradient_x_activation, layer_scores

CAT = "assets/gallery/chelsea.png"


def test_contribution_agrees_with_captum(lite0):
    from captum.attr import LayerGradientXActivation

    photo = viz.to_batch([viz.load_image(CAT)], lite0.input_size)
    layer = "_blocks.4"
    _, scores, acts = layer_scores(lite0, photo, [layer], by="contribution")
    module = dict(lite0.net.named_modules())[layer]
    target = int(lite0.net(lite0.normalize(photo)).argmax())
    expected = LayerGradientXActivation(lambda x: lite0.net(lite0.normalize(x)), module).attribute(
        photo, target=target).flatten(2).sum(dim=2)
    assert torch.allclose(scores[layer], expected, rtol=1e-4, atol=1e-5)
    assert torch.allclose(acts[layer], viz.activations(lite0, photo, layer)[layer], atol=1e-6)


def test_by_activation_is_the_maps_mean_and_an_unknown_choice_is_refused(lite0):
    photo = viz.to_batch([viz.load_image(CAT)], lite0.input_size)
    _, scores, acts = layer_scores(lite0, photo, ["_blocks.1"], by="activation")
    assert torch.allclose(scores["_blocks.1"], acts["_blocks.1"].mean(dim=(2, 3)))
    with pytest.raises(UserError, match="unknown unit choice 'loudest'; choose one of: contribution, activation"):
        layer_scores(lite0, photo, ["_blocks.1"], by="loudest")


def test_the_product_by_hand_on_a_linear_net():
    """y = sum of w_c * a_c(p) over channels and positions, so each channel's score is w_c * sum_p a_c(p)."""
    a = torch.rand(2, 3, 4, 4, requires_grad=True)
    w = torch.tensor([2.0, -1.0, 0.5])
    unused = torch.rand(2, 3, 4, 4, requires_grad=True)
    y = (a * w.view(1, 3, 1, 1)).sum()
    scores, none = gradient_x_activation(y, [a, unused])
    assert torch.allclose(scores, w * a.detach().sum(dim=(2, 3))) and none is None


def test_a_layer_off_the_path_to_the_classes_is_a_user_error():
    class Branch(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.main, self.side = torch.nn.Conv2d(3, 2, 1), torch.nn.Conv2d(3, 2, 1)

        def forward(self, x):
            self.side(x)
            return self.main(x).mean(dim=(2, 3))

    model = models.from_module(Branch(), layers=["main", "side"], input_size=8)
    with pytest.raises(UserError, match="classes do not depend on layer 'side'"):
        layer_scores(model, torch.rand(1, 3, 8, 8), ["main", "side"])
