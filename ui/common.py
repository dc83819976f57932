"""Widgets and cached resources shared by every page: the model picker, the image picker, downloads."""

from __future__ import annotations

import streamlit as st

import models
import viz
from viz.figures import FORMATS, figure_bytes
from viz.images import gallery_dir, image_files
from viz.serving import budget

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"]
WEIGHT_CHOICES = {"pretrained": "default", "untrained (random init)": "none"}


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def load_model(name: str, weights: str) -> models.LoadedModel:
    """One copy per (model, weights) for all sessions; the engine keeps hooks per call, so sharing is safe."""
    return models.load(name, weights=weights)


def choose_model() -> models.LoadedModel:
    """Sidebar: model and weights. Falls back to the embedded model (with a message) when weights are missing."""
    names = models.list_models()
    name = st.sidebar.selectbox("Model", names, key="model_name")
    weights = WEIGHT_CHOICES[st.sidebar.radio("Weights", list(WEIGHT_CHOICES), key="weights", horizontal=True)]
    try:
        model = load_model(name, weights)
    except models.UserError as exc:
        st.sidebar.error(str(exc))
        model = load_model(names[0], weights)
    st.sidebar.caption(f"{model.name} · weights {model.weights_id} · {model.device}")
    return model


def choose_image(key: str = "image"):
    """A sample photo or an upload, as a (3,H,W) tensor; a bad upload shows the reason and returns None."""
    samples = {p.name: p for p in image_files(gallery_dir())}
    left, right = st.columns(2)
    choice = left.selectbox("Sample photo", list(samples), index=list(samples).index("chelsea.png"), key=f"{key}_sample")
    upload = right.file_uploader("…or upload your own", type=UPLOAD_TYPES, key=f"{key}_upload")
    try:
        image = viz.load_image(upload.getvalue() if upload is not None else samples[choice])
    except viz.ImageError as exc:
        st.error(str(exc))
        return None, None
    return image, (upload.name if upload is not None else choice)


def download_buttons(fig_factory, stem: str, key: str) -> None:
    """PNG, SVG and PDF downloads of the same figure the CLI would write, encoded only when clicked."""
    columns = st.columns(len(FORMATS))
    for column, suffix in zip(columns, FORMATS):
        column.download_button(
            f"Download {suffix[1:].upper()}",
            data=lambda suffix=suffix: figure_bytes(fig_factory(), suffix, dpi=200),
            file_name=f"{stem}{suffix}",
            key=f"{key}_{suffix}",
            on_click="ignore",
        )


def model_parts(model: models.LoadedModel) -> dict:
    """What identifies a loaded model in the key of shared work."""
    return {"model": model.name, "weights": model.weights_id, "device": str(model.device)}


def shared_result(what: str, parts: dict, compute):
    """`compute(progress)` through the process's compute budget, shared with every session asking the same.

    Shows the place in the queue, then the progress. When this session reruns (a new selection) or leaves,
    Streamlit stops the script inside the wait loop; the `finally` then drops the queued job unless another
    session still waits for it.
    """
    ticket = budget().submit(parts, compute)
    status, shown = st.empty(), None
    try:
        while not ticket.wait(0.25):
            place, fraction = ticket.position(), round(ticket.fraction(), 2)
            if (place, fraction) != shown:  # a message only on change: every one costs each browser a redraw
                shown = place, fraction
                text = f"{what}: waiting for the server, {place - 1} job(s) ahead" if place else f"{what}…"
                status.progress(fraction, text=text)
        return ticket.result()
    finally:
        ticket.cancel()
        status.empty()
