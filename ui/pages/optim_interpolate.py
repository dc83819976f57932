"""Optimization: the loss along the straight line between two checkpoints (Goodfellow, Vinyals & Saxe 2015)."""

import dataclasses

import streamlit as st

from ui.jobs import shared_result
from ui.optim_widgets import show, training_controls
from viz.optim.figures import interpolation_figure
from viz.optim.interpolation import digits_line
from viz.optim.training import train

st.title("Loss along a line")
st.write(
    "A small CNN learns scikit-learn's 8x8 digits. Take its parameters at two moments of training, θ_a and θ_b, "
    "and walk the straight line between them: J((1-α)·θ_a + α·θ_b), α from -0.5 to 1.5. Goodfellow, Vinyals & "
    "Saxe (2015) found that for real networks this line usually falls smoothly from the initialization to the "
    "solution, with no wall of local minima in between: training found a minimum that is good enough."
)
with st.form("interp_form"):
    left, middle, right = st.columns(3)
    epoch_a = left.number_input("θ_a: checkpoint epoch (0 = initialization)", 0, 100, 0, key="interp_from")
    epoch_b = middle.number_input("θ_b: checkpoint epoch (0 = the last)", 0, 100, 0, key="interp_to")
    batch_norm = right.checkbox("With batch norm", key="interp_bn")
    settings = training_controls("interp", batch_norm)
    if st.form_submit_button("Train and draw the line", type="primary"):
        st.session_state.interp_request = (settings, int(epoch_a), int(epoch_b) or None)

request = st.session_state.get("interp_request")
if request is not None:
    settings, epoch_a, epoch_b = request

    def compute(progress):
        run = train(settings, keep_epochs=[epoch_a] + ([epoch_b] if epoch_b else []), progress=progress)
        return digits_line(run, epoch_a, epoch_b, progress=progress)

    parts = {"page": "loss-line", "settings": dataclasses.asdict(settings), "from": epoch_a, "to": epoch_b}
    line = shared_result("Training the digits CNN, then walking the line", parts, compute)
    if line is not None:
        show(lambda: interpolation_figure(line), "digits-loss-line", "interp")
