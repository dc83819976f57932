"""Objectives: values on hand-made activations, composition, repr, and the errors for bad operands."""

import pytest
import torch

from models.errors import UserError
from viz.actmax import objectives as O


def acts(**layers):
    return {name: torch.as_tensor(t, dtype=torch.float32) for name, t in layers.items()}


A = torch.arange(2 * 3 * 3 * 3, dtype=torch.float32).view(2, 3, 3, 3)  # batch 2, 3 channels, 3x3


def test_channel_is_the_mean_of_its_map():
    assert torch.allclose(O.channel("l", 1)(acts(l=A)), A[:, 1].mean(dim=(1, 2)))


def test_neuron_defaults_to_the_centre_and_takes_a_position():
    assert torch.equal(O.neuron("l", 2)(acts(l=A)), A[:, 2, 1, 1])
    assert torch.equal(O.neuron("l", 2, 0, 2)(acts(l=A)), A[:, 2, 0, 2])
    with pytest.raises(UserError, match="outside"):
        O.neuron("l", 0, 5, 0)(acts(l=A))


def test_layer_direction_and_logit_values():
    assert torch.allclose(O.layer("l")(acts(l=A)), (A**2).mean(dim=(1, 2, 3)))
    v = torch.tensor([1.0, -2.0, 0.5])
    expected = (A * v.view(1, 3, 1, 1)).sum(dim=1).mean(dim=(1, 2))
    assert torch.allclose(O.direction("l", v)(acts(l=A)), expected)
    logits = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    assert torch.equal(O.logit(2)({O.OUTPUT: logits}), logits[:, 2])
    assert torch.allclose(O.probability(0)({O.OUTPUT: logits}), torch.tensor([0.0900306, 1 / 3]))


def test_diversity_is_minus_one_for_identical_images_and_zero_for_unrelated_grams():
    same = A[:1].repeat(3, 1, 1, 1)
    assert torch.allclose(O.diversity("l")(acts(l=same)), torch.full((3,), -1.0))
    apart = torch.zeros(2, 2, 1, 1)
    apart[0, 0], apart[1, 1] = 1.0, 1.0  # Gram matrices e00 and e11: orthogonal
    assert torch.allclose(O.diversity("l")(acts(l=apart)), torch.zeros(2))
    assert O.diversity("l").couples_batch and not O.channel("l", 0).couples_batch


def test_composition_computes_the_weighted_sum_and_reads_every_layer():
    a = acts(l=A, m=A.flip(0))
    combo = O.channel("l", 0) - 0.5 * O.neuron("m", 1) + O.layer("l") / 4
    expected = A[:, 0].mean(dim=(1, 2)) - 0.5 * A.flip(0)[:, 1, 1, 1] + (A**2).mean(dim=(1, 2, 3)) / 4
    assert torch.allclose(combo(a), expected)
    assert combo.layers == ("l", "m")
    assert torch.allclose((-O.channel("l", 0))(a), -A[:, 0].mean(dim=(1, 2)))
    assert torch.allclose(sum([O.channel("l", 0), O.channel("l", 1)])(a), A[:, :2].mean(dim=(2, 3)).sum(dim=1))


def test_repr_is_readable():
    assert repr(O.channel("_blocks.8", 20)) == "Channel('_blocks.8', 20)"
    combo = O.channel("a", 3) - 0.5 * O.neuron("a", 2) + 2 * O.diversity("a")
    assert repr(combo) == "Channel('a', 3) - 0.5 * Neuron('a', 2) + 2 * Diversity('a')"
    assert repr(-O.logit(7)) == "-Logit(7)"
    assert repr(O.neuron("a", 1, 2, 3)) == "Neuron('a', 1, y=2, x=3)"
    assert O.direction("a", [1, 2, 3, 4]) != O.direction("a", [1, 2, 3, 5])  # the digest tells them apart


@pytest.mark.parametrize("bad", ["x", None, True, [1], torch.ones(1)])
def test_anything_but_objectives_and_numbers_is_a_type_error_naming_the_type(bad):
    c = O.channel("l", 0)
    for operation in (lambda: c + bad, lambda: c - bad, lambda: c * bad):
        with pytest.raises(TypeError, match=type(bad).__name__):
            operation()
    with pytest.raises(TypeError):
        c / 0


def test_channel_out_of_range_says_the_range():
    with pytest.raises(UserError, match="0-2"):
        O.channel("l", 3)(acts(l=A))


def test_neuron_is_local_and_makes_its_sums_local():
    assert O.neuron("l", 0).local and (O.channel("l", 0) + O.neuron("l", 0)).local
    assert not (O.channel("l", 0) + O.layer("l")).local
