"""Optimization: batch normalization, how much one SGD step moves the next layer's input (Ioffe & Szegedy 2015)."""

import dataclasses

import streamlit as st

from ui.jobs import shared_result
from ui.optim_widgets import show, training_controls
from viz.optim.batchnorm import batchnorm_study
from viz.optim.figures import batchnorm_figure

st.title("Batch normalization")
st.write(
    "Every SGD step changes the lower layers, so the distribution a higher layer receives moves under its "
    "feet. Here the same digits CNN, with and without batch norm, takes one SGD step; the histograms show one "
    "hidden channel's pre-activations on the validation digits before and after it. Without batch norm the "
    "distribution shifts; with it each channel is renormalized over the batch to mean 0 and variance 1 (before "
    "a learned scale and shift), so the next layer sees nearly the same distribution. Below, both networks' "
    "training curves."
)
with st.form("bn_form"):
    left, middle, right = st.columns(3)
    layer = left.radio("Hidden layer", [1, 2], index=1, horizontal=True, key="bn_layer")
    step_lr = middle.select_slider("Learning rate of the one step", [0.05, 0.1, 0.2, 0.5, 1.0, 2.0], 0.5,
                                   key="bn_step_lr",
                                   help="0.5: training's 0.05 with momentum 0.9 moves about this far per step")
    at_epoch = right.number_input("Step from epoch (0 = initialization)", 0, 100, 0, key="bn_at")
    settings = training_controls("bn")
    if st.form_submit_button("Train both networks", type="primary"):
        st.session_state.bn_request = (settings, layer, step_lr, int(at_epoch))

request = st.session_state.get("bn_request")
if request is not None:
    settings, layer, step_lr, at_epoch = request

    parts = {"page": "batchnorm", "settings": dataclasses.asdict(settings), "layer": layer, "step_lr": step_lr,
             "at_epoch": at_epoch}
    study = shared_result("Training with and without batch norm", parts,
                          lambda progress: batchnorm_study(settings, layer, step_lr, at_epoch, progress=progress))
    if study is not None:
        show(lambda: batchnorm_figure(study), "digits-batchnorm", "bn")
