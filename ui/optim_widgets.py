"""Widgets shared by the Optimization pages: training controls, a progress bar, the figure with downloads."""

from __future__ import annotations

import dataclasses

import streamlit as st

from models.errors import UserError
from ui.common import download_buttons
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


def run_with_progress(text: str, compute):
    """`compute(update)` under a progress bar, removed when it ends; None after showing a user error's message.

    `update(done, total)` is the engine's progress callback (about 50 redraws in all); `update(done, total,
    text)` also relabels the bar for the next stage. The page keeps running after an error.
    """
    bar, label = st.progress(0.0, text=text), [text]

    def update(done: int, total: int, text: str | None = None) -> None:
        if text:
            label[0] = text
        if text or done == total or done % max(1, total // 50) == 0:
            bar.progress(min(1.0, done / total), text=label[0])

    try:
        return compute(update)
    except UserError as exc:
        st.error(str(exc))
        return None
    finally:
        bar.empty()


def show(fig_factory, stem: str, key: str) -> None:
    """The figure, then PNG/SVG/PDF downloads of the same figure the CLI would write."""
    st.pyplot(fig_factory())
    download_buttons(fig_factory, stem, key)
