"""Invariance curves (Zeiler & Fergus Figure 5): conventions, and the known values at amount 0."""

from __future__ import annotations

import pytest
import torch

import viz
from models.errors import UserError
from viz.zf.invariance_curves import transformed


def _dot(size: int = 32) -> torch.Tensor:
    image = torch.zeros(3, size, size)
    image[:, 15:17, 23:25] = 1.0  # a bright square right of the centre
    return image


def _centre_of_mass(image: torch.Tensor) -> tuple[float, float]:
    weight = (image[0] - 0.5).clamp(min=0)
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    return float((weight * ys).sum() / weight.sum()), float((weight * xs).sum() / weight.sum())


def test_conventions_translate_right_rotate_counter_clockwise_scale_about_the_centre():
    shifted, turned, grown = (transformed(_dot(), kind, [a], 32)[0] for kind, a in
                              (("translate", 4), ("rotate", 90), ("scale", 1.5)))
    y, x = _centre_of_mass(shifted)
    assert x == pytest.approx(27.5, abs=0.1) and y == pytest.approx(15.5, abs=0.1)  # moved right by 4
    y, x = _centre_of_mass(turned)
    assert y == pytest.approx(7.5, abs=0.2) and x == pytest.approx(15.5, abs=0.2)  # 8 px right -> 8 px above
    y, x = _centre_of_mass(grown)
    assert x == pytest.approx(27.5, abs=0.3) and y == pytest.approx(15.5, abs=0.3)  # 8 px out -> 12 px
    assert shifted[:, :, :4].eq(0.5).all()  # uncovered pixels are grey


def test_amount_zero_gives_distance_zero_and_the_clean_probability(lite0):
    image = viz.load_image("assets/gallery/chelsea.png")
    result = viz.invariance(lite0, image, "rotate", [0, 30, 360], layers=["_relu0", "_blocks.10"])
    clean = viz.classify(lite0, viz.to_batch([image], lite0.input_size), top=1)[0][0]
    assert lite0.labels[result.target] == clean[0]
    assert result.probability[0].item() == pytest.approx(clean[1], abs=1e-5)
    low, high = result.probability_range()
    assert (low, high) == (min(result.probability.tolist()), max(result.probability.tolist())) and low < high
    for layer, d in result.distances.items():
        assert d[0].item() == 0 and d[2].item() == 0 and d[1].item() > 0, layer
    assert result.images.shape == (3, 3, lite0.input_size, lite0.input_size)


def test_unknown_kind_is_a_user_error(lite0):
    with pytest.raises(UserError, match="translate, scale, rotate"):
        viz.invariance(lite0, _dot(), "shear", [1])
