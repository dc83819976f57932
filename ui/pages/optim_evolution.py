"""Optimization: features while training (Zeiler & Fergus 2014, Figure 4), on the digits CNN."""

import dataclasses

import streamlit as st

from ui.jobs import shared_result
from ui.optim_widgets import show, training_controls
from viz.views.evolution import DEFAULT_EPOCHS, digits_evolution
from viz.views.figures import evolution_figure

st.title("Features while training")
st.write(
    "Zeiler & Fergus watched their units during training: the low layers settle within a few epochs, the higher "
    "ones keep changing for much longer. Here, for the first units of each layer of the digits CNN, one row per "
    "checkpoint: the picture that excites the unit at the centre most (activation maximization, cropped to what "
    "the unit sees) and, right of it, the validation digits' patches that excite it most."
)
with st.form("evo_form"):
    left, right = st.columns(2)
    epochs = left.multiselect("Checkpoints (epochs)", [0, 1, 2, 3, 5, 10, 15, 20, 30, 50], list(DEFAULT_EPOCHS),
                              key="evo_checkpoints")
    units = right.slider("Units per layer", 1, 8, 4, key="evo_units")
    settings = training_controls("evo")
    if st.form_submit_button("Train and render", type="primary"):
        st.session_state.evo_request = (settings, tuple(epochs), units)

request = st.session_state.get("evo_request")
if request is not None:
    settings, epochs, units = request

    parts = {"page": "evolution", "settings": dataclasses.asdict(settings), "epochs": epochs, "units": units}
    found = shared_result("Training, then rendering each checkpoint", parts,
                          lambda progress: digits_evolution(settings, epochs, units, progress=progress))
    if found is not None:
        show(lambda: evolution_figure(found), "digits-evolution", "evo")
