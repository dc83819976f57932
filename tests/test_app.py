"""The app's logic through Streamlit's AppTest: it loads the embedded model and names what it sees."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _classes(at: AppTest) -> list[str]:
    return list(at.table[0].value["class"])


def test_app_classifies_the_default_photo_and_follows_the_selection():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert "efficientnet_lite0" in at.caption[0].value
    assert _classes(at)[0] == "Egyptian cat"
    at.selectbox[0].select("coffee.png").run()
    assert not at.exception
    assert _classes(at)[0] == "espresso"
