"""Optimization: Net2Net, growing a trained network without changing its function (Chen, Goodfellow & Shlens 2016)."""

import dataclasses

import streamlit as st

from ui.jobs import shared_result
from ui.optim_widgets import show
from viz.optim.figures import net2net_figure, steps_to_target
from viz.optim.net2net import Net2NetSettings, net2net_study

DEFAULTS = Net2NetSettings()

st.title("Net2Net: grow a trained network")
st.write(
    "A narrow digits CNN (4 and 8 channels) is trained briefly. Net2WiderNet doubles its channels: each new "
    "channel copies an old one, and the next layer's weights from the copies share the original's, so the "
    "wider network computes the same function. Net2DeeperNet inserts a convolution initialized to the identity "
    "(after a ReLU, ReLU(x) = x), again the same function. The grown students start where the teacher ended "
    "and reach a chosen validation accuracy in far fewer steps than the same networks trained from scratch."
)
with st.form("n2n_form"):
    left, middle, right = st.columns(3)
    seeds = left.slider("Seeds", 1, 5, len(DEFAULTS.seeds), key="n2n_seeds")
    epochs = middle.number_input("Epochs after growing", 1, 30, DEFAULTS.epochs, key="n2n_epochs")
    target = right.select_slider("Target validation accuracy", [0.9, 0.93, 0.95, 0.96, 0.97, 0.98], 0.95,
                                 key="n2n_target")
    if st.form_submit_button("Grow and train", type="primary"):
        st.session_state.n2n_request = (dataclasses.replace(DEFAULTS, seeds=tuple(range(seeds)), epochs=int(epochs)),
                                        target)

request = st.session_state.get("n2n_request")
if request is not None:
    settings, target = request

    study = shared_result("Training the teacher, the students and the networks from scratch",
                          {"page": "net2net", "settings": dataclasses.asdict(settings)},
                          lambda progress: net2net_study(settings, progress=progress))
    if study is not None:
        for kind in ("wider", "deeper"):
            st.markdown(
                f"**Net2{kind.capitalize()}Net**: outputs differ from the teacher's by at most "
                f"{study.function_gap[kind]['logits']:.1e}; steps to {target:.0%}: Net2Net "
                f"{steps_to_target(study.student[kind], target)}, "
                f"from scratch {steps_to_target(study.scratch[kind], target)}"
            )
        show(lambda: net2net_figure(study, target), "digits-net2net", "n2n")
