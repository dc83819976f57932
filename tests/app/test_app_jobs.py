"""ui.jobs.shared_result in a page: a progress bar while the work runs, none at all once the result is ready."""

from __future__ import annotations

import uuid

from streamlit.testing.v1 import AppTest


def _page(token: str) -> None:
    import time

    import streamlit as st

    from ui.jobs import shared_result

    st.write("before")
    result = shared_result("Counting", {"test": token}, lambda progress: time.sleep(1.0) or 42)
    st.write(f"result {result}")


def _kinds(at: AppTest) -> list[str]:
    return [node.type for node in at.main.children.values()]


def test_a_ready_result_is_shown_without_a_progress_bar_to_draw_and_remove():
    token = uuid.uuid4().hex  # work no other test has asked for
    first = AppTest.from_function(_page, args=(token,), default_timeout=30).run()
    assert not first.exception and first.markdown[-1].value == "result 42"
    assert _kinds(first) == ["markdown", "empty", "markdown"]  # the progress bar's place, emptied at the end
    second = AppTest.from_function(_page, args=(token,), default_timeout=30).run()  # another session, result ready
    assert not second.exception and second.markdown[-1].value == "result 42"
    assert _kinds(second) == ["markdown", "markdown"]  # two messages fewer for each session of a class
