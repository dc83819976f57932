"""Image page: what the network says about one photo, and what a layer does with it."""

import streamlit as st

import viz
from ui.frame import current_model, view_params
from ui.jobs import photo_parts, shared_result
from ui.pickers import choose_image, choose_layer
from ui.pictures import show, show_row
from ui.widgets import download_buttons
from viz.core.export import figure_bytes
from viz.views import image_view
from viz.zf.figures import occlusion_figure

PROJECTED = 4  # the strongest units whose activations are projected to pixels
METHODS = ("guided", "deconvnet")

model = current_model()
st.title("One photo through the network")
image, name = choose_image("image_page")
if image is not None:
    batch = viz.to_batch([image], model.input_size)
    photo = photo_parts(model, batch)  # what decides every result below
    left, right = st.columns([1, 1])
    show(left, batch[0], 320, caption=f"{name} as the network sees it")
    right.subheader("The network says")
    if model.labels is None:  # e.g. a models file's bare nn.Module: its outputs have no names
        right.caption(f"{model.name} has no class labels, so no classes to show (models.from_module(..., labels=...)).")
    else:
        predictions = viz.classify(model, batch, top=5)[0]  # one forward pass: cheap, not a shared job
        right.table({"class": [label for label, _ in predictions], "probability": [f"{p:.3f}" for _, p in predictions]})

    st.subheader("Feature maps of a layer, strongest first")
    maps_layers = [layer for layer in model.layers if layer.name != model.layers[-1].name]
    layer = choose_layer(model, default=maps_layers[len(maps_layers) // 2].name)

    def layer_view(progress):
        """The layer's strongest maps and the projections of its strongest units: one job per (photo, layer)."""
        channels, maps = image_view.strongest_maps(model, batch[0], layer.name, count=16)
        strongest = channels[:PROJECTED]
        return channels, maps, {m: image_view.projections(model, batch[0], layer.name, strongest, m) for m in METHODS}

    shown = shared_result(f"Reading {layer.name}", {"page": "image-layer", **photo, "layer": layer.name}, layer_view)
    if shown is not None:
        channels, maps, projected = shown
        show_row(st, maps, 120, sharp=True, caption=[f"unit {c}" for c in channels])
        st.caption("Each map on one shared colour scale (black = silent). Open a unit:")
        for column, c in zip(st.columns(8), channels[:8]):
            column.page_link("ui/pages/unit.py", label=f"unit {c}", query_params=view_params(layer=layer.name, unit=c))
        st.subheader("What in the photo drove the strongest units")
        for method, pictures in projected.items():
            show_row(st, pictures, 170, caption=[f"{method} · unit {c}" for c in channels[:PROJECTED]])

    st.subheader("Which part of the photo matters (occlusion)")
    window, stride = model.input_size // 4, model.input_size // 8

    def occlude(progress):
        """The maps and their figure: one job per photo (the layer above does not change them)."""
        maps = viz.occlusion(model, batch[0], window=window, stride=stride, progress=progress)
        return maps, figure_bytes(occlusion_figure(model, batch[0], maps))

    occluded = shared_result("Sliding a grey square", {"page": "image-occlusion", **photo, "window": window,
                                                       "stride": stride}, occlude)
    if occluded is not None:
        maps, png = occluded
        st.image(png, width="stretch")
        download_buttons(lambda: occlusion_figure(model, batch[0], maps), f"{model.name}-occlusion-{name}", "image_occ")
