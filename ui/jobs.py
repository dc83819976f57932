"""The job runner: every page's heavy work goes through `shared_result`, keyed by what decides it (`model_parts`,
`photo_parts` and the page's own parts), done once for every session that asks, with a progress bar meanwhile."""

from __future__ import annotations

import streamlit as st

import models
from ui.memo import per_object
from viz.core.digest import tensor_digest
from viz.serving import process_budget
from viz.serving.cache import model_key

PROGRESS_POLL_S = 0.25  # how often a waiting page looks at its job's progress


def model_parts(model: models.LoadedModel) -> dict:
    """What identifies a loaded model in the key of shared work."""
    return model_key(model)


def photo_parts(model: models.LoadedModel, image) -> dict:
    """What identifies a model and a photo in the key of shared work (the photo by its pixels: an upload's name
    says nothing)."""
    return {**model_parts(model), "photo": per_object(image, "digest", lambda: tensor_digest(image))}


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
    if ticket.done():  # ready (another session's, or this one's last run): no progress bar to draw and remove
        return _result(ticket)
    status, shown = st.empty(), None
    try:
        while not ticket.wait(PROGRESS_POLL_S):
            place, fraction = ticket.position(), round(ticket.fraction(), 2)
            if (place, fraction) != shown:  # a message only on change: every one costs each browser a redraw
                shown = place, fraction
                text = f"{what}: waiting for the server, {place - 1} job(s) ahead" if place else f"{what}…"
                status.progress(fraction, text=text)
        return _result(ticket)
    finally:
        ticket.cancel()
        status.empty()


def _result(ticket):
    """The job's result, or None with its `UserError` shown as an error."""
    try:
        return ticket.result()
    except models.UserError as exc:
        st.error(str(exc))
        return None
