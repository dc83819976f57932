"""The frame's sidebar and the widgets shared by every page: model, quality, photo, downloads, links.

The sidebar is drawn once per run by app.py, before the page, and its widgets are bound to the URL
(`bind="query-params"`, the key is the parameter's name): a page switch, a rerun or a copied link keep the
model, weights and quality. Pages read the choice with `current_model()` / `current_quality()`; run on its own
(a page test without the frame) a page gets the defaults. Page widgets that name a view (`image`, `layer`,
`unit`) are bound the same way; a bad value in the URL is reported by `check_param` and the default is used.
"""

from __future__ import annotations

import urllib.parse

import streamlit as st

import models
import viz
from ui.pictures import show
from viz.actmax import QUALITY
from viz.core.digest import tensor_digest
from viz.core.export import FORMATS, figure_bytes
from viz.core.images import gallery_dir, image_files, to_pil
from viz.zf.index import Index, find_indexes, index_root
from viz.serving import process_budget
from viz.zf.figures import unit_panel

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"]
DEFAULT_MODEL = "efficientnet_lite0"
DEFAULT_IMAGE = "chelsea.png"
WEIGHTS = {"default": "pretrained (the model's own weights)", "none": "untrained (random init)"}
INDEX_LOOKUP_TTL_S = 30  # how long the list of indexes is kept before the folder is looked at again
FIGURE_DPI = 200  # downloaded PNGs, finer than the CLI's default 150: they go straight onto slides
PROGRESS_POLL_S = 0.25  # how often a waiting page looks at its job's progress
QUALITY_HELP = {
    "fast": "seconds per render on a laptop CPU",
    "balanced": "about 3x the steps of fast",
    "best": "Lucid's recipe, 512 steps: minutes on a CPU",
}


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def load_model(name: str, weights: str) -> models.LoadedModel:
    """One copy per (model, weights) for all sessions; the engine keeps hooks per call, so sharing is safe."""
    return models.load(name, weights=weights)


def check_param(key: str, valid) -> None:
    """If the URL names `key` with a value not in `valid`, say so (the widget then shows its default)."""
    value = st.query_params.get(key)
    if value is not None and value not in {str(v) for v in valid}:
        st.warning(f"The link asks for {key} {value!r}, which this view does not have; showing the default instead.")


def _weights_status() -> str:
    lines = []
    for name in models.list_models():
        entry = models.user_models().get(name)
        if entry is not None:
            lines.append(f"- `{name}`: from the models file `{entry.file.name}`")
            continue
        path = models.get_spec(name).weights.local_path()
        lines.append(f"- `{name}`: " + ("on disk" if path else f"not downloaded (`python -m viz fetch {name}`)"))
    timm = models.TIMM_PREFIX
    lines.append(f"- `{timm}NAME`: any timm model, typed in the Model box (pretrained once its weights are fetched: "
                 f"`python -m viz fetch {timm}NAME`)")
    return "\n".join(lines)


def draw_sidebar() -> None:
    """The frame's sidebar: model, weights, quality, device in use, and which weights are on disk."""
    names = models.list_models()
    bar = st.sidebar
    for problem in models.models_file_problems(full_paths=False):  # the server owner's: the other models work
        bar.warning(problem)
    typed = st.query_params.get("model", "")
    check_param("model", names + ([typed] if typed.startswith(models.TIMM_PREFIX) else []))
    check_param("weights", WEIGHTS)
    check_param("quality", QUALITY)
    bar.selectbox("Model", names, index=names.index(DEFAULT_MODEL), key="model", bind="query-params",
                  accept_new_options=True, help=f"or type {models.TIMM_PREFIX}NAME for any timm model, e.g. "
                  f"{models.TIMM_PREFIX}resnet18; the server's owner adds their own with VIZ_MODELS (docs/models.md)")
    bar.radio("Weights", list(WEIGHTS), captions=list(WEIGHTS.values()), key="weights", horizontal=True,
              bind="query-params", help="untrained: the same network with random weights, the classroom contrast")
    bar.radio("Quality", list(QUALITY), captions=[QUALITY_HELP[q] for q in QUALITY], key="quality",
              horizontal=True, bind="query-params", help="steps and size of every activation-maximization picture")
    indexes = available_indexes()
    check_param("index", ["none", *indexes])
    # no format_func: a bound selectbox matches the URL against the shown labels, so they are the names
    chosen = bar.selectbox("Dataset index", ["none", *indexes], key="index", bind="query-params",
                           help=f"top-9 and statistics precomputed over an image set by `python -m viz index FOLDER "
                                f"--out DIR`; the app offers the indexes in {index_root()} (set VIZ_INDEX_DIR to "
                                "change it); none: the live sweep of the gallery")
    if chosen in indexes:
        bar.caption(f"{indexes[chosen].images:,} images, {indexes[chosen].header.get('model')} "
                    f"({indexes[chosen].header.get('weights')}), layers {', '.join(indexes[chosen].layers)}")
    st.session_state.pop("_model_note", None)  # a new run: say again why the model fell back, if it does
    model = current_model()
    bar.caption(f"{model.name} · weights {model.weights_id} · device **{model.device}**")
    with bar.expander("Models on this machine"):
        st.markdown(_weights_status())


