"""Cache keys: a render's or a top-k sweep's key changes with each part that decides the result, and every key
names the model one way (`model_key`: name, weights, input size, device type).

Every variant differs from one base in one part only, and all keys must be distinct from each other (not only
neighbours in a chain). The caches here record the key and answer a dummy result, so nothing is computed.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import pytest
import torch
from PIL import Image
from support.deconv_nets import chain_model

import viz
from models.errors import UserError
from viz.actmax.param import PARAMETERIZATIONS
from viz.actmax.settings import COMPILE, OPTIMIZERS, RenderSettings, resolve
from viz.core.transforms import TRANSFORM_SETS
from viz.serving.cache import DiskCache, model_key, store_for
from viz.views import hierarchy as H
from viz.zf.topk import top_examples

cache_module = importlib.import_module("viz.serving.cache")


class KeyRecorder(DiskCache):
    """Records each lookup's key and answers `answer` without computing."""

    def __init__(self, answer: dict):
        super().__init__("keys", enabled=False)
        self.answer = answer
        self.keys: list[str] = []

    def get_or_compute(self, parts, compute):
        self.keys.append(self.key(parts))
        return self.answer


@pytest.fixture(scope="module")
def chain():
    return chain_model(dtype=torch.float32)


def assert_all_distinct(keys: dict[str, str]) -> None:
    by_key: dict[str, list[str]] = {}
    for variant, key in keys.items():
        by_key.setdefault(key, []).append(variant)
    clashes = [names for names in by_key.values() if len(names) > 1]
    assert not clashes, f"these variants share a key: {clashes}"


STRING_CHOICES = (*PARAMETERIZATIONS, *OPTIMIZERS, *TRANSFORM_SETS, *COMPILE)


def changed(settings: RenderSettings, name: str) -> RenderSettings:
    """`settings` with field `name` set to another valid value (found by trying candidates of its type)."""
    value = getattr(settings, name)
    candidates = {
        bool: lambda: [not value],
        int: lambda: [value + 1, 64],
        float: lambda: [value / 2, 0.5],
        str: lambda: list(STRING_CHOICES),
    }[type(value)]()
    for candidate in candidates:
        if candidate == value:
            continue
        try:
            return dataclasses.replace(settings, **{name: candidate})
        except UserError:
            continue
    pytest.fail(f"no other valid value found for RenderSettings.{name}; add a candidate in this test")


def test_a_render_key_changes_with_model_weights_unit_every_setting_and_code(chain, monkeypatch):
    base = resolve("standard", param="pixel", size=32, steps=4)  # pixel: squash can be switched off too
    recorder = KeyRecorder({"images": torch.zeros(1, 3, 32, 32), "history": torch.zeros(4, 1)})

    def key(model=chain, unit=("top", 0), settings=base) -> str:
        viz.render(model, [unit], settings=settings, cache=recorder)
        return recorder.keys[-1]

    keys = {
        "base": key(),
        "model": key(model=dataclasses.replace(chain, name="chain2")),
        "weights": key(model=dataclasses.replace(chain, weights_id="other-weights")),
        "channel": key(unit=("top", 1)),
        "layer": key(unit=("conv1", 0)),
        "neuron": key(unit=("top", 0, 1, 1)),
    }
    for field in dataclasses.fields(RenderSettings):
        keys[f"settings.{field.name}"] = key(settings=changed(base, field.name))
    monkeypatch.setattr(cache_module, "code_version", lambda: "another-code")
    keys["code"] = key()
    assert_all_distinct(keys)


