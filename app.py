"""The Streamlit app (thin UI): every picture comes from one call into `viz`.

For now a single page: load the embedded model and classify a sample photo or an upload.
"""

import streamlit as st

import models
import viz
from viz.images import gallery_dir, image_files


@st.cache_resource(show_spinner="Loading the model…")
def load_model(name: str, weights: str) -> models.LoadedModel:
    return models.load(name, weights=weights)


st.set_page_config(page_title="CNN feature visualization", layout="wide")
st.title("What does a CNN see?")
model = load_model("efficientnet_lite0", "default")
st.caption(f"Model: {model.name} · weights {model.weights_id} · device {model.device}")

samples = {p.name: p for p in image_files(gallery_dir())}
choice = st.selectbox("Sample photo", list(samples), index=list(samples).index("chelsea.png"))
upload = st.file_uploader("…or upload your own", type=["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"])
try:
    image = viz.load_image(upload.getvalue() if upload is not None else samples[choice])
except viz.ImageError as exc:
    st.error(str(exc))
    st.stop()

left, right = st.columns(2)
left.image(viz.images.to_pil(image), caption=upload.name if upload is not None else choice, width="stretch")
predictions = viz.classify(model, viz.to_batch([image], model.input_size), top=5)[0]
right.subheader("The network says")
right.table({"class": [label for label, _ in predictions], "probability": [f"{p:.3f}" for _, p in predictions]})
