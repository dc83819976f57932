"""Layer atlas: every unit of a layer as a grid of pictures, filled in as they are rendered (or read from the
cache that `python -m viz atlas` and `python -m viz precompute` fill); each opens the unit's evidence card."""

import streamlit as st

from ui.frame import current_model, current_quality, unit_href, view_params
from ui.jobs import model_parts, shared_result
from ui.pickers import choose_layer
from ui.pictures import show
from viz.actmax import quality_settings
from viz.actmax.per_unit import unit_pictures
from viz.probing.tiers import default_layer

PAGE_SIZE = 48  # units per page: a wide layer (1280 channels) is browsed page by page
CHUNK = 8  # units per job: the grid fills in steps of this many
COLUMNS = 8
CELL_WIDTH = 140  # CSS px of a column of the grid in the wide layout on a 1440-px window

model = current_model()
quality = current_quality()
st.title("Layer atlas: every unit at once")
st.write(
    "One picture per unit, each optimized to excite that unit. Low layers fill with edges and colours, middle "
    "layers with textures and patterns, high layers with parts of objects. Click a unit for its evidence card."
)
left, right = st.columns([3, 1])
with left:
    layer = choose_layer(model, default=default_layer(model))
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
    if pictures is None:  # the error is shown; the rest of the page would fail the same way
        break
    for i, picture in enumerate(pictures, start):
        cell = rows[i // COLUMNS][i % COLUMNS]
        show(cell, picture.image, CELL_WIDTH, stretch=True, link=unit_href(picture.layer, picture.channel))
        cell.page_link("ui/pages/unit.py", label=f"unit {picture.channel} · {picture.objective:.1f}",
                       query_params=view_params(layer=picture.layer, unit=picture.channel))
    done = start + len(chunk)
    overall.progress(done / len(channels), text=f"{done} of {len(channels)} units")
overall.empty()
st.caption(
    f"Quality {quality} (sidebar): {settings.size} px, {settings.steps} steps, seed {settings.seed}. The number "
    "beside a unit is its final objective (the unit's mean activation on its picture). Every layer as files "
    f"that browse offline: `python -m viz atlas --model {model.name} --preset {quality} --out atlas/`."
)
