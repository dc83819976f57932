"""Dataset indexes in the app: the ones offered (only those under the configured folder), the one the sidebar
chose if it covers what a page shows, and what identifies it in the key of shared work.

The reader itself is `viz.zf.index.Index`; an index is built with `python -m viz index FOLDER --out DIR`.
"""

from __future__ import annotations

import streamlit as st

import models
from viz.core.images import to_pil
from viz.serving.cache import model_key
from viz.zf.figures import unit_panel
from viz.zf.index import Index, find_indexes, index_root

INDEX_LOOKUP_TTL_S = 30  # how long the list of indexes is kept before the folder is looked at again


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
def _index_panel(folder: str, identity: str, _index: Index, _model: models.LoadedModel, model: dict, layer: str,
                 channel: int):
    return to_pil(unit_panel(_model, _index.top_examples(layer), channel, "guided"))


def index_panel(index: Index, model: models.LoadedModel, layer: str, channel: int):
    """A unit's top examples from an index, projections beside patches (Figure 2), as a picture; kept per
    index, unit and model, so a unit seen before opens at once."""
    return _index_panel(str(index.folder), index.header["identity"], index, model,
                        model_key(model), layer, channel)
