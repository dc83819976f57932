"""Start page: what the network says about a photo."""

import streamlit as st

import viz
from ui.common import choose_image, choose_model
from viz.images import to_pil

model = choose_model()
st.title("What does a CNN see?")
st.write(
    "Pick a photo and see what the network names it; the other pages show what its units detect, "
    "from edges in the first layer up to whole objects."
)
image, name = choose_image("classify")
if image is not None:
    left, right = st.columns(2)
    left.image(to_pil(image), caption=name, width="stretch")
    predictions = viz.classify(model, viz.to_batch([image], model.input_size), top=5)[0]
    right.subheader("The network says")
    right.table({"class": [label for label, _ in predictions], "probability": [f"{p:.3f}" for _, p in predictions]})
