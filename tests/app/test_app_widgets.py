"""ui.widgets.built_from: each input's picture links to its Unit page, with the parameters the caller changes."""

from __future__ import annotations

import urllib.parse

from streamlit.testing.v1 import AppTest


def _inputs(link) -> None:
    from types import SimpleNamespace

    import streamlit as st
    import torch

    from ui.widgets import built_from

    st.session_state.setdefault("weights", "default")  # the sidebar's choice, as the frame keeps it
    found = SimpleNamespace(source="_blocks.1", inputs=[(3, 2.0), (5, 1.0), (7, -0.5)], share=lambda v: v / 3.0)
    pictures = {("_blocks.1", c): torch.rand(3, 8, 8) for c in (3, 5)}
    built_from(st, found, pictures, {("_blocks.1", 3): "edge", ("_blocks.1", 5): "colour"}, link=link)


def _links(at: AppTest) -> list[dict]:
    return [dict(urllib.parse.parse_qsl(image.proto.link.split("?", 1)[1])) for image in at.image]


def test_each_input_links_to_its_unit_with_the_sidebars_choices_or_the_callers():
    same = AppTest.from_function(_inputs, args=(None,)).run()
    assert not same.exception
    assert [(q["layer"], q["unit"], q["weights"]) for q in _links(same)] == [("_blocks.1", "3", "default"),
                                                                            ("_blocks.1", "5", "default")]
    assert [c for image in same.image for c in image.captions] == ["unit 3 · 67%", "unit 5 · 33%"]
    untrained = AppTest.from_function(_inputs, args=({"weights": "none"},)).run()  # the tour's contrast column
    assert [q["weights"] for q in _links(untrained)] == ["none", "none"]
