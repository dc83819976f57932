"""Guided tour: Next/Back up the layers for one photo, large type, the untrained network one click away.

Everything comes from `viz.tour.landing` through the compute budget; after `python -m viz precompute` it is
read from the disk cache, so each step appears at once. Like the landing, a layer the sidebar's dataset index
covers takes its top patches from the index.
"""

import streamlit as st

from ui.frame import current_model, current_quality, load_model, unit_href
from ui.indexes import covering_index, index_parts, patches_caption
from ui.jobs import model_parts, shared_result
from ui.pickers import sample
from ui.pictures import show
from ui.widgets import built_from
from viz.core.images import gallery_dir, image_files
from viz.probing.tiers import HIDDEN_TIERS
from viz.views.tour import STEPS, landing

PAGE_PX = 780  # the main column's CSS width at a 1280-px window (a unit's picture measured 149 px): one net, or two
CELLS = 5  # a unit's pictures: wants to see, best stimulus, patches, in the photo, where


def move(by: int) -> None:
    """Next/Back: a callback, so the buttons' states below are drawn for the new step."""
    st.session_state.tour_step = min(max(st.session_state.get("tour_step", 0) + by, 0), len(STEPS) - 1)


st.markdown("<style>.tour-text{font-size:1.6rem;line-height:1.4} .tour-label{font-size:2.4rem;font-weight:700}"
            "</style>", unsafe_allow_html=True)
model = current_model()
quality = current_quality()
photos = {p.name: p for p in image_files(gallery_dir())}
left, middle = st.columns(2)
name = left.selectbox("Photo", list(photos), index=list(photos).index("chelsea.png"), key="tour_photo")
contrast = middle.toggle("Beside it: the same network untrained", key="tour_untrained",
                         help="random weights: the classroom contrast")
step = st.session_state.setdefault("tour_step", 0)
back, position, forward = st.columns([1, 4, 1])
back.button("← Back", disabled=step == 0, width="stretch", on_click=move, args=(-1,))
forward.button("Next →", type="primary", disabled=step == len(STEPS) - 1, width="stretch", on_click=move, args=(1,))
position.progress((step + 1) / len(STEPS), text=f"Step {step + 1} of {len(STEPS)}")
current = STEPS[step]

nets = [model] + ([load_model(model.name, "none")] if contrast and not model.untrained else [])
image = sample(photos[name])
shown, indexes = [], []
for net in nets:
    # any layer the tour may show (the probe picks which); the untrained net's: none, unless built for it
    indexes.append(covering_index(net, [layer.name for layer in net.layers if layer.tier in HIDDEN_TIERS])[0])
    parts = {"page": "tour", **model_parts(net), "photo": name, "quality": quality, **index_parts(indexes[-1])}
    shown.append(shared_result("Preparing the tour", parts,
                               lambda progress, net=net, index=indexes[-1]: landing(net, image, quality, progress,
                                                                                    index)))
if any(view is None for view in shown):  # the error is shown
    st.stop()

st.header(current.title)
st.markdown(f'<p class="tour-text">{current.text.format(label=shown[0].found.predictions[0][0])}</p>',
            unsafe_allow_html=True)
column_px = PAGE_PX // len(nets)
cell_px = column_px // CELLS
for column, net, view, index in zip(st.columns(len(nets)), nets, shown, indexes):
    column.subheader("untrained (random weights)" if net.untrained else "trained")
    link = {} if net is model else {"weights": "none"}  # the contrast column's units are the untrained network's
    if current.tier is None and step == 0:
        show(column, view.found.image, column_px, stretch=True)
    elif current.tier is None:
        label, probability = view.found.predictions[0]
        column.markdown(f'<p class="tour-label">{label} · {probability:.0%}</p>', unsafe_allow_html=True)
        column.table({"class": [lab for lab, _ in view.found.predictions],
                      "probability": [f"{p:.3f}" for _, p in view.found.predictions]})
    else:
        for unit, picture in zip(view.found.units[current.tier], view.renders[current.tier]):
            named = view.evidence[(unit.layer, unit.channel)]
            column.markdown(f'<p class="tour-text"><b>{named.words}</b> · {unit.layer} unit {unit.channel}</p>',
                            unsafe_allow_html=True)
            cells = column.columns(CELLS)
            unit_view = view.views[(unit.layer, unit.channel)]
            show(cells[0], picture, cell_px, stretch=True, caption="wants to see")
            if named.stimulus is not None:
                show(cells[1], named.stimulus, cell_px, sharp=True, stretch=True, caption="best stimulus")
            else:
                cells[1].caption("no probe stimulus drives it")
            if named.patches is not None:
                show(cells[2], named.patches, cell_px, stretch=True,
                     caption=patches_caption(named.image_set, index), link=unit_href(unit.layer, unit.channel, **link))
            show(cells[3], unit_view.projection, cell_px, stretch=True, caption="in the photo")
            show(cells[4], unit_view.heat, cell_px, stretch=True, caption="where")
            if (unit.layer, unit.channel) in view.circuits:
                built_from(column, view.circuits[(unit.layer, unit.channel)], view.inputs, view.input_words,
                           per_row=len(cells) + 1, link=link)  # each input a little smaller than the unit's pictures
