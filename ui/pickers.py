"""What a page asks the user for: a photo (a sample, an upload or a snapshot) and a layer, each bound to the URL
(`image`, `layer`) so a link reopens the same view."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import models
import viz
from ui.frame import check_param
from viz.core.images import gallery_dir, image_files

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"]
DEFAULT_IMAGE = "chelsea.png"


def choose_image(key: str = "image", camera: bool = True):
    """A sample photo (bound to the URL as `image`), an upload or a camera snapshot, as a (3,H,W) tensor.

    Returns (image, name); a bad upload shows the reason and returns (None, None).
    """
    samples = {p.name: p for p in image_files(gallery_dir())}
    check_param("image", samples)
    left, middle = st.columns(2)
    choice = left.selectbox("Sample photo", list(samples), index=list(samples).index(DEFAULT_IMAGE), key="image",
                            bind="query-params")
    upload = middle.file_uploader("…or upload your own", type=UPLOAD_TYPES, key=f"{key}_upload")
    snapshot = None
    if camera and st.toggle("…or take a snapshot with the camera", key=f"{key}_camera_on"):
        snapshot = st.camera_input("Snapshot", key=f"{key}_camera")
    given = snapshot or upload
    try:
        image = viz.load_image(given) if given is not None else sample(samples[choice])  # an upload is a named file
    except viz.ImageError as exc:
        st.error(str(exc))
        return None, None
    return image, (given.name if given is not None else choice)


@st.cache_resource(max_entries=64, show_spinner=False)
def _decoded(path: str, modified: float):
    return viz.load_image(path)


def sample(path):
    """A gallery photo, decoded once for every session and run (the same tensor: pages only read it) until its
    file changes."""
    return _decoded(str(path), Path(path).stat().st_mtime)


def choose_layer(model: models.LoadedModel, default: str | None = None, label: str = "Layer") -> models.Layer:
    """A layer of the model (bound to the URL as `layer`), shown with its tier and channel count."""
    names = [layer.name for layer in model.layers]
    check_param("layer", names)
    index = names.index(default) if default in names else len(names) // 2
    name = st.selectbox(label, names, index=index, key="layer", bind="query-params")
    tier = model.layer(name)
    st.caption(f"{name}: tier **{tier.tier}**, {tier.channels} units")
    return tier
