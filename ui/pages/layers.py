"""Landing page: the Deep Learning book's Figure 1.2, live, for any photo (computation in viz.views.hierarchy).

Laid out for reading on a laptop and a projector: the tiers are rows, top to bottom (the photo, edges,
contours, parts, the class), each unit a card whose pictures are at least 160 CSS px wide at a 1280-px window
(tests/app/test_app_landing_layout.py measures them), and each tier's caption says why its layer is shown.
Cheap parts first: the photo, the classes (one forward pass; drawn in the last row), the chosen units with their
projections and maps (after the probe that picks the layers: one pass per network, cached), then each tier's
renders fill in as they finish, the low tiers (fastest) first, then each unit's name (viz.views.evidence: its
probe verdict with its support, or the classes of its images), best probe stimulus and top photo patches. A layer
the sidebar's dataset index covers takes its patches from the index, the others from the gallery; captions say
which, and a page whose examples come from the eight-photo gallery says that eight photos are few.
"""

import time

import streamlit as st

import viz

from ui.frame import current_model, current_quality, unit_href, view_params
from ui.indexes import covering_index, index_parts, patches_caption
from ui.jobs import photo_parts, shared_result
from ui.memo import per_object
from ui.pickers import choose_image
from ui.pictures import show
from ui.widgets import as_markdown, built_from, download_buttons
from viz.core.images import fit_square
from viz.views import evidence, figures, hierarchy, naming
from viz.zf.display import DISPLAY_NOTE
from viz.zf.projection import EXTENT_NOTE

# On a session's first run a new browser is still loading the page's scripts when the photo arrives; if the rest
# of the page follows at once (from a warm cache the server sends it within 0.3 s), the browser builds every
# element before it paints the photo. Holding the rest back until this long after the photo shows the photo
# 1 s sooner on the 2-core CPU, the classes and renders about as before; a computation that takes this long anyway
# costs nothing extra (README, "Speed of the landing").
PHOTO_HEAD_START_S = 0.8


# Captions wrap between words, never inside one ("stimul/us"); pictures of enlarged pixels keep their squares.
READING_CSS = """<style>
[data-testid="stMain"] [data-testid="stCaptionContainer"], [data-testid="stMain"] [data-testid="stImageCaption"]
{word-break: normal; overflow-wrap: normal; hyphens: manual;}
</style>"""
CARD_COLUMNS = 4  # render | best stimulus | top patches | the photo (what drove it, above where it fires)
CARD_PICTURE_PX = 190  # about a card column's CSS width (measured 181-187 px at 1280x800 and 1920x1080 at 150%)
PHOTO_PX = 300  # the photo's column, a third of the page
INPUT_PX = 120  # a "built from" input: one of CARD_COLUMNS + 1 cells under the card's three picture columns


def image_sets(named: dict) -> str:
    """Which image set each layer's patches come from, in words (`Evidence.image_set`)."""
    layers_of = evidence.by_image_set(named)
    if len(layers_of) == 1:
        return f"in {next(iter(layers_of))}"
    return "; ".join(f"for {', '.join(f'`{layer}`' for layer in layers)}: {where}" for where, layers in layers_of.items())


model = current_model()
quality = current_quality()
untrained = model.untrained
st.markdown(READING_CSS, unsafe_allow_html=True)
st.title("What does each layer of a CNN see?")
st.write(
    "The Deep Learning book's Figure 1.2, for your photo: the network's first hidden layer finds edges, the next "
    "corners and contours, the next object parts, and the output names the object. Read it top to bottom (the "
    "book draws it bottom-up): the photo, one row per tier, then the class. In each row, the three units that "
    "contribute most to the predicted class, each on a card: what the unit wants to see (rendered at the scale of "
    "its receptive field), the probe stimulus that drives it most, the patches of real photos that drive it most, "
    "what in this photo drove it and where on the photo it fires. Its name says how well the stimulus explains it."
    + (" **This is the untrained network**: random weights, no hierarchy, noise at every tier." if untrained else "")
)
image, name = choose_image("layers")
by = st.radio("Choose units by", hierarchy.CHOOSE_BY, horizontal=True, key="layers_by",
              help="contribution: gradient x activation towards the predicted class (what the prediction leans "
              "on); activation: the unit's mean activation on the photo")
