"""Image page: what the network says about one photo, and what a layer does with it."""

import streamlit as st

import viz
from ui.common import choose_image, choose_layer, current_model, download_buttons, view_params
from viz.views import image_view
from viz.core.images import to_pil
from viz.zf.figures import occlusion_figure

model = current_model()
st.title("One photo through the network")
image, name = choose_image("image_page")
if image is not None:
    batch = viz.to_batch([image], model.input_size)
    left, right = st.columns([1, 1])
    left.image(to_pil(batch[0]), caption=f"{name} as the network sees it", width=320)
    predictions = viz.classify(model, batch, top=5)[0]
    right.subheader("The network says")
    right.table({"class": [label for label, _ in predictions], "probability": [f"{p:.3f}" for _, p in predictions]})

    st.subheader("Feature maps of a layer, strongest first")
    maps_layers = [layer for layer in model.layers if layer.name != model.layers[-1].name]
    layer = choose_layer(model, default=maps_layers[len(maps_layers) // 2].name)
    try:
        channels, maps = image_view.strongest_maps(model, image, layer.name, count=16)
    except ValueError as exc:
        st.error(str(exc))
    else:
        st.image([to_pil(m) for m in maps], caption=[f"unit {c}" for c in channels], width=120)
        st.caption("Each map on one shared colour scale (black = silent). Open a unit:")
        for column, c in zip(st.columns(8), channels[:8]):
            column.page_link("ui/pages/unit.py", label=f"unit {c}", query_params=view_params(layer=layer.name, unit=c))
        st.subheader("What in the photo drove the strongest units")
        strongest = channels[:4]
        for method in ("guided", "deconvnet"):
            pictures = image_view.projections(model, image, layer.name, strongest, method)
            st.image([to_pil(p) for p in pictures], caption=[f"{method} · unit {c}" for c in strongest], width=170)

    st.subheader("Which part of the photo matters (occlusion)")
    bar = st.progress(0.0, text="Sliding a grey square…")
    maps = viz.occlusion(model, batch[0], window=model.input_size // 4, stride=model.input_size // 8,
                         progress=lambda done, total: bar.progress(done / total))
    bar.empty()
    st.pyplot(occlusion_figure(model, batch[0], maps))
    download_buttons(lambda: occlusion_figure(model, batch[0], maps), f"{model.name}-occlusion-{name}", "image_occ")
