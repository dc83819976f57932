"""Feature accentuation: the unit rises on a held photo while the picture stays the photo; bad input; the CLI."""

import json

import pytest
import torch

import viz
from models.errors import UserError
from viz.actmax.accentuation import closeness
from viz.cli import main
from viz.core.images import fit_square, gallery_dir, load_image

PHOTO = gallery_dir() / "chelsea.png"
UNIT = ("_blocks.7", 50)  # active on the cat's face (before > 0), so "2x" has a meaning


def test_accentuation_raises_the_unit_at_least_2x_and_stays_the_photo(lite0):
    found = viz.accentuate(lite0, PHOTO, *UNIT, steps=16, cache=False)
    assert found.image.shape == found.photo.shape == (3, 224, 224)
    assert found.before > 0 and found.after >= 2 * found.before
    # recognisably the photo: far closer to it than another photo of the gallery is
    other = fit_square(load_image(gallery_dir() / "coffee.png"), 224)
    assert found.closeness >= 0.8 > 0.5 > closeness(other, found.photo)
    assert found.closeness == pytest.approx(closeness(found.image, found.photo))


def test_the_penalty_holds_the_picture_to_the_photo(lite0):
    held = viz.accentuate(lite0, PHOTO, *UNIT, steps=8, cache=False)
    free = viz.accentuate(lite0, PHOTO, *UNIT, steps=8, penalty=0.0, cache=False)
    assert held.closeness > free.closeness


def test_closeness_is_a_correlation_of_grey_levels():
    x = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(0))
    assert closeness(x, x) == pytest.approx(1.0)
    assert closeness(x, 1 - x) == pytest.approx(-1.0)
    assert closeness(x, 0.5 * x + 0.2) == pytest.approx(1.0)  # brightness and contrast do not count


@pytest.mark.parametrize("image, layer, channel, message", [
    (b"not an image", "_blocks.7", 0, "not a readable image"),
    (torch.rand(4, 8, 8), "_blocks.7", 0, r"\(3, H, W\)"),
    (PHOTO, "_blocks.7", 80, "out of range"),
    (PHOTO, "_blocks.99", 0, "no visualizable layer"),
])
def test_a_bad_image_or_unit_is_a_user_error(lite0, image, layer, channel, message):
    with pytest.raises(UserError, match=message):
        viz.accentuate(lite0, image, layer, channel, steps=1, cache=False)


def test_cli_writes_the_figure_and_a_sidecar_with_both_activations(tmp_path, capsys):
    out = tmp_path / "cat.png"
    args = ["accentuate", str(PHOTO), "--layer", UNIT[0], "--channel", str(UNIT[1]), "--steps", "2",
            "--device", "cpu", "--dpi", "40", "--out", str(out)]
    assert main(args) == 0 and out.is_file()
    record = json.loads((tmp_path / "cat.png.json").read_text())
    assert record["command"] == "accentuate" and record["settings"]["steps"] == 2
    assert record["before"] < record["after"] and 0 < record["closeness"] <= 1
    assert main([*args[:-1], str(tmp_path / "again.png"), "--channel", "99"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_several_units_in_one_batch_are_each_their_own_accentuation(lite0):
    from viz.actmax import accentuate_units

    both = accentuate_units(lite0, PHOTO, [UNIT, ("_blocks.4", 3)], steps=3, cache=False)
    alone = viz.accentuate(lite0, PHOTO, "_blocks.4", 3, steps=3, cache=False)
    assert [a.objective for a in both] == ["Channel('_blocks.7', 50)", "Channel('_blocks.4', 3)"]
    assert both[1].before == pytest.approx(alone.before, rel=1e-4)
    assert torch.allclose(both[1].image, alone.image, atol=1e-4)  # its own random stream, its own score
