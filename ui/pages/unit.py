"""A unit's evidence card: its pictures, its top-9 dataset examples, its map on the photo, its statistics."""

import streamlit as st

import viz
from ui.common import (as_markdown, check_param, choose_image, choose_layer, current_index, current_model,
                       current_quality, index_panel, view_params)
from ui.image_sets import choose_image_set
from viz.views import unit_card
from viz.views.hierarchy import default_layer
from viz.core.images import to_pil
from viz.zf.figures import unit_panel

model = current_model()
quality = current_quality()
st.title("One unit, all the evidence")
layer = choose_layer(model, default=default_layer(model))
check_param("unit", range(layer.channels))
channel = int(st.number_input("Unit", 0, layer.channels - 1, 0, key="unit", bind="query-params"))
st.write(f"**{layer.name} · unit {channel}** — tier **{layer.tier}**, one of {layer.channels} units of this layer.")
links = st.columns(3)
if channel > 0:
    links[0].page_link("ui/pages/unit.py", label=f"← unit {channel - 1}", query_params=view_params(layer=layer.name, unit=channel - 1))
if channel < layer.channels - 1:
    links[1].page_link("ui/pages/unit.py", label=f"unit {channel + 1} →", query_params=view_params(layer=layer.name, unit=channel + 1))
other = "default" if model.untrained else "none"
links[2].page_link("ui/pages/unit.py", label=f"the same unit {'trained' if other == 'default' else 'untrained'}",
                   query_params={**view_params(layer=layer.name, unit=channel), "weights": other})

named = unit_card.named(model, layer.name, channel)
st.markdown(f"Named by its probe: **{as_markdown(named.words)}**")
if named.stimulus is not None:
    st.image(to_pil(named.stimulus), width=160,
             caption=f"its best probe stimulus, drawn sharp over its {named.field[0]}x{named.field[1]}-px field")

st.subheader("On your photo")
image, name = choose_image("unit")
if image is not None:
    seen = unit_card.on_photo(model, image, layer.name, channel)
    st.image([to_pil(seen.photo), to_pil(seen.heat), to_pil(seen.projection)], width=260,
             caption=[name, f"activation map (max {seen.peak:.3g}), field outlined",
                      "guided projection of its strongest activation, in its field"])

st.subheader("What it wants to see")
bar = st.progress(0.0, text="Rendering…")
pictures = unit_card.pictures(model, layer.name, channel, quality, progress=lambda f: bar.progress(f))
bar.empty()
st.image([to_pil(p) for p in pictures.values()], caption=list(pictures), width=260)
if st.toggle("Also: a diversity set of 4, and three methods side by side (slower)", key="unit_more"):
    bar = st.progress(0.0, text="Rendering…")
    more = unit_card.more_pictures(model, layer.name, channel, quality, progress=lambda f: bar.progress(f))
    bar.empty()
    st.image([to_pil(p) for p in more.diversity], caption=[f"diverse {i + 1}" for i in range(len(more.diversity))],
             width=160)
    st.image([to_pil(p) for p in more.methods.values()], caption=list(more.methods), width=200)
    st.caption(unit_card.METHODS_NOTE)

st.subheader("Where it fires in an image set (Zeiler & Fergus, Figure 2)")
index, note = current_index(model, layer.name)
if note:
    st.info(note)
if index is not None:
    st.caption(f"Image set: the dataset {index.describe()}. Choose another in the sidebar.")
    try:
        st.image(index_panel(index, model, layer.name, channel), width=640,
                 caption=f"top-{len(index.examples(layer.name, channel))} of {index.images:,} images: guided "
                         "projections (left) beside the patches (right)")
        stats = index.statistics(layer.name, channel)
        st.table(stats.table())
        st.bar_chart({"images": stats.histogram}, height=160, x_label="per-image maximum (bin)", y_label="images")
        st.caption(f"Per-image maxima from {stats.edges[0]:.3g} to {stats.edges[-1]:.3g} in {len(stats.histogram)} "
                   "equal bins.")
    except ValueError as exc:  # a moved image folder or a damaged index file
        st.error(str(exc))
else:
    try:
        images = choose_image_set("unit")
        bar = st.progress(0.0, text="Searching the image set…")
        found = viz.top_examples(model, images, layer.name, k=9, per_image=True,
                                 progress=lambda done, total: bar.progress(done / total))
        bar.empty()
        if found.skipped:
            st.info(found.skipped_message())
        panel = unit_panel(model, found, channel, "guided", None if isinstance(images, list) else images)
        st.image(to_pil(panel), caption="top-9: guided projections (left) beside the image patches (right)",
                 width=640)
        patches = unit_card.named(model, layer.name, channel, images).patches
        if patches is not None:
            st.image(to_pil(patches), width=320, caption=f"its top patches enlarged ({named.words})")
        st.table(unit_card.statistics(model, images, layer.name, channel))
    except ValueError as exc:  # a refused folder, an unreadable photo (viz.ImageError and UserError are ValueErrors)
        st.error(str(exc))
