"""The app on a models file's 32-px network and on a timm model typed in the sidebar; a bad file is a message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support.user_models import cifar_models_file, write_models_file

APP = str(Path(__file__).resolve().parents[2] / "app.py")
RENDER = r"(?P<layer>[\w.]+) · unit \d+ · (?P<tier>edges|contours|parts)"


def _renders(at: AppTest) -> list[tuple[str, str]]:
    found = [re.fullmatch(RENDER, c) for element in at.image for c in element.captions]
    return [(m["layer"], m["tier"]) for m in found if m]


@pytest.mark.slow
def test_a_32px_network_shows_its_landing_unit_page_and_untrained_version(tmp_path, monkeypatch):
    path, _ = cifar_models_file(tmp_path)
    monkeypatch.setenv("VIZ_MODELS", str(path))
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params["model"] = "cifar_net"
    at.run()
    assert not at.exception and not at.error
    assert at.sidebar.selectbox(key="model").value == "cifar_net"
    assert _renders(at) == [("features.2", "edges")] * 3 + [("features.5", "contours")] * 3 + [("features.8", "parts")] * 3
    classes = at.table[0].value["class"].tolist()
    assert len(classes) == 5 and set(classes) <= {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                                                  "horse", "ship", "truck"}
    assert any(c == "chelsea.png (input pixels)" for element in at.image for c in element.captions)

    at.switch_page("ui/pages/unit.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="layer").value == "features.5"  # the landing's contours layer
    captions = [c for element in at.image for c in element.captions]
    assert any(c.startswith("activation map") for c in captions) and any("top-9" in c for c in captions)

    at.sidebar.radio(key="weights").set_value("none").run()
    assert not at.exception and not at.error
    assert at.sidebar.selectbox(key="model").value == "cifar_net"
    switch = next(link for link in at.get("page_link") if link.label.startswith("the same unit"))
    assert switch.label == "the same unit trained"  # the page knows it shows the untrained network

    at.switch_page("ui/pages/occlusion.py").run()  # the square's range and step follow the 32-px input
    assert not at.exception and not at.error
    square = at.slider(key="occ_window")
    assert (square.min, square.max, square.value, square.step) == (2, 16, 8, 1)
    assert any(element.value for element in at.image)  # the maps


@pytest.mark.slow
def test_a_timm_model_typed_in_the_sidebar_shows_its_landing(monkeypatch):
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"model": "timm/resnet18", "weights": "none"})
    at.run()
    assert not at.exception and not at.error and not at.warning
    assert at.sidebar.selectbox(key="model").value == "timm/resnet18"
    assert _renders(at) == [("layer1", "edges")] * 3 + [("layer2", "contours")] * 3 + [("layer3", "parts")] * 3
    assert "untrained" in " ".join(m.value for m in at.markdown)


def test_a_bad_models_file_is_a_message_and_the_app_goes_on(tmp_path, monkeypatch):
    broken = write_models_file(tmp_path, "broken.py", "MODELS = {'mine': lambda: 'not a network'}\n1 / 0\n")
    monkeypatch.setenv("VIZ_MODELS", str(broken))
    at = AppTest.from_file(APP, default_timeout=600)
    at.switch_page("ui/pages/filters.py").run()
    assert not at.exception
    assert [w.value for w in at.sidebar.warning] == [
        "models file broken.py: cannot import it (ZeroDivisionError: division by zero)"]  # no folder of the server's
    assert at.sidebar.selectbox(key="model").value == "efficientnet_lite0"

    failing = write_models_file(tmp_path, "failing.py", "MODELS = {'mine': lambda: 'not a network'}\n")
    monkeypatch.setenv("VIZ_MODELS", str(failing))
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params["model"] = "mine"
    at.switch_page("ui/pages/filters.py").run()
    assert not at.exception and not at.sidebar.warning
    assert [e.value for e in at.sidebar.error] == [
        "mine cannot be loaded, showing efficientnet_lite0; the person running the app sees why with "
        "`python -m viz layers mine --models-file failing.py`."]
    assert "efficientnet_lite0" in at.sidebar.caption[0].value


def test_pages_that_need_classes_say_so_for_a_network_without_them(tmp_path, monkeypatch):
    path = write_models_file(tmp_path, "maps.py", (
        "from torch import nn\n"
        "MODELS = {'maps': lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3),\n"
        "                                        nn.ReLU(), nn.Conv2d(4, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3))}\n"))
    monkeypatch.setenv("VIZ_MODELS", str(path))
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params["model"] = "maps"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["maps has no class labels; classification needs a labelled output layer"]
    at.switch_page("ui/pages/image.py").run()
    assert not at.exception and not at.error
    assert any(c.value.startswith("maps has no class labels, so no classes to show") for c in at.caption)
