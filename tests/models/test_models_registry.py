"""The registry: every model builds, declares real layers, loads weights safely, explains missing ones."""

from __future__ import annotations

import os
import urllib.error
from pathlib import Path

import pytest
import torch
import torchvision

import models
from models.efficientnet_lite import EfficientNetLite
from viz.core.activations import activations, classify
from viz.core.hooks import Capture
from viz.core.images import gallery_dir, to_batch

SHIPPED = ["efficientnet_lite0", "alexnet", "vgg16", "googlenet", "resnet18", "resnet50"]


def test_registry_lists_the_embedded_default_first_and_the_torchvision_zoo():
    assert models.list_models()[0] == "efficientnet_lite0"
    assert set(SHIPPED) <= set(models.list_models())


def test_unknown_model_names_the_known_ones():
    with pytest.raises(models.UnknownModelError, match="known models: efficientnet_lite0, alexnet"):
        models.load("lenet")


@pytest.mark.parametrize("name", models.list_models())  # a new registry entry is tested here unasked
def test_declared_layers_exist_with_their_channel_counts(name):
    model = models.load(name, weights="none", device="cpu")
    assert model.weights_id == "random-init-seed0"
    assert [layer.tier for layer in model.layers] == sorted(
        (layer.tier for layer in model.layers), key=models.TIERS.index
    ), "tiers must rise from edges to objects"
    assert {layer.tier for layer in model.layers} == set(models.TIERS)
    x = torch.rand(1, 3, 112, 112)  # half the usual input: cheap, and every shipped net accepts it
    outputs = activations(model, x, [layer.name for layer in model.layers])
    assert {layer.name: outputs[layer.name].shape[1] for layer in model.layers} == {
        layer.name: layer.channels for layer in model.layers
    }
    x = model.normalize(x)
    assert x.is_contiguous(memory_format=torch.channels_last)  # the layout the convolutions run fastest on
    if model.labels is not None:
        with torch.no_grad():
            logits, plain = model.net(x), model.net(x.contiguous())
        assert logits.shape == (1, len(model.labels))
        torch.testing.assert_close(logits, plain, rtol=1e-4, atol=1e-4)  # the layout changes no value
    _check_pre_activations(model)


def _check_pre_activations(model):
    """Each declared pre-activation, rectified by the layer's own rule, is exactly the layer's output."""
    with_pre = [layer.name for layer in model.layers if layer.pre]
    x = torch.rand(1, 3, 112, 112)
    with Capture(model, with_pre) as post:
        after = post.run(model.normalize(x))
    with Capture(model, with_pre, pre_relu=True) as pre:
        before = pre.run(model.normalize(x))
    for name in with_pre:
        upper = 6.0 if isinstance(dict(model.net.named_modules()).get(name), torch.nn.ReLU6) else None
        assert not torch.equal(before[name], after[name]), f"{name}: pre-activation has no negative values"
        torch.testing.assert_close(before[name].clamp(0, upper), after[name], msg=name)


def test_untrained_models_are_reproducible_and_leave_the_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = models.load("resnet18", weights="none", device="cpu")
    after = torch.rand(3)
    b = models.load("resnet18", weights="none", device="cpu")
    assert torch.equal(before, after)
    assert torch.equal(a.net.conv1.weight, b.net.conv1.weight)


def test_only_random_init_weights_count_as_untrained(lite0):
    assert models.load("resnet18", weights="none", device="cpu").untrained
    assert not lite0.untrained
    tiny = models.from_module(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()), name="tiny", input_size=8)
    assert not tiny.untrained  # a user's own module, whatever its weights


def test_lite0_checkpoint_matches_the_architecture_exactly():
    path = models.get_spec("efficientnet_lite0").weights.local_path()
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert len(state) == 296
    assert set(state) == set(EfficientNetLite().state_dict())
    assert "_blocks.15._project_conv.weight" in state and "_blocks.0._expand_conv.weight" not in state


