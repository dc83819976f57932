"""Shared fixtures. Tests run on the CPU with the embedded model or random-init networks: no downloads."""

from __future__ import annotations

import pytest

import models


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path_factory, monkeypatch):
    """Every test gets empty result and torch-hub caches, so nothing depends on this machine's state."""
    root = tmp_path_factory.mktemp("caches")
    monkeypatch.setenv("VIZ_CACHE_DIR", str(root / "viz"))
    monkeypatch.setenv("TORCH_HOME", str(root / "torch"))


@pytest.fixture(scope="session")
def lite0():
    """The embedded pretrained model, loaded once (read-only in tests)."""
    return models.load("efficientnet_lite0", device="cpu")


