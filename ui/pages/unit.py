"""A unit's evidence card: its pictures, its top-9 dataset examples, its map on the photo, its statistics."""

import streamlit as st

import viz
from ui.common import (UPLOAD_TYPES, check_param, choose_image, choose_layer, current_model, current_quality,
                       unit_href, view_params)
from viz.views import unit_card
from viz.core.images import to_pil
from viz.zf.figures import unit_panel



def chain_row(links, layer_name: str, channel: int) -> None:
    """"Built from" (the tier below) and "feeds into" (the tier above): unit pictures with shares, each a link."""
    rows = []
    if links.built_from is not None:
        found = links.built_from
        inhibit = ", ".join(f"unit {c} ({100 * found.share(v):+.0f}%)" for c, v in found.inputs if v < 0)
        rows.append((f"Built from (`{found.source}`, share of this unit's excitation)",
                     [(found.source, c, found.share(v)) for c, v in found.inputs if v > 0],
                     f"Inhibited most by {inhibit}" if inhibit else ""))
    if links.target is not None:
        rows.append((f"Feeds into (`{links.target}`, share of that unit's excitation)",
                     [(links.target, t, share) for t, _, share in links.feeds_into], ""))
    for title, units, note in rows:
        st.markdown(f"**{title}**")
        if not units:
            st.caption("no unit there takes a positive share from this one on this photo")
        for cell, (source, c, share) in zip(st.columns(max(3, len(units))), units):
            cell.image(to_pil(links.pictures[(source, c)]), width=120, link=unit_href(source, c),
                       caption=f"unit {c} · {100 * share:.0f}%")
        if note:
            st.caption(note)
    if rows:
        st.caption(f"Gradient x activation of {layer_name} unit {channel}'s strongest neuron on the photo (and of "
                   "each unit above at its own strongest neuron), summed over the source map (`viz.circuit`).")


model = current_model()
quality = current_quality()
st.title("One unit, all the evidence")
layer = choose_layer(model, default=unit_card.default_layer(model))
check_param("unit", range(layer.channels))
channel = int(st.number_input("Unit", 0, layer.channels - 1, 0, key="unit", bind="query-params"))
st.write(f"**{layer.name} · unit {channel}** — tier **{layer.tier}**, one of {layer.channels} units of this layer.")
links = st.columns(3)
if channel > 0:
    links[0].page_link("ui/pages/unit.py", label=f"← unit {channel - 1}", query_params=view_params(layer=layer.name, unit=channel - 1))
if channel < layer.channels - 1:
    links[1].page_link("ui/pages/unit.py", label=f"unit {channel + 1} →", query_params=view_params(layer=layer.name, unit=channel + 1))
other = "default" if model.weights == "none" else "none"
links[2].page_link("ui/pages/unit.py", label=f"the same unit {'trained' if other == 'default' else 'untrained'}",
                   query_params={**view_params(layer=layer.name, unit=channel), "weights": other})

st.subheader("On your photo")
image, name = choose_image("unit")
if image is not None:
    seen = unit_card.on_photo(model, image, layer.name, channel)
    st.image([to_pil(seen.photo), to_pil(seen.heat), to_pil(seen.projection)], width=260,
             caption=[name, f"activation map (max {seen.peak:.3g}), field outlined",
                      "guided projection of its strongest activation, in its field"])
    chain_row(unit_card.connections(model, image, layer.name, channel, quality), layer.name, channel)

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
source = st.radio("Image set", ["bundled gallery", "a folder", "uploaded photos"], horizontal=True, key="unit_set")
images = None
if source == "a folder":
    images = st.text_input("Folder path on this machine (e.g. an ImageNet validation subset)", key="unit_folder") or None
elif source == "uploaded photos":
    files = st.file_uploader("Photos", type=UPLOAD_TYPES, accept_multiple_files=True, key="unit_files")
    images = unit_card.load_set([f.getvalue() for f in files]) if files else None
try:
    bar = st.progress(0.0, text="Searching the image set…")
    found = viz.top_examples(model, images, layer.name, k=9, per_image=True,
                             progress=lambda done, total: bar.progress(done / total))
    bar.empty()
    if found.skipped:
        st.info(found.skipped_message())
    panel = unit_panel(model, found, channel, "guided", images if not isinstance(images, str) else None)
    st.image(to_pil(panel), caption="top-9: guided projections (left) beside the image patches (right)", width=640)
    st.table(unit_card.statistics(model, images, layer.name, channel))
except ValueError as exc:  # an unreadable folder or photo (viz.ImageError and UserError are ValueErrors)
    st.error(str(exc))