def test_lite0_is_a_real_imagenet_classifier(lite0):
    batch = to_batch([gallery_dir() / "chelsea.png", gallery_dir() / "coffee.png"], lite0.input_size)
    (cat, cat_p), (cup, cup_p) = [top[0] for top in classify(lite0, batch, top=1)]
    assert cat == "Egyptian cat" and cat_p > 0.5
    assert cup == "espresso" and cup_p > 0.5


def test_lite0_uses_relu6_modules_and_tf_same_padding(lite0):
    relu6 = [m for m in lite0.net.modules() if isinstance(m, torch.nn.ReLU6)]
    assert len(relu6) == 1 + 31 + 1  # stem, two per block (one in block 0), head
    out = activations(lite0, torch.rand(1, 3, 225, 225), ["_relu0"])["_relu0"]
    assert out.shape[-2:] == (113, 113)  # ceil(225 / 2): TensorFlow "same"


def test_lite0_with_batch_norm_folded_computes_the_same_as_with_it(lite0):
    reference = EfficientNetLite()  # not folded: batch norms as separate steps
    reference.load_state_dict(torch.load(models.get_spec("efficientnet_lite0").weights.local_path(), weights_only=True))
    reference.eval()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in lite0.net.modules())
    x = lite0.normalize(to_batch([gallery_dir() / "chelsea.png"], 224))
    with torch.no_grad():
        expected, got = reference(x), lite0.net(x)
        stem = reference._bn0(reference._conv_stem(x))  # what pre-ReLU reads at "_bn0"
    assert torch.allclose(got, expected, atol=1e-4, rtol=1e-4)
    with torch.no_grad(), Capture(lite0, ["_relu0"], stop=True, pre_relu=True) as capture:
        assert torch.allclose(capture.run(x)["_relu0"], stem, atol=1e-4)


