"""The classic preset's projections and penalty, on small hand-made images with known answers."""

import pytest
import torch

from viz.actmax.regularizers import ImagePrior, gaussian_blur, total_variation
from viz.core.images import GREY


def test_blur_keeps_a_flat_image_and_spreads_a_dot_by_a_normalized_gaussian():
    flat = torch.full((1, 3, 9, 9), 0.3)
    assert torch.allclose(gaussian_blur(flat, 1.0), flat)
    dot = torch.zeros(1, 1, 15, 15)
    dot[..., 7, 7] = 1.0
    out = gaussian_blur(dot, 1.0)
    assert out.sum() == pytest.approx(1.0, abs=1e-5)
    assert out[0, 0, 7, 8] / out[0, 0, 7, 7] == pytest.approx(float(torch.exp(torch.tensor(-0.5))), rel=1e-4)


def test_total_variation_of_stripes():
    stripes = torch.zeros(2, 1, 4, 4)
    stripes[1, :, :, 1::2] = 1.0  # image 1 alternates along x: every horizontal neighbour differs
    assert torch.allclose(total_variation(stripes), torch.tensor([0.0, 1.0]))


def test_decay_pulls_towards_grey_and_every_projection_keeps_pixels_in_range():
    pixels = torch.tensor([[[[1.0, 0.0]]]]).repeat(1, 3, 1, 1)
    ImagePrior(decay=0.5)(pixels, None, step=0)
    assert torch.allclose(pixels[0, :, 0], torch.tensor([[0.75, 0.25]] * 3))
    wild = torch.randn(1, 3, 8, 8) * 5
    ImagePrior(blur_every=1, blur_sigma=1.0)(wild, None, step=0)
    assert 0 <= wild.min() and wild.max() <= 1


def test_percentile_clipping_greys_out_the_weakest_pixels():
    pixels = torch.full((1, 3, 2, 2), GREY)
    pixels[0, :, 0, 0] = 1.0  # colour norm 0.87
    pixels[0, :, 1, 1] = 0.6  # colour norm 0.17, under the 80th percentile of (0.87, 0.17, 0, 0): 0.45
    ImagePrior(norm_percentile=80)(pixels, None, step=0)
    assert pixels[0, 0, 0, 0] == 1.0 and pixels[0, 0, 1, 1] == GREY

    pixels = torch.full((1, 3, 2, 2), 0.9)
    grad = torch.tensor([1.0, 0.5, 0.2, 0.01]).view(1, 1, 2, 2).repeat(1, 3, 1, 1)  # |x * grad|: 1.2 .. 0.012
    ImagePrior(contribution_percentile=50)(pixels, grad, step=0)
    assert pixels[0, 0].flatten().tolist() == pytest.approx([0.9, 0.9, GREY, GREY])


def test_blur_only_on_its_steps():
    pixels = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    before = pixels.clone()
    ImagePrior(blur_every=4, blur_sigma=1.0)(pixels, None, step=0)
    assert torch.equal(pixels, before)
    ImagePrior(blur_every=4, blur_sigma=1.0)(pixels, None, step=3)
    assert not torch.equal(pixels, before)