def current_model() -> models.LoadedModel:
    """The model the sidebar names (the default outside the frame); missing weights fall back with a message."""
    name = st.session_state.get("model", DEFAULT_MODEL)
    weights = st.session_state.get("weights", "default")
    try:
        return load_model(name, weights)
    except models.WeightsUnavailableError:  # its message names the server's cache folder: not for the page
        note = (f"The pretrained weights of {name} are not on the server, showing {DEFAULT_MODEL}; the person "
                f"running the app can add them with `python -m viz fetch {name}`.")
    except models.UserError as exc:
        entry = models.user_models().get(name)  # the message names the server's files: the sidebar says where to look
        note = str(exc) if entry is None else (
            f"{name} cannot be loaded, showing {DEFAULT_MODEL}; the person running the app sees why with "
            f"`python -m viz layers {name} --models-file {entry.file.name}`.")
    if st.session_state.get("_model_note") != note:  # the sidebar and the page both ask: say it once a run
        st.session_state["_model_note"] = note
        st.sidebar.error(note)
    return load_model(DEFAULT_MODEL, weights)


@st.cache_resource(ttl=INDEX_LOOKUP_TTL_S, show_spinner=False)
def _indexes(root: str) -> dict[str, Index]:
    """The indexes under the configured folder, looked up at most every INDEX_LOOKUP_TTL_S; shared by every session
    (an Index only reads its files, once)."""
    return find_indexes(root)


def available_indexes() -> dict[str, Index]:
    """Indexes offered to the browser: only those found under the configured folder, by name (a path typed
    in the browser is never opened)."""
    return _indexes(str(index_root()))


def current_index(model: models.LoadedModel, layer: str) -> tuple[Index | None, str]:
    """(the sidebar's dataset index if it covers `layer` of this model, else None; a note when it does not)."""
    name = st.session_state.get("index", "none")
    index = available_indexes().get(name)
    if index is None:
        return None, ""
    if not index.covers(model, layer):
        return None, (f"The dataset index {name!r} does not cover {model.name} ({model.weights}) {layer}; "
                      f"it holds {index.holdings()}. Showing the live gallery instead.")
    return index, ""


def covering_index(model: models.LoadedModel, layers) -> tuple[Index | None, str]:
    """(the sidebar's dataset index if it covers at least one of `layers` of this model, else None; a note when
    an index is chosen but covers none). The landing and the tour pass it to the engine, which reads it for the
    layers it covers and sweeps the gallery for the others."""
    layers = list(layers)
    name = st.session_state.get("index", "none")
    index = available_indexes().get(name)
    if index is None or index.covers_any(model, layers):
        return index, ""
    return None, (f"The dataset index {name!r} covers none of {', '.join(layers)} of {model.name} ({model.weights}): "
                  f"it holds {index.holdings()}. The top patches come from the gallery.")


def index_parts(index: Index | None) -> dict:
    """What identifies a dataset index in the key of shared work (nothing without one): its name, which the
    captions show, and its identity (the model, the rule and the images it was built from)."""
    return {} if index is None else {"index": index.name, "index identity": index.header["identity"]}


def patches_caption(image_set: str, index: Index | None) -> str:
    """The caption of a unit's top patches: which image set they come from (`Evidence.image_set`)."""
    return f"top patches · index {index.name!r}" if index is not None and image_set == index.describe() else \
        "top photo patches"


@st.cache_data(max_entries=256, show_spinner="Projecting the unit's top examples…")
def _index_panel(folder: str, identity: str, _index: Index, _model: models.LoadedModel, model_key: tuple, layer: str,
                 channel: int):
    return to_pil(unit_panel(_model, _index.top_examples(layer), channel, "guided"))


def index_panel(index: Index, model: models.LoadedModel, layer: str, channel: int):
    """A unit's top examples from an index, projections beside patches (Figure 2), as a picture; kept per
    index, unit and model, so a unit seen before opens at once."""
    return _index_panel(str(index.folder), index.header["identity"], index, model,
                        (model.name, model.weights_id, str(model.device)), layer, channel)


def current_quality() -> str:
    return st.session_state.get("quality", "fast")


def choose_image(key: str = "image", camera: bool = True):
    """A sample photo (bound to the URL as `image`), an upload or a camera snapshot, as a (3,H,W) tensor.

    Returns (image, name); a bad upload shows the reason and returns (None, None).
    """
    samples = {p.name: p for p in image_files(gallery_dir())}
    check_param("image", samples)
    left, middle = st.columns(2)
    choice = left.selectbox("Sample photo", list(samples), index=list(samples).index(DEFAULT_IMAGE), key="image",
                            bind="query-params")
    upload = middle.file_uploader("…or upload your own", type=UPLOAD_TYPES, key=f"{key}_upload")
    snapshot = None
    if camera and st.toggle("…or take a snapshot with the camera", key=f"{key}_camera_on"):
        snapshot = st.camera_input("Snapshot", key=f"{key}_camera")
    given = snapshot or upload
    try:
        image = viz.load_image(given if given is not None else samples[choice])  # an upload is a named file
    except viz.ImageError as exc:
        st.error(str(exc))
        return None, None
    return image, (given.name if given is not None else choice)