@pytest.mark.parametrize("kernel,stride,size", [(3, 1, 16), (5, 1, 15), (3, 2, 16), (3, 2, 15), (5, 2, 16), (1, 1, 9)])
def test_same_padding_is_tensorflows(kernel, stride, size):
    """Against padding by hand: total pad (ceil(size/stride)-1)*stride + kernel - size, the extra one at the end."""
    from models.efficientnet_lite import SameConv2d

    conv = SameConv2d(4, 4, kernel, stride=stride, groups=4, bias=False)
    x = torch.randn(2, 4, size, size)
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    pads = [total // 2, total - total // 2] * 2
    expected = torch.nn.functional.conv2d(torch.nn.functional.pad(x, pads), conv.weight, None, stride, 0, 1, 4)
    assert torch.allclose(conv(x), expected, atol=1e-6)
    assert conv(x).shape[-1] == -(-size // stride)


@pytest.mark.parametrize("name", ["efficientnet_lite0", "googlenet"])
def test_a_loaded_models_own_state_dict_loads_back(tmp_path, name):
    """`model.net.state_dict()` is in the layout after loading (Lite0 folded, GoogLeNet without aux heads)."""
    source = models.load(name, weights="none", device="cpu")
    with torch.no_grad():
        next(source.net.parameters()).add_(0.5)  # so the copy can only have come from this file
    path = tmp_path / "saved.pt"
    torch.save(source.net.state_dict(), path)
    loaded = models.load(name, weights=path, device="cpu")
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded.net(x), source.net(x))


def test_a_state_dict_file_round_trips(tmp_path):
    source = models.load("resnet18", weights="none", device="cpu")
    with torch.no_grad():
        source.net.fc.bias.fill_(0.25)
    path = tmp_path / "mine.pt"
    torch.save({"module." + k: v for k, v in source.net.state_dict().items()}, path)  # DataParallel-style keys
    loaded = models.load("resnet18", weights=path, device="cpu")
    assert torch.all(loaded.net.fc.bias == 0.25)
    assert loaded.weights == str(path) and len(loaded.weights_id) == 16


class _Payload:
    """Unpickling this would create a file: proof that code in a checkpoint ran."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def test_a_pickle_that_runs_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"weight": _Payload(marker)}, path)
    with pytest.raises(models.CheckpointError, match="not a plain tensor state dict"):
        models.load("resnet18", weights=path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        ([torch.zeros(1)], "holds a list"),
        ({"conv1.weight": torch.zeros(1)}, "does not fit resnet18"),
    ],
)
def test_wrong_checkpoints_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    torch.save(content, path)
    with pytest.raises(models.CheckpointError, match=message):
        models.load("resnet18", weights=path)


def test_a_non_checkpoint_file_is_refused(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("hello")
    with pytest.raises(models.CheckpointError):
        models.load("alexnet", weights=path)
    with pytest.raises(models.CheckpointError, match="does not exist"):
        models.load("alexnet", weights=tmp_path / "missing.pt")


def test_offline_without_cached_weights_says_which_file_goes_where(monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", offline)
    with pytest.raises(models.WeightsUnavailableError) as info:
        models.load("alexnet")
    message = str(info.value)
    assert "alexnet-owt-7be5be79.pth" in message
    assert os.path.join(os.environ["TORCH_HOME"], "hub", "checkpoints") in message
    assert "python -m viz fetch alexnet" in message


def test_weights_in_the_torch_hub_cache_are_used_offline(monkeypatch):
    def offline(*args, **kwargs):
        raise AssertionError("must not download when the file is cached")

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", offline)
    spec = models.get_spec("alexnet")
    reference = models.load("alexnet", weights="none", device="cpu")
    with torch.no_grad():
        reference.net.classifier[6].bias.fill_(-1.0)
    spec.weights.cache_path().parent.mkdir(parents=True)
    torch.save(reference.net.state_dict(), spec.weights.cache_path())
    loaded = models.load("alexnet", device="cpu")
    assert torch.all(loaded.net.classifier[6].bias == -1.0)
    assert loaded.weights == "default"


def test_googlenet_drops_its_training_only_heads_after_loading():
    model = models.load("googlenet", weights="none", device="cpu")
    assert model.net.aux1 is None and model.net.aux2 is None
    assert model.net.transform_input


def test_from_module_takes_conv_and_activation_layers_with_tiers_by_depth():
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 6, 3), torch.nn.ReLU6(),
        torch.nn.Conv2d(6, 8, 3), torch.nn.ReLU(), torch.nn.Conv2d(8, 2, 3), torch.nn.ReLU(),
    )
    model = models.from_module(net, name="tiny", input_size=32)
    assert [layer.name for layer in model.layers] == [str(i) for i in range(8)]
    assert [layer.channels for layer in model.layers] == [4, 4, 6, 6, 8, 8, 2, 2]
    assert [layer.tier for layer in model.layers] == ["edges"] * 2 + ["contours"] * 2 + ["parts"] * 2 + ["objects"] * 2
    x = torch.rand(1, 3, 32, 32)
    assert torch.equal(model.normalize(x), x)
    assert not any(p.requires_grad for p in net.parameters()) and not net.training


def test_from_module_rejects_unknown_layers():
    with pytest.raises(models.UserError, match="no module 'head'"):
        models.from_module(torch.nn.Sequential(torch.nn.Conv2d(3, 3, 1)), layers=["head"])


@pytest.mark.parametrize(
    "cuda, mps, expected", [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")]
)
def test_automatic_device_choice_is_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert models.pick_device(None) == torch.device(expected)
    assert models.pick_device("auto") == torch.device(expected)


def test_a_named_device_is_checked_against_what_is_here(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert models.pick_device("cpu") == torch.device("cpu")
    with pytest.raises(models.UserError, match="no CUDA GPU"):
        models.pick_device("cuda")
    with pytest.raises(models.UserError, match="MPS .* not available"):
        models.pick_device("mps")
    with pytest.raises(models.UserError, match="unknown device"):
        models.pick_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert models.pick_device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(models.UserError, match="no cuda:2: this machine has 2"):
        models.pick_device("cuda:2")
