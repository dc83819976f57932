"""Models files (VIZ_MODELS, --models-file): a user's 32-px network by name, and one clear line per bad file."""

from __future__ import annotations

import pytest
import torch
from support.user_models import cifar_models_file, write_models_file

import models
from viz.core.activations import classify


@pytest.fixture
def cifar(tmp_path, monkeypatch):
    path, reference = cifar_models_file(tmp_path)
    monkeypatch.setenv("VIZ_MODELS", str(path))
    return path, reference


def test_a_models_files_network_loads_by_name_with_its_saved_weights(cifar):
    path, reference = cifar
    assert models.list_models()[-1] == "cifar_net" and models.models_file_problems() == []
    model = models.load("cifar_net", device="cpu")
    assert model.name == "cifar_net" and model.input_size == 32 and model.weights == "default"
    assert model.labels[3] == "cat" and not model.untrained
    x = torch.rand(2, 3, 32, 32)
    mean = torch.tensor((0.4914, 0.4822, 0.4465)).view(1, 3, 1, 1)
    std = torch.tensor((0.2470, 0.2435, 0.2616)).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = reference((x - mean) / std)
        got = model.net(model.normalize(x))
    torch.testing.assert_close(got, expected)  # the callable's state dict, its normalization
    assert [layer.tier for layer in model.layers] == ["edges"] * 3 + ["contours"] * 2 + ["parts"] * 3 + ["objects"] * 2
    assert classify(model, x, top=1)[0][0][0] in model.labels


def test_untrained_is_the_same_architecture_reinitialized_reproducibly(cifar, tmp_path):
    trained = models.load("cifar_net", device="cpu")
    torch.manual_seed(5)
    before = torch.rand(2)
    torch.manual_seed(5)
    a, b = models.load("cifar_net", weights="none", device="cpu"), models.load("cifar_net", weights="none", device="cpu")
    assert torch.equal(before, torch.rand(2))  # the caller's random stream is left alone
    assert a.untrained and a.weights_id != trained.weights_id
    assert torch.equal(a.net.features[0].weight, b.net.features[0].weight)
    assert not torch.equal(a.net.features[0].weight, trained.net.features[0].weight)
    assert [layer.name for layer in a.layers] == [layer.name for layer in trained.layers]

    saved = tmp_path / "other.pt"
    torch.save(a.net.state_dict(), saved)
    again = models.load("cifar_net", weights=saved, device="cpu")  # a state dict for it, by path
    assert torch.equal(again.net.features[0].weight, a.net.features[0].weight) and again.weights == str(saved)


def test_a_bare_module_gets_tiers_by_depth_and_a_wrong_size_says_what_to_do(tmp_path, monkeypatch):
    path = write_models_file(tmp_path, "bare.py", (
        "from torch import nn\n"
        "def tiny():\n"
        "    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.ReLU())\n"
        "def flat():\n"
        "    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 30 * 30, 10))\n"
        "MODELS = {'tiny': tiny, 'flat32': flat}\n"))
    monkeypatch.setenv("VIZ_MODELS", str(path))
    tiny = models.load("tiny", device="cpu")
    assert [layer.tier for layer in tiny.layers] == ["edges", "contours", "parts", "objects"] and tiny.input_size == 224
    with pytest.raises(models.UserError, match="fails on a 224-px input.*input_size="):
        models.load("flat32", device="cpu")


def test_bad_files_are_one_line_each_and_the_other_models_still_work(cifar, tmp_path, monkeypatch):
    good, _ = cifar
    broken = write_models_file(tmp_path, "broken.py", "MODELS = {'x': lambda: None\n")
    empty = write_models_file(tmp_path, "empty.py", "NETS = {}\n")
    clash = write_models_file(tmp_path, "clash.py", (
        "import torch\n"
        "MODELS = {'resnet18': lambda: torch.nn.Conv2d(3, 3, 1), 'cifar_net': lambda: torch.nn.Conv2d(3, 3, 1),\n"
        "          'timm/mine': lambda: None, 'number': 3, 'text': lambda: 'a model'}\n"))
    files = [good, broken, empty, clash, tmp_path / "missing.py"]
    monkeypatch.setenv("VIZ_MODELS", ":".join(map(str, files)))
    problems = models.models_file_problems()
    assert len(problems) == 7 and all("\n" not in p for p in problems)
    assert problems[0].startswith(f"models file {broken}: cannot import it (SyntaxError")
    assert problems[1] == f"models file {empty}: it defines no top-level dict MODELS = {{name: callable}}"
    assert problems[2] == f"models file {clash}: 'resnet18' is already a model of the registry; rename it"
    assert problems[3] == f"models file {clash}: 'cifar_net' is already a model of {good.name}; rename it"
    assert "'timm/mine' is not a model name" in problems[4]
    assert problems[5] == f"models file {clash}: MODELS['number'] is a int, not a callable"
    assert problems[6] == f"models file {tmp_path / 'missing.py'}: no such file"
    assert models.models_file_problems(full_paths=False)[6] == "models file missing.py: no such file"
    assert [n for n in models.list_models() if n in ("cifar_net", "text", "resnet18")] == ["resnet18", "cifar_net", "text"]
    assert models.load("cifar_net", device="cpu").input_size == 32  # the good file's model still works
    with pytest.raises(models.UserError, match=rf"models file {clash}: MODELS\['text'\]\(\) returned a str; return an "
                                               r"nn.Module or a models.LoadedModel"):
        models.load("text")


def test_an_edited_file_is_read_again_and_a_failing_callable_names_its_file(tmp_path, monkeypatch):
    path = write_models_file(tmp_path, "mine.py", "def make():\n    raise FileNotFoundError('weights.pt')\nMODELS = {'a': make}\n")
    monkeypatch.setenv("VIZ_MODELS", str(path))
    with pytest.raises(models.UserError, match=rf"models file {path}: MODELS\['a'\]\(\) failed \(FileNotFoundError: weights.pt\)"):
        models.load("a")
    path.write_text("MODELS = {'b': dict}\n")
    assert "b" in models.list_models() and "a" not in models.list_models()


def test_a_parameter_that_cannot_be_reset_has_no_untrained_version(tmp_path, monkeypatch):
    path = write_models_file(tmp_path, "scaled.py", (
        "import torch\nfrom torch import nn\n"
        "class Scale(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.gain = nn.Parameter(torch.ones(1))\n"
        "    def forward(self, x):\n"
        "        return x * self.gain\n"
        "MODELS = {'scaled': lambda: nn.Sequential(nn.Conv2d(3, 4, 3), Scale(), nn.ReLU())}\n"))
    monkeypatch.setenv("VIZ_MODELS", str(path))
    assert models.load("scaled", device="cpu").layers
    with pytest.raises(models.UserError, match=r"module '1' \(Scale\) has parameters but no reset_parameters"):
        models.load("scaled", weights="none")


def test_a_shared_module_keeps_its_weights_when_its_untrained_version_is_made(tmp_path, monkeypatch):
    path = write_models_file(tmp_path, "shared.py", (
        "import torch\nfrom torch import nn\n"
        "NET = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())\n"
        "torch.nn.init.constant_(NET[0].weight, 0.5)\n"
        "MODELS = {'shared': lambda: NET}\n"))
    monkeypatch.setenv("VIZ_MODELS", str(path))
    untrained = models.load("shared", weights="none", device="cpu")
    trained = models.load("shared", device="cpu")
    assert torch.all(trained.net[0].weight == 0.5) and not torch.all(untrained.net[0].weight == 0.5)
