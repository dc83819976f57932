"""Features while training: the same units rendered at several checkpoints, of the digits CNN or your own."""

from __future__ import annotations

import pytest
import torch

import models
from models.errors import UserError
from viz.cli import main
from viz.optim.training import TrainSettings
from viz.views.evolution import digits_evolution
from viz.views.figures import evolution_figure


def test_evolution_shows_the_checkpoints_asked_for():
    found = digits_evolution(TrainSettings(epochs=3), epochs=(1, 3), units_per_layer=2, k=2, render_steps=4)
    assert found.checkpoints == ["epoch 1", "epoch 3"]
    assert found.units == [("conv1", 0), ("conv1", 1), ("conv2", 0), ("conv2", 1)]
    assert found.renders[0][0].shape == (3, 3, 3) and found.renders[0][2].shape == (3, 8, 8)  # receptive fields
    assert found.patches[1][2].shape == (2, 3, 8, 8)
    assert not torch.equal(found.renders[0][2], found.renders[1][2])  # the unit changed between checkpoints
    fig = evolution_figure(found)
    assert [ax.get_ylabel() for ax in fig.axes[:: len(found.units)]] == ["epoch 1", "epoch 3"]
    with pytest.raises(UserError, match="outside the run"):
        digits_evolution(TrainSettings(epochs=3), epochs=(1, 5))


@pytest.mark.slow
def test_cli_follows_your_own_checkpoints_of_a_registered_architecture(lite0, tmp_path):
    untrained = tmp_path / "untrained.pt"
    trained = tmp_path / "trained.pt"
    torch.save(models.load("efficientnet_lite0", weights="none", device="cpu").net.state_dict(), untrained)
    torch.save(lite0.net.state_dict(), trained)
    out = tmp_path / "own.png"
    argv = ["optim", "evolution", "--model", "efficientnet_lite0", "--weights", str(untrained), str(trained),
            "--layers", "_relu0", "--units", "2", "--k", "2", "--size", "32", "--steps", "2", "--device", "cpu"]
    assert main([*argv, "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert main(["optim", "evolution", "--weights", str(trained), "--out", str(out)]) == 2  # no --model
