"""The optimization lessons (viz/optim) on the digits CNN: the properties each picture rests on."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from models.errors import UserError
from viz.cli import main
from viz.optim.batchnorm import preactivations
from viz.optim.data import digits
from viz.optim.interpolation import digits_line
from viz.optim.net2net import Net2NetSettings, deeper, net2net_study, wider
from viz.optim.network import Architecture, build, with_weights
from viz.optim.training import TrainSettings, evaluate, train
from viz.serving.cache import DiskCache

NO_CACHE = DiskCache("test", enabled=False)
NARROW = Architecture(stages=((4,), (8,)))


def _outputs(arch: Architecture, state: dict) -> torch.Tensor:
    with torch.no_grad():
        return with_weights(arch, state).eval()(digits("validation").images)


def _teacher(arch: Architecture) -> dict:
    """A random network with non-trivial biases (and batch-norm statistics), so nothing is zero by accident."""
    net = build(arch, seed=3)
    generator = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for name, tensor in net.state_dict().items():
            if name.endswith(("bias", "running_mean")):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.3)
            elif name.endswith(("bn1.weight", "bn2.weight", "running_var")):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
    return net.state_dict()


@pytest.mark.parametrize("batch_norm", [False, True])
def test_net2wider_computes_the_same_function(batch_norm):
    arch = dataclasses.replace(NARROW, batch_norm=batch_norm)
    teacher = _teacher(arch)
    grown, grown_arch = wider(teacher, arch, ((8,), (16,)), noise=0.2, seed=1)
    assert grown["conv1.weight"].shape == (8, 1, 3, 3) and grown["conv2.weight"].shape == (16, 8, 3, 3)
    assert grown["fc.weight"].shape == (10, 16 * 4 * 4)
    before, after = _outputs(arch, teacher), _outputs(grown_arch, grown)
    assert before.abs().max() > 0.1  # the outputs are not trivially zero
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-5)
    # the copies are not twins: unequal shares of the outgoing weights break the symmetry
    copies = grown["conv2.weight"][:, 4:]
    originals = grown["conv2.weight"][:, :4]
    assert not any(torch.allclose(copies[:, i], originals[:, j]) for i in range(4) for j in range(4))


def test_net2deeper_computes_the_same_function():
    teacher = _teacher(NARROW)
    grown, grown_arch = deeper(teacher, NARROW, stage=0)
    assert grown_arch.stages == ((4, 4), (8,)) and grown_arch.convs() == ["conv1", "conv2", "conv3"]
    assert torch.equal(grown["conv3.weight"], teacher["conv2.weight"])  # later convs are renamed, not changed
    torch.testing.assert_close(_outputs(grown_arch, grown), _outputs(NARROW, teacher), atol=1e-6, rtol=1e-6)
    with pytest.raises(UserError):
        deeper(_teacher(dataclasses.replace(NARROW, batch_norm=True)), dataclasses.replace(NARROW, batch_norm=True), 0)


def test_interpolation_ends_equal_the_endpoint_losses():
    run = train(TrainSettings(epochs=2), keep_epochs=(0, 1, 2), cache=NO_CACHE)
    line = digits_line(run, epoch_a=1, epoch_b=2, points=5, cache=NO_CACHE)
    assert line.alphas == [-0.5, 0.0, 0.5, 1.0, 1.5]
    for split, name in (("train", "training"), ("validation", "validation")):
        for alpha, epoch in ((0.0, 1), (1.0, 2)):
            expected, _ = evaluate(with_weights(run.settings.arch, run.weights(epoch)), digits(split))
            assert line.losses[name][line.alphas.index(alpha)] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(UserError, match="epoch 7"):
        digits_line(run, epoch_a=7, cache=NO_CACHE)


def test_batch_norm_output_has_zero_mean_and_unit_variance_per_channel_in_training_mode():
    arch = Architecture(batch_norm=True)
    net = with_weights(arch, train(TrainSettings(arch=arch, epochs=1), cache=NO_CACHE).weights(1))
    # a trained network has learned scale and shift: set them to 1 and 0 to see the normalization alone
    with torch.no_grad():
        net.bn2.weight.fill_(1)
        net.bn2.bias.zero_()
    out = preactivations(net, 2, digits("validation").images)
    mean, var = out.mean((0, 2, 3)), out.var((0, 2, 3), unbiased=False)
    torch.testing.assert_close(mean, torch.zeros_like(mean), atol=1e-5, rtol=0)
    torch.testing.assert_close(var, torch.ones_like(var), atol=1e-3, rtol=0)


def test_training_is_reproducible_for_a_seed():
    first = train(TrainSettings(epochs=1, seed=5), cache=NO_CACHE)
    again = train(TrainSettings(epochs=1, seed=5), cache=NO_CACHE)
    other = train(TrainSettings(epochs=1, seed=6), cache=NO_CACHE)
    for key, tensor in first.weights(1).items():
        assert torch.equal(tensor, again.weights(1)[key])
    assert first.curve == again.curve
    assert not torch.equal(first.weights(1)["conv1.weight"], other.weights(1)["conv1.weight"])
    assert first.curve.val_accuracy[-1] > 0.5  # one epoch already learns the digits


def test_net2net_students_start_where_the_teacher_ended():
    teacher = TrainSettings(arch=NARROW, epochs=1)
    study = net2net_study(Net2NetSettings(teacher=teacher, epochs=1, seeds=(0,), eval_every=20), cache=NO_CACHE)
    for kind in ("wider", "deeper"):
        assert study.student[kind][0].val_accuracy[0] == pytest.approx(study.teacher.val_accuracy[-1], abs=1e-6)
        assert study.function_gap[kind]["logits"] < 1e-4
        assert study.scratch[kind][0].val_accuracy[0] < 0.3  # a fresh network guesses



def test_cli_writes_the_interpolation_and_rejects_a_missing_checkpoint(tmp_path, capsys):
    out = tmp_path / "line.svg"
    assert main(["optim", "interpolate", "--epochs", "1", "--points", "5", "--out", str(out)]) == 0
    assert out.read_text().startswith("<?xml")
    assert main(["optim", "interpolate", "--epochs", "1", "--from", "4", "--out", str(out)]) == 2
    assert "outside the run" in capsys.readouterr().err
