"""Zeiler–Fergus page: a layer's units, each with its top-9 gallery patches and their projections."""

import streamlit as st

import viz
from ui.frame import current_model
from ui.indexes import current_index, index_parts
from ui.jobs import model_parts, shared_result
from ui.widgets import download_buttons
from viz.core.export import figure_bytes
from viz.zf.display import DISPLAY_NOTE, DISPLAYS
from viz.zf.figures import figure2, projection_note, unit_panel
from viz.zf.projection import EXTENT_NOTE, EXTENTS, METHODS

SMOOTH_SAMPLES = 16

model = current_model()
st.title("Which image patches excite a unit?")
st.write(
    "Zeiler & Fergus (2014), Figure 2: for each unit, the nine photos of an image set where it fires hardest, "
    "cropped to what the unit can see (right), and that activation projected back to pixels (left)."
)
layers = {f"{layer.name} ({layer.tier}, {layer.channels} units)": layer for layer in model.layers}
label = st.selectbox("Layer", list(layers), index=min(3, len(layers) - 1), key="deconv_layer", bind="query-params")
layer = layers[label]
left, middle, right = st.columns(3)
first = left.number_input("First unit", 0, layer.channels - 1, 0, key="deconv_first")
count = middle.slider("Units", 1, 9, 3, key="deconv_count")
method = right.radio(
    "Projection",
    METHODS,
    index=METHODS.index("guided"),
    horizontal=True,
    key="deconv_method",
    help="deconvnet is the paper's rule. Without max-pooling (EfficientNet, ResNet's later layers) its result "
    "hardly depends on the photo; guided backprop also keeps the forward mask and shows what in the photo "
    "drove the unit.",
)
units = list(range(int(first), min(int(first) + count, layer.channels)))
smooth = st.toggle(
    f"Average over {SMOOTH_SAMPLES} noisy copies (SmoothGrad)", key="deconv_smooth",
    help="Each projection is averaged over copies of the photo with a little noise added: the speckle of a "
    "single projection cancels and the edges of the patch remain (slower).",
)
samples = SMOOTH_SAMPLES if smooth else 0
extent_column, display_column = st.columns(2)
extent = extent_column.radio(
    "Send down", EXTENTS, index=EXTENTS.index("field"), horizontal=True, key="deconv_extent",
    help=" ".join(f"{name}: {note}." for name, note in EXTENT_NOTE.items()),
)
display = display_column.radio(
    "Show the projection as", DISPLAYS, horizontal=True, key="deconv_display",
    help=" ".join(f"{name}: {note}" for name, note in DISPLAY_NOTE.items()),
)

note = projection_note(model, layer.name, method)
(st.success if note.startswith("exact") else st.warning)(f"{method} projection through {layer.name}: {note}")
index, index_note = current_index(model, layer.name)
if index_note:
    st.info(index_note)
st.caption(f"Image set: the dataset {index.describe()}." if index is not None else
           "Image set: the bundled gallery, searched live (choose a dataset index in the sidebar for a larger one).")


def top9(progress):
    """The sweep (or the index), the projections and the figure: one job, shared by every session asking."""
    if index is not None:
        found = index.top_examples(layer.name)
    else:
        found = viz.top_examples(model, None, layer.name, k=9, per_image=True, progress=progress)
    panels = [unit_panel(model, found, unit, method, samples=samples, display=display, extent=extent)
              for unit in units]
    figure = figure2(model, found, units, method, panels=panels, samples=samples, display=display, extent=extent)
    return found, panels, figure_bytes(figure)


parts = {"page": "top9", **model_parts(model), "layer": layer.name, "units": units, "method": method,
         "samples": samples, "display": display, "extent": extent, **index_parts(index)}
result = shared_result("Searching the gallery and projecting", parts, top9)
if result is not None:
    found, panels, png = result
    if found.skipped:
        st.info(found.skipped_message())
    st.image(png, width="stretch")
    st.caption(f"Left of each unit: sent down, {EXTENT_NOTE[extent]}. {DISPLAY_NOTE[display]}")
    download_buttons(
        lambda: figure2(model, found, units, method, panels=panels, samples=samples, display=display, extent=extent),
        f"{model.name}-{layer.name}-{method}{'-smoothgrad' if samples else ''}", "deconv",
    )
