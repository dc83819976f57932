"""Landing page: the Deep Learning book's Figure 1.2, live, for any photo (computation in viz.hierarchy).

Cheap parts first (the photo, the classes, the chosen units with their projections and maps), then each
tier's renders fill in as they finish, the low tiers (fastest) first, then each unit's name in words, best
probe stimulus and top photo patches (viz.views.evidence: a probe and top-k sweeps, cached). A layer the
sidebar's dataset index covers takes its patches from the index, the others from the gallery; captions say which.
"""

import time

import streamlit as st

from ui.common import (
    as_markdown,
    built_from,
    choose_image,
    covering_index,
    current_model,
    current_quality,
    download_buttons,
    index_parts,
    patches_caption,
    photo_parts,
    shared_result,
    unit_href,
    view_params,
)
from viz.core.images import fit_square, to_pil
from viz.views import evidence, figures, hierarchy
from viz.zf.display import DISPLAY_NOTE
from viz.zf.projection import EXTENT_NOTE

# On a session's first run a new browser is still loading the page's scripts when the photo arrives; if the rest
# of the page follows at once (from a warm cache the server sends it within 0.3 s), the browser builds every
# element before it paints the photo. Holding the rest back until this long after the photo shows the photo
# 1 s sooner on the 2-core CPU, the classes and renders about as before; a computation that takes this long anyway
# costs nothing extra (README, "Speed of the landing").
PHOTO_HEAD_START_S = 0.8


def image_sets(named: dict) -> str:
    """Which image set each layer's patches come from, in words (`Evidence.image_set`)."""
    layers_of = evidence.by_image_set(named)
    if len(layers_of) == 1:
        return f"in {next(iter(layers_of))}"
    return "; ".join(f"for {', '.join(f'`{layer}`' for layer in layers)}: {where}" for where, layers in layers_of.items())


model = current_model()
quality = current_quality()
untrained = model.untrained
st.title("What does each layer of a CNN see?")
st.write(
    "The Deep Learning book's Figure 1.2, for your photo: the network's first hidden layer finds edges, the next "
    "corners and contours, the next object parts, and the output names the object. For each tier, the three "
    "units that contribute most to the predicted class: what the unit wants to see (rendered at the scale of its "
    "receptive field), the stimulus that drives it most and the patches of real photos that drive it most "
    "(its name in words is what that stimulus is), what in this photo drove it, and where on the photo it fires."
    + (" **This is the untrained network**: random weights, no hierarchy, noise at every tier." if untrained else "")
)
image, name = choose_image("layers")
by = st.radio("Choose units by", hierarchy.CHOOSE_BY, horizontal=True, key="layers_by",
              help="contribution: gradient x activation towards the predicted class (what the prediction leans "
              "on); activation: the unit's mean activation on the photo")
