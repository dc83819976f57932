"""Invariance page (Zeiler & Fergus, Figure 5): how far a low and a high layer move as a photo is transformed."""

import streamlit as st

import viz
from ui.frame import current_model
from ui.jobs import photo_parts, shared_result
from ui.pickers import choose_image
from ui.widgets import download_buttons
from viz.zf.figures import invariance_layers, invariance_figure
from viz.zf.invariance_curves import DEFAULT_AMOUNTS, KINDS

model = current_model()
st.title("What stays the same when the photo moves?")
st.write(
    "The photo is shifted, scaled or rotated step by step. A low layer's output changes a lot at once (its "
    "units see small patches that all move); a high layer's changes less, and the class holds until the "
    "object leaves the frame or turns too far."
)
image, name = choose_image("invariance")
if image is not None:
    kind = st.radio("Transformation", KINDS, index=2, horizontal=True, key="inv_kind")
    layers = {f"{layer.name} ({layer.tier})": layer.name for layer in model.layers}
    low, high = invariance_layers(model)
    names = list(layers)
    left, right = st.columns(2)
    low = layers[left.selectbox("Low layer", names, index=list(layers.values()).index(low), key="inv_low")]
    high = layers[right.selectbox("High layer", names, index=list(layers.values()).index(high), key="inv_high")]
    parts = {"page": "invariance", **photo_parts(model, image), "kind": kind, "layers": [low, high]}
    result = shared_result(f"Transforming the photo {len(DEFAULT_AMOUNTS[kind])} times", parts,
                           lambda progress: viz.invariance(model, image, kind, layers=[low, high]))
    if result is not None:
        label = model.labels[result.target] if model.labels else result.target
        least, most = result.probability_range()
        st.write(f"**{label}**: probability between {least:.2f} and {most:.2f} over the range.")
        stem = name.rsplit(".", 1)[0]
        st.pyplot(invariance_figure(model, [(stem, result)], [low, high]))
        download_buttons(lambda: invariance_figure(model, [(stem, result)], [low, high]),
                         f"{model.name}-invariance-{kind}-{stem}", "invariance")