if image is not None:
    st.subheader("Visible layer: the photo")  # the photo first: it needs no computation
    photo_cell, _ = st.columns([1, 2])
    fitted = per_object(image, ("fit", model.input_size), lambda: fit_square(image, model.input_size))
    show(photo_cell, fitted, PHOTO_PX, stretch=True, caption=f"{name} (input pixels)")
    rest_after = time.monotonic() + (0 if st.session_state.get("layers_shown") else PHOTO_HEAD_START_S)
    st.session_state.layers_shown = True
    photo = {"page": "layers", **photo_parts(model, image), "by": by}
    tiers_area, output = st.container(), st.container()  # the class goes below the tiers, but comes first: one pass
    classes = shared_result("Classifying the photo", {**photo_parts(model, image), "classes": 5},
                            lambda progress: viz.classify(model, viz.to_batch([image], model.input_size))[0])
    if classes is None:  # the error is shown
        st.stop()
    time.sleep(max(0.0, rest_after - time.monotonic()))
    output.subheader("Output: the class")
    output.table({"class": [label for label, _ in classes], "p": [f"{p:.2f}" for _, p in classes]})
    with tiers_area:
        found = shared_result("Choosing the units (the probe picks the layers)", photo,
                              lambda progress: hierarchy.choose_units(model, image, by=by))
        views = None if found is None else shared_result("Projecting the units", {**photo, "views": "guided"},
                                                         lambda progress: hierarchy.unit_views(model, found))
    if views is None:  # the error is shown
        st.stop()
    thin = tiers_area.empty()
    slots, named_slots, inputs_slots, accent_slots = {}, {}, {}, {}
    for number, (tier, units) in enumerate(found.units.items(), 1):
        tiers_area.subheader(f"Hidden layer {number}: {tier}")
        tiers_area.caption(f"{hierarchy.TIER_SENTENCES[tier]} Why this layer: {found.reasons[tier]}",
                           help=f"In the photo: sent down, {EXTENT_NOTE['field']}. {DISPLAY_NOTE['magnitude']}")
        for unit in units:
            key = (unit.layer, unit.channel)
            card = tiers_area.container(border=True)
            words = card.empty()
            words.caption("naming the unit…")
            left, photo_cell = card.columns([CARD_COLUMNS - 1, 1], gap="small")
            render_cell, stimulus_cell, patches_cell = left.columns(CARD_COLUMNS - 1, gap="small")
            slots[key] = render_cell.empty()
            slots[key].caption("rendering…")
            named_slots[key] = (words, stimulus_cell.empty(), patches_cell.empty())
            view = views[key]
            show(photo_cell, view.projection, CARD_PICTURE_PX, stretch=True, caption="what in this photo drove it")
            show(photo_cell, view.heat, CARD_PICTURE_PX, stretch=True, caption="where it fires")
            left.page_link("ui/pages/unit.py", label=f"open {unit.layer} · unit {unit.channel}: all its evidence",
                           query_params=view_params(layer=unit.layer, unit=unit.channel))
            if tier != next(iter(found.units)):
                inputs_slots[key] = left.empty()  # under the unit's pictures, beside where it fires
            if tier in hierarchy.ACCENT_TIERS:
                accent_slots[key] = photo_cell.empty()  # the photo with the unit exaggerated, under the maps
    renders = {}
    for number, tier in enumerate(found.units, 1):
        renders[tier] = shared_result(
            f"Rendering what the units want ({quality}): {tier}, tier {number} of {len(found.units)}",
            {**photo, "tier": tier, "quality": quality},
            lambda progress, tier=tier: hierarchy.tier_renders(model, found, tier, quality, progress=progress),
        )
        if renders[tier] is None:  # the error is shown
            st.stop()
        for unit, picture in zip(found.units[tier], renders[tier]):
            show(slots[(unit.layer, unit.channel)], picture, CARD_PICTURE_PX, stretch=True, caption=unit.caption,
                 link=unit_href(unit.layer, unit.channel))
    index, note = covering_index(model, dict.fromkeys(layer for layer, _ in slots))
    if note:
        st.caption(note)
    named = shared_result("Naming the units (probe, top patches)", {**photo, "evidence": True, **index_parts(index)},
                          lambda progress: evidence.evidence(model, list(slots), index=index))
    if named is None:  # the error is shown
        st.stop()
    few = naming.thin_evidence(list(evidence.by_image_set(named)), evidence.GALLERY)
    if few:
        thin.info(few)
    for key, (words, stimulus, patches) in named_slots.items():
        shown = named[key]
        words.markdown(f"**{as_markdown(shown.words)}**")
        if shown.stimulus is not None:
            show(stimulus, shown.stimulus, CARD_PICTURE_PX, sharp=True, stretch=True,
                 caption="best probe stimulus" if shown.explained else "best probe stimulus, too weak to name it")
        else:
            stimulus.caption("no probe stimulus drives it")
        if shown.patches is not None:
            show(patches, shown.patches, CARD_PICTURE_PX, stretch=True, caption=patches_caption(shown.image_set, index),
                 link=unit_href(*key))  # drawn larger there: 320 and 640 px
    circuits = shared_result("Finding what each unit is built from", {**photo, "circuits": True},
                             lambda progress: hierarchy.tier_circuits(model, found))
    inputs = None if circuits is None else shared_result(
        f"Rendering the inputs ({quality})", {**photo, "input pictures": quality, **index_parts(index)},
        lambda progress: (hierarchy.input_pictures(model, circuits, quality),
                          evidence.unit_words(model, hierarchy.input_units(circuits), index=index)))
    if inputs is None:  # the error is shown
        st.stop()
    pictures, input_words = inputs
    for unit_key, found_circuit in circuits.items():
        built_from(inputs_slots[unit_key], found_circuit, pictures, input_words, per_row=CARD_COLUMNS + 1,
                   shown=INPUT_PX)
    for tier in (t for t in hierarchy.ACCENT_TIERS if t in found.units):  # one batch per tier
        accents = shared_result(f"Accentuating the {tier} units in the photo", {**photo, "accents": tier,
                                "quality": quality}, lambda progress, tier=tier: hierarchy.tier_accents(
                                    model, found, tier, quality, progress=progress))
        for unit, accent in zip(found.units[tier], accents or []):
            show(accent_slots[(unit.layer, unit.channel)], accent.image, CARD_PICTURE_PX, stretch=True,
                 caption=f"unit {unit.channel}, exaggerated in the photo: {accent.before:.2g} → {accent.after:.2g}")
    st.caption(
        f"Renders: {quality} quality, each unit's centre neuron optimized over its receptive field only, then "
        "enlarged. Best stimulus: of the probe's edges, gratings, colours, curves and corners, the one that drives "
        "the unit most, drawn sharp over its field; its percentage is its activation as a share of the unit's "
        f"strongest photo patch's, and under {naming.percent(naming.SUPPORT)} it does not name the unit "
        "(docs/figure-1-2.md). "
        f"Top photo patches: its field in the photos where it fires hardest, {image_sets(named)}. Fires most on: the "
        "classes the network predicts for the photos of its top patches. In the photo: guided backprop of the unit "
        "over its strongest neuron's field, cropped to it. "
        "Where: the unit's activation map over the photo, its field outlined. Built from: gradient x activation of "
        "the unit's strongest neuron with respect to the tier below, summed over each input's map (`viz.circuit`): "
        "the three inputs carrying most of its excitation on this photo, and the ones inhibiting it most.",
        help=evidence.ENLARGING_NOTE,
    )
    download_buttons(lambda: figures.hierarchy_figure(model, found, views, renders, named, circuits, pictures),
                     f"{model.name}-hierarchy-{name}", "layers")
