"""The frame: the sidebar drawn once per run by app.py, before the page, and what a page reads from it.

The sidebar's widgets are bound to the URL (`bind="query-params"`, the key is the parameter's name): a page
switch, a rerun or a copied link keep the model, weights, quality and dataset index. Pages read the choice with
`current_model()` / `current_quality()`; run on its own (a page test without the frame) a page gets the
defaults. A bad value in the URL is reported by `check_param` and the default is used. `view_params` and
`unit_href` carry the frame's choices into a link to another view.
"""

from __future__ import annotations

import urllib.parse

import streamlit as st

import models
from ui.indexes import available_indexes
from viz.actmax import QUALITY
from viz.zf.index import index_root

DEFAULT_MODEL = "efficientnet_lite0"
WEIGHTS = {"default": "pretrained (the model's own weights)", "none": "untrained (random init)"}
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


def current_quality() -> str:
    return st.session_state.get("quality", "fast")


def view_params(**changes) -> dict:
    """The URL parameters of a link to another view: the frame's choices plus `changes` (strings)."""
    params = {k: str(st.session_state[k]) for k in ("model", "weights", "quality", "image", "index")
              if k in st.session_state}
    params.update({k: str(v) for k, v in changes.items()})
    return params


def unit_href(layer: str, unit: int, **changes) -> str:
    """A relative link to the Unit page for one unit, carrying the frame's choices (for clickable pictures);
    `changes` override them (`weights="none"` under the untrained network shown beside the sidebar's)."""
    return "unit?" + urllib.parse.urlencode(view_params(layer=layer, unit=unit, **changes))