def test_a_topk_key_changes_with_model_weights_files_every_setting_and_code(chain, tmp_path, monkeypatch):
    for i in range(2):
        Image.new("RGB", (16, 16), (40 * i, 0, 0)).save(tmp_path / f"{i}.png")
    answer = {"sources": [], "values": torch.zeros(0), "images": torch.zeros(0), "positions": torch.zeros(0),
              "map_size": (), "skipped": []}
    recorder = KeyRecorder(answer)

    def key(model=chain, folder=tmp_path, **options) -> str:
        top_examples(model, folder, **{"layer": "top", "k": 2, **options}, cache=recorder)
        return recorder.keys[-1]

    keys = {
        "base": key(),
        "model": key(model=dataclasses.replace(chain, name="chain2")),
        "weights": key(model=dataclasses.replace(chain, weights_id="other-weights")),
        "input size": key(model=dataclasses.replace(chain, input_size=32)),
        "layer": key(layer="conv1"),
        "k": key(k=3),
        "per image": key(per_image=True),
        "fit": key(fit="crop"),
        "files": key(folder=[tmp_path / "0.png"]),
    }
    Image.new("RGB", (16, 16), (0, 0, 200)).save(tmp_path / "1.png")  # same path, new pixels
    keys["file changed"] = key()
    monkeypatch.setattr(cache_module, "code_version", lambda: "another-code")
    keys["code"] = key()
    assert_all_distinct(keys)


def test_the_code_version_changes_with_any_engine_source_file(tmp_path, monkeypatch):
    for folder in ("viz", "models"):
        (tmp_path / folder / "sub").mkdir(parents=True)
        (tmp_path / folder / "sub" / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(cache_module, "__file__", str(tmp_path / "viz" / "serving" / "cache.py"))
    version = cache_module.code_version.__wrapped__  # the uncached function: it rereads the files
    versions = [version()]
    for folder in ("viz", "models"):
        (tmp_path / folder / "sub" / "a.py").write_text("x = 2\n")
        versions.append(version())
    (tmp_path / "models" / "sub" / "a.py").rename(tmp_path / "models" / "sub" / "b.py")  # a rename counts too
    versions.append(version())
    (tmp_path / "notes.py").write_text("outside the engine")
    versions.append(version())
    assert len(set(versions[:4])) == 4 and versions[4] == versions[3]
    assert all(len(v) == 12 for v in versions)


def test_a_landing_key_changes_with_each_part_of_the_model_key_device_included(chain, monkeypatch):
    """The hierarchy's keys once lacked the device: a CPU result was served to a GPU session."""
    recorder = KeyRecorder({})
    nothing_chosen = H.Hierarchy(torch.zeros(3, 8, 8), [], 0, {}, "contribution", {})

    def keys(model) -> list[str]:
        H.unit_views(model, nothing_chosen, cache=recorder)
        H.tier_circuits(model, nothing_chosen, cache=recorder)
        return recorder.keys[-2:]

    variants = {
        "base": keys(chain),
        "model": keys(dataclasses.replace(chain, name="chain2")),
        "weights": keys(dataclasses.replace(chain, weights_id="other-weights")),
        "input size": keys(dataclasses.replace(chain, input_size=32)),
    }
    monkeypatch.setattr(type(chain), "device", property(lambda self: torch.device("meta")))
    variants["device"] = keys(chain)
    assert model_key(chain)["device"] == "meta"
    assert_all_distinct({f"{name} {stage}": key for name, pair in variants.items() for stage, key in zip("vc", pair)})


def test_every_cache_key_names_the_model_through_model_key():
    """A key that spells the model out by hand is how one of them came to miss the device."""
    by_hand = re.compile(r"""["']model["']\s*:\s*model\.name|model=model\.name|["']weights["']\s*:\s*model\.weights_id"""
                         r"|weights=model\.weights_id")
    engine = Path(viz.__file__).parent
    found = [str(path.relative_to(engine)) for path in sorted(engine.rglob("*.py"))
             if re.search(r"get_or_compute|store_for\(", path.read_text()) and by_hand.search(path.read_text())
             and path != engine / "serving" / "cache.py"]  # where model_key itself is written
    assert found == []
    assert by_hand.search('key = {"stage": "units", "model": model.name, "weights": model.weights_id}')


def test_a_cache_argument_is_true_false_or_a_store():
    mine = DiskCache("mine", enabled=False)
    assert store_for(mine, "renders") is mine
    assert store_for(True, "renders").enabled and store_for(True, "renders").folder.name == "renders"
    assert not store_for(False, "renders").enabled
    with pytest.raises(TypeError, match="True, False or a DiskCache, not NoneType"):
        store_for(None, "renders")
