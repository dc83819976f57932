"""The Zeiler–Fergus app page, through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP, PAGE = str(ROOT / "app.py"), str(ROOT / "ui" / "pages" / "deconv.py")


@pytest.mark.slow
def test_page_shows_verdict_and_figure_and_follows_the_method():
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.warning[0].value.startswith("guided projection through _blocks.2: approximate: residual sum")
    assert at.radio(key="deconv_display").value == "magnitude"  # the legible view first, the raw one a click away
    assert any("|signal| summed over the colour channels" in c.value for c in at.caption)  # what was done to it
    layer_box = at.selectbox(key="deconv_layer")
    layer_box.select(layer_box.options[0])
    at.slider(key="deconv_count").set_value(1)
    at.radio(key="deconv_method").set_value("gradient").run()
    assert not at.exception
    assert at.success[0].value == "gradient projection through _relu0: exact (plain gradient)"
    assert len(at.get("image")) == 1 and len(at.get("download_button")) == 3  # the figure, PNG/SVG/PDF
