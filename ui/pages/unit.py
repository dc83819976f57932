"""A unit's evidence card: its pictures, its top-9 dataset examples, its map on the photo, its statistics.

Each part is one shared job keyed by what decides it, so changing the photo recomputes only the map on it.
"""

import streamlit as st

import viz
from ui.common import (UPLOAD_TYPES, check_param, choose_image, choose_layer, current_model, current_quality,
                       model_parts, photo_parts, shared_result, view_params)
from viz.core.images import to_pil
from viz.views import unit_card
from viz.zf.figures import unit_panel


def fraction(progress):
    """unit_card reports a fraction in [0, 1]; a shared job's progress is (done, total)."""
    return lambda done: progress(round(1000 * done), 1000)


model = current_model()
quality = current_quality()
st.title("One unit, all the evidence")
layer = choose_layer(model, default=unit_card.default_layer(model))
check_param("unit", range(layer.channels))
channel = int(st.number_input("Unit", 0, layer.channels - 1, 0, key="unit", bind="query-params"))
card = {"page": "unit", **model_parts(model), "layer": layer.name, "unit": channel}
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
    seen = shared_result("Mapping the unit on the photo", {**card, **photo_parts(model, image)},
                         lambda progress: unit_card.on_photo(model, image, layer.name, channel))
    if seen is not None:
        st.image([to_pil(seen.photo), to_pil(seen.heat), to_pil(seen.projection)], width=260,
                 caption=[name, f"activation map (max {seen.peak:.3g}), field outlined",
                          "guided projection of its strongest activation, in its field"])

st.subheader("What it wants to see")
pictures = shared_result("Rendering", {**card, "pictures": quality},
                         lambda progress: unit_card.pictures(model, layer.name, channel, quality, fraction(progress)))
if pictures is not None:
    st.image([to_pil(p) for p in pictures.values()], caption=list(pictures), width=260)
if st.toggle("Also: a diversity set of 4, and three methods side by side (slower)", key="unit_more"):
    more = shared_result("Rendering", {**card, "more pictures": quality},
                         lambda progress: unit_card.more_pictures(model, layer.name, channel, quality,
                                                                  fraction(progress)))
    if more is not None:
        st.image([to_pil(p) for p in more.diversity], width=160,
                 caption=[f"diverse {i + 1}" for i in range(len(more.diversity))])
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


def evidence(progress):
    """The unit's top-9 panel and its statistics over the image set: one job per (unit, set)."""
    found = viz.top_examples(model, images, layer.name, k=9, per_image=True, progress=progress)
    panel = unit_panel(model, found, channel, "guided", images if not isinstance(images, str) else None)
    return found.skipped_message(), panel, unit_card.statistics(model, images, layer.name, channel)


try:
    found = shared_result("Searching the image set", {**card, "set": unit_card.set_key(images)}, evidence)
    if found is not None:
        skipped, panel, statistics = found
        if skipped:
            st.info(skipped)
        st.image(to_pil(panel), caption="top-9: guided projections (left) beside the image patches (right)",
                 width=640)
        st.table(statistics)
except ValueError as exc:  # not a folder (set_key); the job's own UserErrors are shown by shared_result
    st.error(str(exc))
