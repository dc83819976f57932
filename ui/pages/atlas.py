"""Layer atlas: every unit of a layer as a grid of pictures, filled in as they are rendered (or read from the
cache that `python -m viz atlas` and `python -m viz precompute` fill)."""

import streamlit as st

from ui.common import choose_model, model_parts, shared_result
from viz.atlas import QUALITIES, default_layer, quality_settings, unit_pictures
from viz.images import to_pil

PAGE_SIZE = 48  # units per page: a wide layer (1280 channels) is browsed page by page
CHUNK = 8  # units per job: the grid fills in steps of this many
COLUMNS = 8

model = choose_model()
st.title("Layer atlas: every unit at once")
st.write(
    "One picture per unit, each optimized to excite that unit. Low layers fill with edges and colours, middle "
    "layers with textures and patterns, high layers with parts of objects."
)
layers = {f"{layer.name} ({layer.tier}, {layer.channels} units)": layer for layer in model.layers}
names = [layer.name for layer in layers.values()]
left, middle, right = st.columns(3)
layer = layers[left.selectbox("Layer", list(layers), index=names.index(default_layer(model)), key="atlas_layer")]
quality = middle.radio("Quality", list(QUALITIES), horizontal=True, key="atlas_quality",
                       help=", ".join(f"{q}: {v['size']} px, {v['steps']} steps" for q, v in QUALITIES.items()))
pages = (layer.channels + PAGE_SIZE - 1) // PAGE_SIZE
page = right.number_input(f"Page (of {pages})", 1, pages, 1, key="atlas_page") if pages > 1 else 1
first = (int(page) - 1) * PAGE_SIZE
channels = list(range(first, min(first + PAGE_SIZE, layer.channels)))
settings = quality_settings(quality)

overall = st.progress(0.0, text=f"Units {channels[0]}–{channels[-1]}")
rows = [st.columns(COLUMNS) for _ in range((len(channels) + COLUMNS - 1) // COLUMNS)]
for start in range(0, len(channels), CHUNK):
    chunk = [(layer.name, c) for c in channels[start:start + CHUNK]]
    parts = {"page": "atlas", **model_parts(model), "units": chunk, "settings": settings.as_dict()}
    pictures = shared_result(
        f"Rendering units {chunk[0][1]}–{chunk[-1][1]}", parts,
        lambda progress, chunk=chunk: list(unit_pictures(model, chunk, settings, progress=progress)),
    )
    for i, picture in enumerate(pictures, start):
        rows[i // COLUMNS][i % COLUMNS].image(
            to_pil(picture.image), caption=f"unit {picture.channel} · {picture.objective:.1f}", width="stretch"
        )
    done = start + len(chunk)
    overall.progress(done / len(channels), text=f"{done} of {len(channels)} units")
overall.empty()
st.caption(
    f"{quality}: {settings.size} px, {settings.steps} steps, seed {settings.seed}. The number under a picture is "
    "its final objective (the unit's mean activation on it). The same pictures for every layer, offline: "
    f"`python -m viz atlas --model {model.name} --out atlas/`."
)
