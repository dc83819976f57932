"""First-layer filters: what training does to the very first units (trained beside untrained)."""

import streamlit as st

from ui.frame import current_model, load_model
from ui.jobs import model_parts, shared_result
from ui.widgets import download_buttons
from viz.core.export import figure_bytes
from viz.zf.figures import filters_figure

model = current_model()
st.title("The first layer: edge and colour detectors")
st.write(
    "Each tile is one filter of the first convolution, scaled to its own range. Trained filters are oriented "
    "edges, gratings and colour blobs; the same network untrained shows noise."
)
untrained = load_model(model.name, "none")
panels = [(model, f"{model.name} ({'untrained' if model.untrained else 'trained'})"), (untrained, "untrained")]
if model.untrained:
    panels = panels[:1]
parts = {"page": "filters", "panels": [(model_parts(m), title) for m, title in panels]}
png = shared_result("Drawing the filters", parts, lambda progress: figure_bytes(filters_figure(panels)))
if png is not None:
    st.image(png, width="stretch")
    download_buttons(lambda: filters_figure(panels), f"{model.name}-filters", "filters")
