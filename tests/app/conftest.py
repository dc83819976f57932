"""The app tests' setting: renders at a few steps (no app test judges a picture's quality) and an empty store of
shared results per test, as every test already gets empty disk caches (tests/conftest.py)."""

from __future__ import annotations

import importlib

import pytest
from support.helpers import APP_STEPS


@pytest.fixture(autouse=True)
def _quick_renders_and_fresh_results(monkeypatch):
    for name, value in APP_STEPS.items():
        monkeypatch.setenv(name, value)
    # the module, not the `budget` function that viz.serving exports under the same name
    monkeypatch.setattr(importlib.import_module("viz.serving.budget"), "_budget", None)
