"""Widgets shared by the Optimization pages: training controls and the figure with downloads (their work goes
through `ui.jobs.shared_result`, like every page's)."""

from __future__ import annotations

import dataclasses

import streamlit as st

from ui.widgets import download_buttons
from viz.optim.network import Architecture
from viz.optim.training import TrainSettings

DEFAULTS = TrainSettings()


def training_controls(key: str, batch_norm: bool = False) -> TrainSettings:
    """Epochs, learning rate and seed of the digits CNN's run, in one row (inside the page's form)."""
    left, middle, right = st.columns(3)
    epochs = left.number_input("Epochs", 1, 100, DEFAULTS.epochs, key=f"{key}_epochs")
    lr = middle.select_slider("Learning rate", [0.005, 0.01, 0.02, 0.05, 0.1, 0.2], DEFAULTS.lr, key=f"{key}_lr")
    seed = right.number_input("Seed", 0, 2**31 - 1, DEFAULTS.seed, key=f"{key}_seed")
    return dataclasses.replace(DEFAULTS, arch=Architecture(batch_norm=batch_norm), epochs=int(epochs), lr=lr,
                               seed=int(seed))


def show(fig_factory, stem: str, key: str) -> None:
    """The figure, then PNG/SVG/PDF downloads of the same figure the CLI would write."""
    st.pyplot(fig_factory())
    download_buttons(fig_factory, stem, key)
