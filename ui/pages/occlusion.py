"""Occlusion page (Zeiler & Fergus, Figure 7): where does a grey square hurt the prediction?"""

import streamlit as st

import viz
from ui.frame import current_model
from ui.jobs import photo_parts, shared_result
from ui.pickers import choose_image
from ui.widgets import download_buttons
from viz.core.export import figure_bytes
from viz.zf.figures import occlusion_figure

model = current_model()
st.title("Which part of the photo matters?")
st.write(
    "A grey square slides over the photo. Where it covers what the network relies on, the probability of "
    "the class it saw drops (dark), and so does the activation of a unit that detects that part."
)
image, name = choose_image("occlusion")
if image is not None:
    image = viz.to_batch([image], model.input_size)[0]
    classes = len(model.labels or [])  # the class outputs are mapped already, as the probability
    layers = {f"{layer.name} ({layer.tier})": layer.name for layer in model.layers if layer.channels != classes}
    left, middle, right = st.columns(3)
    step = max(1, model.input_size // 56)  # 4 px at 224, 1 px for a 32-px CIFAR network
    window = left.slider("Square (px)", 2 * step, model.input_size // 2, model.input_size // 4, step=step,
                         key="occ_window")
    stride = middle.slider("Step (px)", step, window, max(step, window // 2), step=step, key="occ_stride")
    layer = layers[right.selectbox("Also map a unit of", list(layers), index=len(layers) - 2, key="occ_layer")]

    def occlude(progress):
        """The maps and their figure: one job, shared by every session asking the same."""
        maps = viz.occlusion(model, image, window=window, stride=stride, layer=layer, progress=progress)
        return maps, figure_bytes(occlusion_figure(model, image, maps))

    parts = {"page": "occlusion", **photo_parts(model, image), "window": window, "stride": stride, "layer": layer}
    result = shared_result("Sliding the square", parts, occlude)
    if result is not None:
        maps, png = result
        if maps.probability is not None:
            label = model.labels[maps.target] if model.labels else maps.target
            st.write(
                f"**{label}**: {maps.clean_probability:.2f} on the whole photo, as low as "
                f"{maps.worst_probability():.2f} with the square in the worst place."
            )
        st.image(png, width="stretch")
        download_buttons(lambda: occlusion_figure(model, image, maps), f"{model.name}-occlusion-{name}", "occlusion")
