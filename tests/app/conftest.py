"""The app tests' setting: renders at a few steps (no app test judges a picture's quality) and an empty store of
shared results per test, as every test already gets empty disk caches (tests/conftest.py)."""

from __future__ import annotations

import pytest
from support.helpers import APP_STEPS

from viz.serving import budget


@pytest.fixture(autouse=True)
def _quick_renders_and_fresh_results(monkeypatch):
    for name, value in APP_STEPS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(budget, "_budget", None)
