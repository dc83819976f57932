"""A unit's evidence card: its pictures, its top-9 dataset examples, its map on the photo, its statistics.

Each part is one shared job keyed by what decides it, so changing the photo recomputes only the map on it.
"""

import streamlit as st

import viz
from ui.frame import check_param, current_model, current_quality, unit_href, view_params
from ui.image_sets import choose_image_set
from ui.indexes import current_index, index_panel
from ui.jobs import model_parts, photo_parts, shared_result
from ui.pickers import choose_image, choose_layer
from ui.pictures import show, show_row
from ui.widgets import as_markdown
from viz.views import unit_card
from viz.probing.tiers import default_layer
from viz.zf.figures import unit_panel


def fraction(progress):
    """unit_card reports a fraction in [0, 1]; a shared job's progress is (done, total)."""
    return lambda done: progress(round(1000 * done), 1000)


def over_the_set(images):
    """The job over an image set: the unit's top-9 panel, its enlarged top patches and its statistics."""
    def compute(progress):
        found = viz.top_examples(model, images, layer.name, k=9, per_image=True, progress=progress)
        panel = unit_panel(model, found, channel, "guided", None if isinstance(images, list) else images)
        patches = unit_card.set_patches(model, found, channel, images)
        return found.skipped_message(), panel, patches, unit_card.statistics(model, images, layer.name, channel)
    return compute


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
            show(cell, links.pictures[(source, c)], 120, link=unit_href(source, c),
                 caption=f"unit {c} · {100 * share:.0f}%")
        if note:
            st.caption(note)
    if rows:
        st.caption(f"Gradient x activation of {layer_name} unit {channel}'s strongest neuron on the photo (and of "
                   "each unit above at its own strongest neuron), summed over the source map (`viz.circuit`).")


model = current_model()
quality = current_quality()
st.title("One unit, all the evidence")
layer = choose_layer(model, default=default_layer(model))
check_param("unit", range(layer.channels))
channel = int(st.number_input("Unit", 0, layer.channels - 1, 0, key="unit", bind="query-params"))
card = {"page": "unit", **model_parts(model), "layer": layer.name, "unit": channel}
st.write(f"**{layer.name} · unit {channel}** — tier **{layer.tier}**, one of {layer.channels} units of this layer.")
links = st.columns(3)
if channel > 0:
    links[0].page_link("ui/pages/unit.py", label=f"← unit {channel - 1}", query_params=view_params(layer=layer.name, unit=channel - 1))
if channel < layer.channels - 1:
    links[1].page_link("ui/pages/unit.py", label=f"unit {channel + 1} →", query_params=view_params(layer=layer.name, unit=channel + 1))
other = "default" if model.untrained else "none"
links[2].page_link("ui/pages/unit.py", label=f"the same unit {'trained' if other == 'default' else 'untrained'}",
                   query_params={**view_params(layer=layer.name, unit=channel), "weights": other})

name_slot = st.empty()  # filled after the photo: the probe and the gallery sweep take longer than the map
name_slot.caption("naming the unit (probe, top patches)…")

st.subheader("On your photo")
image, name = choose_image("unit")
if image is not None:
    seen = shared_result("Mapping the unit on the photo", {**card, **photo_parts(model, image)},
                         lambda progress: unit_card.on_photo(model, image, layer.name, channel))
    if seen is not None:
        show_row(st, [seen.photo, seen.heat, seen.projection], 260,
                 caption=[name, f"activation map (max {seen.peak:.3g}), field outlined",
                          "guided projection of its strongest activation, in its field"])

named = shared_result("Naming the unit (probe, top patches)", {**card, "named": "gallery"},
                      lambda progress: unit_card.named(model, layer.name, channel))
if named is not None:
    with name_slot.container():
        st.markdown(f"Named by its evidence: **{as_markdown(named.words)}**")
        if named.stimulus is not None:
            show(st, named.stimulus, 160, sharp=True,
                 caption=f"its best probe stimulus, drawn sharp over its {named.field[0]}x{named.field[1]}-px "
                             "field" + ("" if named.explained else ": too weak to name the unit"))

if image is not None:
    shown = shared_result("Accentuating the unit in the photo", {**card, **photo_parts(model, image), "accent": quality},
                          lambda progress: unit_card.accentuated(model, image, layer.name, channel, quality,
                                                                 fraction(progress)))
    if shown is not None:
        st.markdown("**What it sees in your photo, exaggerated** (feature accentuation, Hamblin et al. 2024)")
        show_row(st, [shown.photo, shown.image], 260,
                 caption=[f"the photo: unit's mean activation {shown.before:.3g}",
                          f"accentuated: {shown.after:.3g}; still the photo (closeness {shown.closeness:.2f})"])
        st.caption("The photo was changed to raise this unit while the network's first layer still sees the "
                   "same edges; what grew is what the unit responds to. Closeness: correlation of grey levels "
                   "with the photo (1: the same picture).")
    links = shared_result("Finding what it is built from and feeds into",
                          {**card, **photo_parts(model, image), "connections": quality},
                          lambda progress: unit_card.connections(model, image, layer.name, channel, quality))
    if links is not None:
        chain_row(links, layer.name, channel)

st.subheader("What it wants to see")
pictures = shared_result("Rendering", {**card, "pictures": quality},
                         lambda progress: unit_card.unit_renders(model, layer.name, channel, quality, fraction(progress)))
if pictures is not None:
    show_row(st, pictures.values(), 260, caption=list(pictures))
if st.toggle("Also: a diversity set of 4, and three methods side by side (slower)", key="unit_more"):
    more = shared_result("Rendering", {**card, "more pictures": quality},
                         lambda progress: unit_card.more_pictures(model, layer.name, channel, quality,
                                                                  fraction(progress)))
    if more is not None:
        show_row(st, more.diversity, 160, caption=[f"diverse {i + 1}" for i in range(len(more.diversity))])
        show_row(st, more.methods.values(), 200, caption=list(more.methods))
        st.caption(unit_card.METHODS_NOTE)

st.subheader("Where it fires in an image set (Zeiler & Fergus, Figure 2)")
index, note = current_index(model, layer.name)
if note:
    st.info(note)
if index is not None:
    st.caption(f"Image set: the dataset {index.describe()}. Choose another in the sidebar.")
    try:
        show(st, index_panel(index, model, layer.name, channel), 640,
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
        found = shared_result("Searching the image set", {**card, "set": unit_card.set_key(images)},
                              over_the_set(images))
        if found is not None:
            skipped, panel, patches, statistics = found
            if skipped:
                st.info(skipped)
            show(st, panel, 640, caption="top-9: guided projections (left) beside the image patches (right)")
            if patches is not None:
                show(st, patches, 320, caption="its top patches enlarged")
            st.table(statistics)
    except ValueError as exc:  # a refused folder, an unreadable photo (viz.ImageError and UserError are ValueErrors)
        st.error(str(exc))