if image is not None:
    columns = st.columns([2.2] + [3] * len(hierarchy.HIDDEN_TIERS) + [2], gap="medium")
    columns[0].subheader("Visible layer")  # the photo first: it needs no computation
    columns[0].image(to_pil(fit_square(image, model.input_size)), caption=f"{name} (input pixels)", width="stretch")
    rest_after = time.monotonic() + (0 if st.session_state.get("layers_shown") else PHOTO_HEAD_START_S)
    st.session_state.layers_shown = True
    photo = {"page": "layers", **photo_parts(model, image), "by": by}
    found = shared_result("Choosing the units", photo, lambda progress: hierarchy.choose_units(model, image, by=by))
    if found is None:  # the error is shown
        st.stop()
    views = shared_result("Projecting the units", {**photo, "views": "guided"},
                          lambda progress: hierarchy.unit_views(model, found))
    if views is None:
        st.stop()
    time.sleep(max(0.0, rest_after - time.monotonic()))
    columns[-1].subheader("Output")
    columns[-1].table({"class": [label for label, _ in found.predictions],
                       "p": [f"{p:.2f}" for _, p in found.predictions]})
    slots, named_slots, inputs_slots, accent_slots = {}, {}, {}, {}
    for column, (tier, units) in zip(columns[1:-1], found.units.items()):
        column.subheader(tier.capitalize())
        column.caption(f"{hierarchy.TIER_SENTENCES[tier]} Layer `{units[0].layer}`." if units else "",
                       help=f"In the photo: sent down, {EXTENT_NOTE['field']}. {DISPLAY_NOTE['magnitude']}")
        for unit in units:
            key = (unit.layer, unit.channel)
            words = column.empty()
            words.caption("naming the unit…")
            render_slot, probed, on_photo = column.columns([1.5, 1, 1], gap="small")  # the render largest
            slots[key] = render_slot.empty()
            slots[key].caption("rendering…")
            named_slots[key] = (words, probed.empty(), probed.empty())
            view = views[key]
            on_photo.image(to_pil(view.projection), caption="in the photo", width="stretch")
            on_photo.image(to_pil(view.heat), caption="where", width="stretch")
            column.page_link("ui/pages/unit.py", label=f"open {unit.layer} · unit {unit.channel}",
                             query_params=view_params(layer=unit.layer, unit=unit.channel))
            if tier != next(iter(found.units)):
                inputs_slots[(unit.layer, unit.channel)] = column.empty()
        if tier in hierarchy.ACCENT_TIERS:
            accent_slots[tier] = column.empty()
    renders = {}
    for number, tier in enumerate(found.units, 1):
        renders[tier] = shared_result(
            f"Rendering what the units want ({quality}): {tier}, tier {number} of {len(found.units)}",
            {**photo, "tier": tier, "quality": quality},
            lambda progress, tier=tier: hierarchy.tier_renders(model, found, tier, quality, progress=progress),
        )
        if renders[tier] is None:  # the error is shown
            st.stop()
        for unit, picture in zip(found.units[tier], renders[tier].images):
            slots[(unit.layer, unit.channel)].image(to_pil(picture), caption=unit.caption, width="stretch",
                                                    link=unit_href(unit.layer, unit.channel))
    index, note = covering_index(model, dict.fromkeys(layer for layer, _ in slots))
    if note:
        st.caption(note)
    named = shared_result("Naming the units (probe, top patches)", {**photo, "evidence": True, **index_parts(index)},
                          lambda progress: evidence.evidence(model, list(slots), index=index))
    if named is None:  # the error is shown
        st.stop()
    for key, (words, stimulus, patches) in named_slots.items():
        shown = named[key]
        words.markdown(f"**{as_markdown(shown.words)}**")
        if shown.stimulus is not None:
            stimulus.image(to_pil(shown.stimulus), caption="best stimulus", width="stretch")
        else:
            stimulus.caption("no probe stimulus drives it")
        if shown.patches is not None:
            patches.image(to_pil(shown.patches), caption=patches_caption(shown.image_set, index), width="stretch")
    circuits = shared_result("Finding what each unit is built from", {**photo, "circuits": True},
                             lambda progress: hierarchy.tier_circuits(model, found))
    inputs = None if circuits is None else shared_result(
        f"Rendering the inputs ({quality})", {**photo, "input pictures": quality},
        lambda progress: (hierarchy.input_pictures(model, circuits, quality),
                          evidence.unit_words(model, hierarchy.input_units(circuits))))
    if inputs is None:  # the error is shown
        st.stop()
    pictures, input_words = inputs
    for unit_key, found_circuit in circuits.items():
        built_from(inputs_slots[unit_key], found_circuit, pictures, input_words)
    for tier, slot in accent_slots.items():  # what each unit sees in the photo, exaggerated
        accents = shared_result(f"Accentuating the {tier} units in the photo", {**photo, "accents": tier,
                                "quality": quality}, lambda progress, tier=tier: hierarchy.tier_accents(
                                    model, found, tier, quality, progress=progress))
        if accents is not None:
            slot.image([to_pil(a.image) for a in accents], width=160, caption=[
                f"unit {unit.channel}, exaggerated in the photo: {a.before:.2g} → {a.after:.2g}"
                for unit, a in zip(found.units[tier], accents)])
    st.caption(
        f"Renders: {quality} quality, each unit's centre neuron optimized over its receptive field only, then "
        "enlarged. Best stimulus: of the probe's edges, gratings, colours, curves and corners, the one that drives "
        "the unit most, drawn sharp over its field. Top photo patches: its field in the photos where it fires "
        f"hardest, {image_sets(named)}. In the photo: guided backprop of the unit over its strongest neuron's "
        "field, cropped to it. "
        "Where: the unit's activation map over the photo, its field outlined. Built from: gradient x activation of "
        "the unit's strongest neuron with respect to the tier below, summed over each input's map (`viz.circuit`): "
        "the three inputs carrying most of its excitation on this photo, and the ones inhibiting it most.",
        help=evidence.ENLARGING_NOTE,
    )
    download_buttons(lambda: figures.hierarchy_figure(model, found, views, renders, named, circuits, pictures),
                     f"{model.name}-hierarchy-{name}", "layers")
