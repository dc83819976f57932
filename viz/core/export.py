"""Figure export: a figure as PNG, SVG or PDF bytes (a download button) or file (the CLI), chosen by extension.

The same figure gives the same bytes (no dates in the files, stable SVG ids), and files are written
atomically, so an interrupted export never leaves half a picture behind.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from models.errors import UserError

from .checks import check_choice
from .files import write_atomic

FORMATS = (".png", ".svg", ".pdf")
_NO_DATE = {".png": None, ".svg": {"Date": None}, ".pdf": {"CreationDate": None}}  # same figure, same bytes
DPI_RANGE = (30, 1200)


def check_output_path(path: str | os.PathLike) -> Path:
    """The export path, if its extension is one we write; else a UserError naming the accepted ones."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UserError(f"cannot write {path.name!r}: the file name must end in {', '.join(FORMATS)}")
    if path.parent and not path.parent.exists():
        raise UserError(f"folder {path.parent} does not exist; create it or choose another --out")
    return path


def figure_bytes(fig: Figure, suffix: str = ".png", dpi: int = 150) -> bytes:
    """`fig` encoded as PNG, SVG or PDF (`suffix`), e.g. for a download button."""
    suffix = suffix.lower() if suffix.startswith(".") else f".{suffix.lower()}"
    check_choice(suffix, FORMATS, "figure format")
    if not DPI_RANGE[0] <= int(dpi) <= DPI_RANGE[1]:
        raise UserError(f"dpi {dpi} is out of range; choose {DPI_RANGE[0]}-{DPI_RANGE[1]}")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "viz"}):  # stable SVG ids
        fig.savefig(buffer, format=suffix[1:], dpi=int(dpi), bbox_inches="tight", metadata=_NO_DATE[suffix])
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> Path:
    """Write `fig` to `path` in the format its extension names, atomically."""
    path = check_output_path(path)
    return write_atomic(path, figure_bytes(fig, path.suffix, dpi))
