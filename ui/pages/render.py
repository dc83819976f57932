"""Activation maximization page: pictures optimized to excite units of a layer, many units in one batch."""

import streamlit as st

import viz
from ui.frame import current_model
from ui.jobs import model_parts, shared_result
from ui.widgets import download_buttons
from viz.actmax import PRESETS
from viz.actmax.figures import render_figure
from viz.core.export import figure_bytes

model = current_model()
st.title("What does a unit want to see?")
st.write(
    "Each picture starts as noise and is changed, step by step, to excite one unit as strongly as possible, "
    "while being shifted, scaled and rotated a little so that it must work the way a photo would. Low layers "
    "want edges and colours, middle layers textures and parts, the top layers whole objects."
)
layers = {f"{layer.name} ({layer.tier}, {layer.channels} units)": layer for layer in model.layers}
layer = layers[st.selectbox("Layer", list(layers), index=len(layers) // 2, key="render_layer")]
with st.form("render_form"):
    left, middle, right = st.columns(3)
    first = left.number_input("First unit", 0, layer.channels - 1, 0, key="render_first")
    count = middle.slider("Units", 1, 16, 4, key="render_count")
    preset = right.selectbox("Preset", list(PRESETS), key="render_preset",
                             help="standard: Lucid's recipe, fast; lucid: Lucid's exactly; classic: Yosinski et al. 2015; "
                             "natural: MACO (phase only, a photo's spectrum), faded where the unit does not look")
    left, middle, right = st.columns(3)
    size = left.select_slider("Size (px)", [64, 96, 128, 160, 224], value=128, key="render_size")
    steps = middle.select_slider("Steps", [32, 64, 128, 256, 512, 1024], value=256, key="render_steps")
    seed = right.number_input("Seed", 0, 2**31 - 1, 0, key="render_seed")
    if st.form_submit_button("Render", type="primary"):
        channels = list(range(int(first), min(int(first) + count, layer.channels)))
        st.session_state.render_request = (model.name, model.weights, layer.name, channels, preset, size, steps, int(seed))

request = st.session_state.get("render_request")
if request is not None and request[:3] == (model.name, model.weights, layer.name):
    _, _, layer_name, channels, preset, size, steps, seed = request

    def render(progress):
        """The pictures and their figure: one job, shared by every session asking the same."""
        rendering = viz.render(model, [(layer_name, c) for c in channels], preset=preset, size=size, steps=steps,
                               seed=seed, progress=progress)
        return rendering, figure_bytes(render_figure(model, rendering, [layer_name] * len(channels)))

    parts = {"page": "render", **model_parts(model), "layer": layer_name, "channels": channels, "preset": preset,
             "size": size, "steps": steps, "seed": seed}
    result = shared_result(f"Rendering {len(channels)} units", parts, render)
    if result is not None:
        rendering, png = result
        st.image(png, width="stretch")
        download_buttons(
            lambda: render_figure(model, rendering, [layer_name] * len(channels)),
            f"{model.name}-{layer_name}-{channels[0]}-{channels[-1]}", "render",
        )
