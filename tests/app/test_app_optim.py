"""The Optimization pages through app.py (real page switches): each computes on request and shows its figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240).run()
    at.switch_page(f"ui/pages/{name}.py").run()
    assert not at.exception
    assert len(at.get("image")) == 0 and len(at.get("download_button")) == 0  # nothing before the button
    return at


def _submit(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label.startswith(("Train", "Grow"))).click().run()
    assert not at.exception
    return at


@pytest.mark.slow
@pytest.mark.parametrize("page", ["optim_interpolate", "optim_batchnorm", "optim_evolution"])
def test_optimization_page_draws_its_figure_with_downloads(page):
    at = _page(page)
    prefix = page.split("_")[1][:5].replace("inter", "interp").replace("batch", "bn").replace("evolu", "evo")
    at.number_input(key=f"{prefix}_epochs").set_value(2)
    if page == "optim_evolution":
        at.multiselect(key="evo_checkpoints").set_value([1, 2])
        at.slider(key="evo_units").set_value(1)
    at = _submit(at)
    assert not at.error
    assert len(at.get("image")) == 1 and len(at.get("download_button")) == 3


@pytest.mark.slow
def test_net2net_page_reports_steps_and_a_bad_checkpoint_shows_an_error():
    at = _page("optim_net2net")
    at.slider(key="n2n_seeds").set_value(1)
    at.number_input(key="n2n_epochs").set_value(1)
    at = _submit(at)
    assert any("Net2WiderNet" in m.value and "steps to" in m.value for m in at.markdown)
    assert len(at.get("download_button")) == 3

    at.switch_page("ui/pages/optim_interpolate.py").run()
    at.number_input(key="interp_epochs").set_value(1)
    at.number_input(key="interp_from").set_value(5)
    at = _submit(at)
    assert "outside the run" in at.error[0].value
    assert len(at.get("progress")) == 0  # the failed job's progress bar is gone
