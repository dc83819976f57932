"""What several pages show beside their pictures: figure downloads, the "built from" row under a unit (the landing,
the tour), and a unit's name in words made safe for markdown."""

from __future__ import annotations

import streamlit as st

from ui.frame import unit_href
from ui.pictures import show
from viz.core.export import FORMATS, figure_bytes

FIGURE_DPI = 200  # downloaded PNGs, finer than the CLI's default 150: they go straight onto slides


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


def built_from(slot, found, pictures: dict, words: dict, per_row: int = 3, shown: int = 150,
               link: dict | None = None) -> None:
    """Under a contour or part unit (the landing, the tour): its strongest inputs of the tier below, `found` a
    `viz.circuit` result: each input's picture (from `pictures`) in a row of `per_row` cells about `shown` CSS px
    wide, named in words (from `words`) with its share, a link to its Unit page (`link`: URL parameters that
    differ from the sidebar's, as `unit_href` takes them); then the inhibiting inputs in words."""
    box = slot.container()
    box.caption(f"built from `{found.source}` (share of its excitation, on this photo):")
    excite = [(c, v) for c, v in found.inputs if v > 0]
    for cell, (channel, value) in zip(box.columns(max(per_row, len(excite)), gap="small"), excite):
        show(cell, pictures[(found.source, channel)], shown, stretch=True,
             link=unit_href(found.source, channel, **(link or {})),
             caption=f"unit {channel} · {100 * found.share(value):.0f}%")
        cell.caption(as_markdown(words[(found.source, channel)]))
    inhibit = [(c, v) for c, v in found.inputs if v < 0]
    if inhibit:
        box.caption("inhibited most by " + ", ".join(f"unit {c} ({100 * found.share(v):+.0f}%)" for c, v in inhibit))


def as_markdown(text: str) -> str:
    """Plain text (a unit's name in words, "diagonal \\") safe inside Streamlit markdown: backslashes kept."""
    return text.replace("\\", "\\\\")
