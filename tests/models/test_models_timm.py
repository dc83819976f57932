"""`timm/<name>`: any timm model, untrained or from timm's local cache, tiers from its feature_info; no download."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

import models
from models.timm_zoo import timm_spec


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty Hugging Face cache, read offline."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    return tmp_path / "hub"


def test_timm_resnet18_untrained_has_tiers_by_stride_and_timms_input_data():
    model = models.load("timm/resnet18", weights="none", device="cpu")
    assert [(layer.name, layer.tier, layer.channels) for layer in model.layers] == [
        ("act1", "edges", 64), ("layer1", "edges", 64), ("layer2", "contours", 128), ("layer3", "parts", 256),
        ("layer4", "objects", 512), ("fc", "objects", 1000)]
    assert model.layers[0].pre == "bn1"  # read before its ReLU
    assert model.input_size == 224 and model.labels[285] == "Egyptian cat" and model.untrained
    assert type(model.net).__module__.startswith("timm.")
    again = models.load("timm/resnet18", weights="none", device="cpu")
    assert torch.equal(model.net.conv1.weight, again.net.conv1.weight)


def test_offline_without_timms_cache_says_how_to_fetch(hub):
    with pytest.raises(models.WeightsUnavailableError) as info:
        models.load("timm/resnet18")
    message = str(info.value)
    assert "timm/resnet18.a1_in1k" in message and "python -m viz fetch timm/resnet18" in message


def test_weights_in_timms_cache_are_loaded_offline(hub):
    """A cached model.safetensors, laid out as huggingface_hub keeps it, is what weights="default" reads."""
    source = models.load("timm/resnet18", weights="none", device="cpu")
    with torch.no_grad():
        source.net.fc.bias.fill_(-1.0)
    snapshot = hub / "models--timm--resnet18.a1_in1k" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (hub / "models--timm--resnet18.a1_in1k" / "refs").mkdir()
    (hub / "models--timm--resnet18.a1_in1k" / "refs" / "main").write_text("abc123")
    save_file({k: v.contiguous() for k, v in source.net.state_dict().items()}, str(snapshot / "model.safetensors"))
    loaded = models.load("timm/resnet18", device="cpu")
    assert torch.all(loaded.net.fc.bias == -1.0) and not loaded.untrained
    assert models.get_spec("timm/resnet18").weights.local_path() == snapshot / "model.safetensors"


@pytest.mark.parametrize("name, message", [
    ("timm/no_such_net", "timm has no model 'no_such_net'"),
    ("timm/hf-hub:timm/resnet18.a1_in1k", "timm has no model 'hf-hub:"),  # never a download source named by a browser
    ("timm/local-dir:/tmp", "timm has no model 'local-dir:"),
])
def test_only_names_timm_registers_are_models(name, message):
    with pytest.raises(models.UnknownModelError, match=message):
        models.load(name, weights="none")


def test_maps_whose_strides_do_not_separate_the_tiers_get_them_by_depth():
    spec = models.get_spec("timm/convmixer_768_32")  # 32 blocks, all at stride 7
    tiers = [layer.tier for layer in spec.layers]
    assert len(tiers) == 33 and tiers[:8] == ["edges"] * 8 and tiers[8:16] == ["contours"] * 8
    assert tiers[-1] == "objects" and spec.layers[-1].name == "head" and "spread by depth" in spec.tier_notes


@pytest.mark.parametrize("name", ["timm/test_vit", "timm/swin_tiny_patch4_window7_224"])
def test_a_transformer_without_channel_first_maps_is_refused_with_a_message(name):
    """A ViT's blocks give tokens (N, tokens, C) and a Swin's stages (N, H, W, C): no maps the engine can read."""
    with pytest.raises(models.UserError, match=r"has no \(N, C, H, W\) feature maps .*models.from_module"):
        models.get_spec(name)


def test_a_network_over_the_parameter_limit_is_refused_with_a_line_that_says_how_to_raise_it(monkeypatch):
    monkeypatch.setenv("VIZ_TIMM_MAX_PARAMS", "10000000")  # ResNet-18 has 11.7 M
    timm_spec.cache_clear()
    with pytest.raises(models.UserError, match=r"timm/resnet18 has 12 M parameters, over this server's limit of 10 M "
                                               r"\(VIZ_TIMM_MAX_PARAMS"):
        models.load("timm/resnet18", weights="none", device="cpu")
    monkeypatch.setenv("VIZ_TIMM_MAX_PARAMS", "20000000")
    timm_spec.cache_clear()
    assert [layer.name for layer in timm_spec("timm/resnet18").layers][-1] == "fc"