def choose_layer(model: models.LoadedModel, default: str | None = None, label: str = "Layer") -> models.Layer:
    """A layer of the model (bound to the URL as `layer`), shown with its tier and channel count."""
    names = [layer.name for layer in model.layers]
    check_param("layer", names)
    index = names.index(default) if default in names else len(names) // 2
    name = st.selectbox(label, names, index=index, key="layer", bind="query-params")
    tier = model.layer(name)
    st.caption(f"{name}: tier **{tier.tier}**, {tier.channels} units")
    return tier


def view_params(**changes) -> dict:
    """The URL parameters of a link to another view: the frame's choices plus `changes` (strings)."""
    params = {k: str(st.session_state[k]) for k in ("model", "weights", "quality", "image", "index")
              if k in st.session_state}
    params.update({k: str(v) for k, v in changes.items()})
    return params


def unit_href(layer: str, unit: int) -> str:
    """A relative link to the Unit page for one unit, carrying the frame's choices (for clickable pictures)."""
    return "unit?" + urllib.parse.urlencode(view_params(layer=layer, unit=unit))


def built_from(slot, found, pictures: dict, words: dict, per_row: int = 3, shown: int = 150) -> None:
    """Under a contour or part unit (the landing, the tour): its strongest inputs of the tier below, `found` a
    `viz.circuit` result: each input's picture (from `pictures`) in a row of `per_row` cells about `shown` CSS px
    wide, named in words (from `words`) with its share, a link to its Unit page; then the inhibiting inputs in
    words."""
    box = slot.container()
    box.caption(f"built from `{found.source}` (share of its excitation, on this photo):")
    excite = [(c, v) for c, v in found.inputs if v > 0]
    for cell, (channel, value) in zip(box.columns(max(per_row, len(excite)), gap="small"), excite):
        show(cell, pictures[(found.source, channel)], shown, stretch=True, link=unit_href(found.source, channel),
             caption=f"unit {channel} · {100 * found.share(value):.0f}%")
        cell.caption(as_markdown(words[(found.source, channel)]))
    inhibit = [(c, v) for c, v in found.inputs if v < 0]
    if inhibit:
        box.caption("inhibited most by " + ", ".join(f"unit {c} ({100 * found.share(v):+.0f}%)" for c, v in inhibit))


def download_buttons(fig_factory, stem: str, key: str) -> None:
    """PNG, SVG and PDF downloads of the same figure the CLI would write, encoded only when clicked."""
    columns = st.columns(len(FORMATS))
    for column, suffix in zip(columns, FORMATS):
        column.download_button(
            f"Download {suffix[1:].upper()}",
            data=lambda suffix=suffix: figure_bytes(fig_factory(), suffix, dpi=FIGURE_DPI),
            file_name=f"{stem}{suffix}",
            key=f"{key}_{suffix}",
            on_click="ignore",
        )


def model_parts(model: models.LoadedModel) -> dict:
    """What identifies a loaded model in the key of shared work."""
    return {"model": model.name, "weights": model.weights_id, "device": str(model.device)}


def photo_parts(model: models.LoadedModel, image) -> dict:
    """What identifies a model and a photo in the key of shared work (the photo by its pixels: an upload's name
    says nothing)."""
    return {**model_parts(model), "photo": tensor_digest(image)}


def shared_result(what: str, parts: dict, compute):
    """`compute(progress)` once for everyone asking the same `parts`: every page's heavy work goes through here.

    Cached and single-flight: the process's compute budget keys the job like the disk cache, joins a job
    already queued or running, and keeps finished results, so a rerun (another widget changed) gets the result
    at once. One progress bar shows the place in the queue, then the progress; it is removed when the job
    ends, fails, or the script stops (a rerun or a leaving session inside the wait: the `finally` then drops
    the queued job unless another session still waits for it). A `UserError` (bad input) is shown as an error
    and gives None; the page goes on. `progress(done, total)` is the engine's usual callback.
    """
    ticket = process_budget().submit(parts, compute)
    status, shown = st.empty(), None
    try:
        while not ticket.wait(PROGRESS_POLL_S):
            place, fraction = ticket.position(), round(ticket.fraction(), 2)
            if (place, fraction) != shown:  # a message only on change: every one costs each browser a redraw
                shown = place, fraction
                text = f"{what}: waiting for the server, {place - 1} job(s) ahead" if place else f"{what}…"
                status.progress(fraction, text=text)
        return ticket.result()
    except models.UserError as exc:
        st.error(str(exc))
        return None
    finally:
        ticket.cancel()
        status.empty()


def as_markdown(text: str) -> str:
    """Plain text (a unit's name in words, "diagonal \\") safe inside Streamlit markdown: backslashes kept."""
    return text.replace("\\", "\\\\")
