"""What a browser can make the served app read: a typed folder only inside $VIZ_IMAGE_ROOTS, no server path in a
message, no weights or image file named by a URL (AppTest through app.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from viz.serving.roots import ENV, REFUSED

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """`allowed` (3 photos, the only root; a link in it leads to `private`) beside `private` (2 photos)."""
    allowed, private = tmp_path / "allowed", tmp_path / "private"
    for folder, count, colour in ((allowed, 3, "teal"), (private, 2, "magenta")):
        folder.mkdir()
        for i in range(count):
            Image.new("RGB", (64, 48), colour).save(folder / f"{folder.name}-{i}.png")
    (allowed / "out").symlink_to(private, target_is_directory=True)
    monkeypatch.setenv(ENV, str(allowed))
    return allowed, private


@pytest.fixture
def opened(monkeypatch):
    """Every path PIL opens in this process (the app runs in it under AppTest)."""
    paths, real_open = [], Image.open

    def spy(fp, *args, **kwargs):
        paths.append(str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", spy)
    return paths


def _unit_page(monkeypatch) -> AppTest:
    from viz.actmax.settings import QUALITY, Quality

    monkeypatch.setitem(QUALITY, "fast", Quality("standard", steps=4, size=32))  # the default quality, made cheap
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"layer": "_blocks.0", "unit": "0"})
    at.switch_page("ui/pages/unit.py").run()
    assert not at.exception
    at.radio(key="unit_set").set_value("a folder").run()
    return at


def _type(at: AppTest, folder) -> AppTest:
    at.text_input(key="unit_folder").input(str(folder)).run()
    assert not at.exception
    return at


def _top9_shown(at: AppTest) -> bool:
    return any(c.startswith("top-9") for element in at.image for c in element.captions)


@pytest.mark.slow
def test_a_folder_outside_the_roots_is_refused_and_one_inside_is_searched(folders, opened, monkeypatch):
    allowed, private = folders
    at = _unit_page(monkeypatch)
    refused = {}
    for name, folder in {"outside": private, "dotdot": allowed / ".." / "private", "symlink": allowed / "out",
                         "missing": allowed / "missing", "tilde": "~"}.items():
        _type(at, folder)
        refused[name] = [e.value for e in at.error]
        assert not _top9_shown(at) and not at.table, name
    assert all(errors == [REFUSED] for errors in refused.values()), refused  # one message, whatever the reason
    assert not [p for p in opened if "private" in p]  # not a byte of the private photos was read

    _type(at, allowed)
    assert not at.error and _top9_shown(at)
    assert at.table[0].value.loc["images"].iloc[0] == 3  # the statistics ran over the three allowed photos
    assert any("allowed-" in p for p in opened) and not [p for p in opened if "private" in p]


def test_an_empty_folder_inside_the_roots_says_so_without_its_path(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(ENV, str(tmp_path))
    at = _type(_unit_page(monkeypatch), tmp_path / "empty")
    assert [e.value for e in at.error] == [e.value for e in at.error if str(tmp_path) not in e.value]
    assert "no images" in at.error[0].value and not _top9_shown(at)


def test_a_url_cannot_name_a_weights_file_or_an_image_file_of_the_server(tmp_path, monkeypatch):
    import models

    loads = []
    real_load = models.load
    monkeypatch.setattr(models, "load", lambda name, weights="default", **kw: loads.append(weights) or
                        real_load(name, weights=weights, **kw))
    checkpoint = tmp_path / "state.pt"
    checkpoint.write_bytes(b"never read")
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params.update({"weights": str(checkpoint), "image": "/etc/hostname"})
    at.switch_page("ui/pages/image.py").run()
    assert not at.exception
    assert at.sidebar.radio(key="weights").value == "default" and at.selectbox(key="image").value == "chelsea.png"
    assert str(checkpoint) not in loads
    warned = " ".join(w.value for w in at.warning)
    assert "weights" in warned and "image" in warned


def test_missing_pretrained_weights_are_reported_without_the_servers_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("torchvision.models._api.WeightsEnum.get_state_dict",
                        lambda self, *a, **k: (_ for _ in ()).throw(OSError("offline")))
    at = AppTest.from_function(_sidebar_only, default_timeout=600)
    at.session_state["model"] = "alexnet"
    at.run()
    assert not at.exception
    shown = " ".join(e.value for e in at.sidebar.error)
    assert "alexnet" in shown and "python -m viz fetch alexnet" in shown
    assert "/" not in shown.replace("python -m viz", "")  # no folder of the server's disk


def _sidebar_only():
    from ui.frame import current_model

    current_model()


def test_an_unexpected_error_shows_no_message_path_or_traceback_in_the_page():
    at = AppTest.from_string('raise RuntimeError("cannot read /home/teacher/private/notes.txt")').run()
    shown = at.exception[0]
    assert "/home/teacher" not in shown.message and "RuntimeError" not in shown.message
    assert not list(shown.stack_trace)  # the traceback goes to the server's log only
