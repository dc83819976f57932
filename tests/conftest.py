"""Shared fixtures. Tests run on the CPU with the embedded model or random-init networks: no downloads."""

from __future__ import annotations

import pytest

import models


@pytest.fixture(scope="session")
def _shared_probes(tmp_path_factory):
    return tmp_path_factory.mktemp("probes")


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path_factory, monkeypatch, _shared_probes):
    """Every test gets empty result and torch-hub caches, so nothing depends on this machine's state.

    Except the units' probe verdicts: a pure function of the network, its weights, the layer and the code,
    shared by the whole session like the loaded `lite0` below, so that each test that names units does not
    repeat a 10 s probe pass (tests that test the probe pass `cache=False` or stub it).
    """
    root = tmp_path_factory.mktemp("caches")
    (root / "viz").mkdir()
    (root / "viz" / "probes").symlink_to(_shared_probes, target_is_directory=True)
    monkeypatch.setenv("VIZ_CACHE_DIR", str(root / "viz"))
    monkeypatch.setenv("TORCH_HOME", str(root / "torch"))


@pytest.fixture(autouse=True)
def _no_models_files(monkeypatch):
    """No models file unless a test names one (VIZ_MODELS, or --models-file through the CLI's `main`)."""
    monkeypatch.delenv("VIZ_MODELS", raising=False)
    models.use_models_files([])
    yield
    models.use_models_files([])


@pytest.fixture(scope="session")
def lite0():
    """The embedded pretrained model, loaded once (read-only in tests)."""
    return models.load("efficientnet_lite0", device="cpu")


