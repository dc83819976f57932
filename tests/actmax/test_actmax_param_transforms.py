"""Parameterizations (shapes, ranges, 1/f scaling, colour decorrelation) and the fused transforms."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from viz.actmax import param as P
from viz.core import transforms as T


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("make", [P.fourier_image, P.pixel_image])
@pytest.mark.parametrize("size", [33, 64])
def test_parameterizations_give_images_in_the_open_unit_interval(make, size):
    params, image_fn = make(3, size, generator=gen(), device="cpu")
    image = image_fn()
    assert image.shape == (3, 3, size, size)
    assert 0 < image.min() and image.max() < 1
    assert all(p.requires_grad for p in params)
    image.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in params)


def test_same_generator_seed_same_start():
    a = P.fourier_image(2, 32, generator=gen(5), device="cpu")[1]()
    b = P.fourier_image(2, 32, generator=gen(5), device="cpu")[1]()
    c = P.fourier_image(2, 32, generator=gen(6), device="cpu")[1]()
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_unsquashed_pixels_are_the_image_itself():
    params, image_fn = P.pixel_image(1, 16, generator=gen(), device="cpu", squash=False)
    assert image_fn() is params[0]
    assert abs(params[0].mean().item() - 0.5) < 0.01


def test_spectrum_scale_is_one_over_frequency_floored_at_the_lowest():
    scale = P.spectrum_scale(8, 8)
    assert scale.shape == (8, 5)
    assert scale[0, 0] == pytest.approx(8.0)  # f = 0 is floored at 1/8
    assert scale[0, 4] == pytest.approx(2.0)  # f = 0.5 (Nyquist along x)
    assert scale[1, 1] == pytest.approx(1 / np.hypot(1 / 8, 1 / 8))


def test_decorrelation_turns_white_noise_into_imagenet_like_correlated_colour():
    m = P.COLOR_CORRELATION_NORMALIZED.numpy().astype(np.float64)
    assert np.linalg.norm(m, axis=0).max() == pytest.approx(1.0)
    noise = torch.randn(1, 3, 256, 256, generator=gen())
    rgb = P.decorrelate_color(noise)[0].flatten(1).numpy().astype(np.float64)
    assert np.allclose(np.cov(rgb), m @ m.T, atol=0.01)  # covariance of M z is M M^T
    corr = np.corrcoef(rgb)
    assert corr[0, 1] > 0.8 and corr[1, 2] > 0.8  # natural photos: R, G and B move together
    assert torch.allclose(P.to_valid_rgb(torch.zeros(1, 3, 2, 2)), torch.full((1, 3, 2, 2), 0.5))


def test_pad_keeps_the_picture_and_fills_the_border_with_grey():
    x = torch.rand(2, 3, 10, 10, generator=gen())
    y = T.compose([T.Pad(3)])(x, gen())
    assert y.shape == (2, 3, 16, 16)
    assert torch.allclose(y[:, :, 3:-3, 3:-3], x, atol=1e-6)
    border = torch.ones(16, 16, dtype=torch.bool)
    border[3:-3, 3:-3] = False
    assert torch.all(y[:, :, border] == 0.5)  # Lucid's pad constant, on all four sides
    dark = torch.zeros(1, 3, 10, 10)
    turned = T.compose([T.RandomRotate((45,))])(dark, gen())
    assert torch.all(turned[..., 0, 0] == 0.5)  # a corner turned in from outside the picture is grey too


def test_quarter_turn_is_an_exact_rot90_and_fusing_equals_applying_one_by_one():
    x = torch.rand(1, 3, 12, 12, generator=gen())
    y = T.compose([T.RandomRotate((90,))])(x, gen())
    assert any(torch.allclose(y, torch.rot90(x, k, dims=(2, 3)), atol=1e-5) for k in (1, -1))
    fused = T.compose([T.Pad(2), T.RandomRotate((90,)), T.Jitter(1)])(x, gen())
    stepwise = T.compose([T.RandomRotate((90,))])(T.compose([T.Pad(2)])(x, gen()), gen())
    assert torch.allclose(fused, stepwise, atol=1e-5)


def test_jitter_moves_by_whole_pixels_within_its_range():
    x = torch.zeros(64, 1, 9, 9)
    x[:, :, 4, 4] = 1.0
    y = T.compose([T.Jitter(3)])(x, gen())
    positions = y.flatten(1).argmax(dim=1)
    assert torch.allclose(y.flatten(1).max(dim=1).values, torch.ones(64))  # whole pixels: no blur
    dy, dx = positions // 9 - 4, positions % 9 - 4
    assert set(dy.tolist()) == {-1, 0, 1} and set(dx.tolist()) == {-1, 0, 1}


def test_resize_matches_bilinear_interpolation_inside_the_border():
    x = torch.rand(1, 3, 16, 16, generator=gen())
    y = T.compose([T.Resize(32)])(x, gen())
    expected = F.interpolate(x, size=32, mode="bilinear", align_corners=False)
    assert torch.allclose(y[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1], atol=1e-5)


def test_scale_two_zooms_into_the_centre_and_crop_sets_the_size():
    x = torch.rand(1, 1, 8, 8, generator=gen())
    y = T.compose([T.RandomScale((2.0,))])(x, gen())
    expected = F.interpolate(x[..., 2:6, 2:6], size=8, mode="bilinear", align_corners=False)
    assert torch.allclose(y[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1], atol=1e-5)
    assert T.compose([T.Resize(40), T.RandomCrop(24)])(x, gen()).shape == (1, 1, 24, 24)


def test_standard_set_has_lucids_documented_values():
    pad, jitter, scale, rotate, jitter2 = T.STANDARD
    assert (pad, jitter, jitter2) == (T.Pad(12), T.Jitter(8), T.Jitter(4))
    assert scale.factors == tuple(round(0.9 + 0.02 * i, 2) for i in range(11))
    assert set(rotate.degrees) == set(range(-10, 11)) and rotate.degrees.count(0) == 6


def test_plain_callables_run_in_their_place():
    x = torch.rand(1, 3, 8, 8, generator=gen())
    y = T.compose([T.Pad(1), lambda t: t * 0 + 0.25, T.Pad(1)])(x, gen())
    assert y.shape == (1, 3, 12, 12)
    assert torch.allclose(y[..., 1:-1, 1:-1], torch.full((1, 3, 10, 10), 0.25))


def test_mixing_colours_is_the_per_pixel_matrix_product_whatever_the_memory_format():
    from viz.actmax.natural import mix_colors

    picture = torch.randn(2, 3, 5, 7, generator=gen())
    matrix = torch.randn(3, 3, generator=gen())
    expected = torch.einsum("nchw,dc->ndhw", picture, matrix)  # out[n, d] = sum over c of matrix[d, c] * in[n, c]
    assert torch.allclose(mix_colors(picture, matrix), expected, atol=1e-6)
    channels_last = picture.contiguous(memory_format=torch.channels_last)
    assert torch.allclose(mix_colors(channels_last, matrix), expected, atol=1e-6)
