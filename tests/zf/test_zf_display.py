"""The legible projection view (viz.zf.display): what it removes, what it keeps, and that it reads the patch better."""

from __future__ import annotations

import pytest
import torch

import models
import viz
from models.errors import UserError
from viz.metrics.edge_agreement import edge_agreement
from viz.zf.display import blur_sigma, gaussian_blur, layer_stride, magnitude, show, shown_signal


def test_a_pixel_checkerboard_comes_out_flat_and_a_clean_edge_keeps_its_column():
    checkerboard = torch.zeros(1, 3, 32, 32)
    checkerboard[..., ::2, ::2] = 1.0  # the stride-2 pattern: every other pixel of every other row
    checkerboard[..., 1::2, 1::2] = -1.0
    flat = magnitude(checkerboard, sigma=1.0)[0, 0, 8:24, 8:24]  # away from the border's fall-off
    assert flat.max() - flat.min() < 0.02 * flat.mean()
    edge = torch.zeros(1, 3, 32, 32)
    edge[:, 1, :, 12] = 3.0  # a signed one-pixel line in one colour channel
    shown = magnitude(edge, sigma=1.0)[0, 0]
    assert (shown.argmax(dim=1) == 12).all()
    assert shown[4:28, 12].min() == 1 and shown[:, 20].max() < 0.01  # strongest on the line, dark away from it


def test_the_view_ignores_the_sign_and_the_scale_and_is_grey_in_zero_to_one():
    signal = torch.randn(2, 3, 24, 24, generator=torch.Generator().manual_seed(0))
    shown = magnitude(signal, sigma=1.0)
    torch.testing.assert_close(magnitude(-signal, sigma=1.0), shown)
    torch.testing.assert_close(magnitude(signal * torch.tensor([7.0, 1e-4]).view(2, 1, 1, 1), sigma=1.0), shown)
    assert shown.min() >= 0 and shown.max() == 1
    assert (shown[:, 0] == shown[:, 1]).all() and (shown[:, 1] == shown[:, 2]).all()
    assert (magnitude(torch.zeros(1, 3, 8, 8), sigma=1.0) == 0).all()  # nothing to show: black, no division by 0


def test_contrast_is_taken_inside_the_field_not_over_the_empty_image():
    """A signal on 1% of the image: the percentile of the whole image would be 0 and saturate everything."""
    signal = torch.zeros(1, 3, 100, 100)
    signal[..., 45:55, 45:55] = torch.linspace(0.1, 1.0, 100).view(10, 10)
    shown = magnitude(signal, sigma=0.0, percentile=50.0)[0, 0, 45:55, 45:55]
    assert 0.3 < (shown == 1).float().mean() < 0.7  # half of the field is at or above its median, not all of it


def test_blur_is_a_normalised_gaussian_of_the_asked_width():
    impulse = torch.zeros(1, 1, 41, 41, dtype=torch.float64)
    impulse[0, 0, 20, 20] = 1.0
    out = gaussian_blur(impulse, 2.0)[0, 0]
    assert out.sum().item() == pytest.approx(1.0, abs=1e-9)
    x = torch.arange(41, dtype=torch.float64) - 20
    variance = (out.sum(dim=0) * x**2).sum().item()
    assert variance == pytest.approx(4.0, rel=0.05)  # truncated at 3 sigma: a little under sigma^2
    assert gaussian_blur(impulse, 0) is impulse


def test_lite0_blur_is_half_its_stem_stride():
    model = models.load("efficientnet_lite0", weights="none")
    assert layer_stride(model, "_relu0") == 2 and layer_stride(model, "_blocks.2") == 4
    assert blur_sigma(model) == 1.0


def test_unknown_display_and_bad_shapes_say_what_is_accepted():
    model = models.load("efficientnet_lite0", weights="none")
    with pytest.raises(UserError, match="magnitude, signed"):
        show(torch.zeros(1, 3, 8, 8), model, "rainbow")
    with pytest.raises(UserError, match=r"projections must be a non-empty \(N, 3, H, W\) tensor, not \(3, 8, 8\)"):
        magnitude(torch.zeros(3, 8, 8), sigma=1.0)
    with pytest.raises(UserError, match="percentile"):
        magnitude(torch.zeros(1, 3, 8, 8), sigma=1.0, percentile=0)


def test_the_shown_projection_agrees_better_with_the_patch_edges_than_the_raw_one(lite0):
    """On real Lite0 units of the Top-9 page's default layer (`_blocks.2`) and gallery photos: the unit over its
    field, drawn as blurred strength (what the app shows), against the one neuron's raw signal."""
    found = viz.top_examples(lite0, None, "_blocks.2", k=4, per_image=True)
    raw, shown = [], []
    for channel in (0, 1, 2):
        examples = found.examples(channel)
        pictures = torch.stack([found.image(e.image) for e in examples])
        boxes, positions = [e.box for e in examples], [e.position for e in examples]
        signal = viz.project(lite0, pictures, "_blocks.2", channel, "guided", position=positions)
        raw.append(edge_agreement(signal, pictures, boxes))
        field = viz.project(lite0, pictures, "_blocks.2", channel, "guided", position=positions, extent="field")
        shown.append(edge_agreement(shown_signal(show(field, lite0), "magnitude"), pictures, boxes))
    assert torch.cat(shown).median() > torch.cat(raw).median() + 0.1
