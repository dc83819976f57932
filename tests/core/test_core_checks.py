"""The shared checks of user input (`viz.core.checks`) and where a map peaks (`viz.core.activations.peak_position`)."""

import re

import numpy as np
import pytest
import torch

from models.errors import UserError
from viz.core.activations import peak_position, peak_positions, unravel
from viz.core import export, figures, rectifiers
from viz.core.checks import check_choice, check_image, check_images, check_whole
from viz.zf import display, invariance_curves


def test_peak_position_is_the_argmax_as_y_x_against_numpy():
    maps = torch.randn(5, 7, 9, generator=torch.Generator().manual_seed(0))
    expected = [np.unravel_index(int(np.argmax(m.numpy())), m.shape) for m in maps]
    assert peak_positions(maps) == [(int(y), int(x)) for y, x in expected]
    assert peak_position(maps[3]) == peak_positions(maps)[3] and maps[3][peak_position(maps[3])] == maps[3].max()
    tied = torch.zeros(4, 4)
    tied[1, 2] = tied[3, 0] = 1.0
    assert peak_position(tied) == (1, 2)  # the first in reading order
    assert unravel(np.int64(13), 4) == (3, 1)


@pytest.mark.parametrize("value", [0, 4, 2.0, True, "2", None])
def test_a_count_outside_its_range_or_not_whole_says_what_is_accepted(value):
    with pytest.raises(UserError, match=r"k must be a whole number 1-3 \(channels\), not"):
        check_whole(value, 1, 3, "k", "channels")


def test_whole_counts_and_known_choices_pass_through():
    assert check_whole(np.int64(2), 1, 3, "k") == 2 and type(check_whole(np.int64(2), 1, 3, "k")) is int
    assert check_choice("crop", ("squash", "crop"), "fit mode") == "crop"
    with pytest.raises(UserError, match="unknown fit mode 'stretch'; choose one of: squash, crop"):
        check_choice("stretch", ("squash", "crop"), "fit mode")


def test_image_shapes_are_checked_with_what_to_do_next():
    photo = torch.rand(3, 8, 8)
    assert check_image(photo) is photo
    for bad in (torch.rand(4, 8, 8), torch.rand(1, 3, 8, 8), [[0.5]]):
        with pytest.raises(UserError, match=r"the image must be a \(3, H, W\) tensor in \[0,1\], not .*viz.load_image"):
            check_image(bad)
    assert check_images(photo, single=True).shape == (1, 3, 8, 8)
    with pytest.raises(UserError, match=r"images must be a non-empty \(N, 3, H, W\) tensor, not \(0, 3, 8, 8\)"):
        check_images(torch.rand(0, 3, 8, 8))
    with pytest.raises(UserError, match=r"projections must be a \(N, 3, H, W\) or \(3, H, W\) tensor, not a list"):
        check_images([photo], single=True, name="projections")


@pytest.mark.parametrize("refuse, message", [
    (lambda: export.figure_bytes(None, ".bmp"), "unknown figure format '.bmp'; choose one of: .png, .svg, .pdf"),
    (lambda: figures.on_background(torch.zeros(1, 3, 4, 4), torch.ones(1, 1, 4, 4), "tartan"),
     "unknown background 'tartan'; choose one of: checker, white"),
    (lambda: display.show(torch.zeros(1, 3, 4, 4), None, "loud"),
     "unknown projection display 'loud'; choose one of: magnitude, signed"),
    (lambda: invariance_curves.transformed(torch.zeros(3, 8, 8), "twist", [0], 8),
     "unknown transformation 'twist'; choose one of: "),
    (lambda: rectifiers.RectifierRule(None, "sideways"), "unknown rectifier rule 'sideways'; choose one of: "),
])
def test_the_engines_choices_are_refused_in_one_wording_before_any_work(refuse, message):
    with pytest.raises(UserError, match=re.escape(message)):
        refuse()
