"""Figure sidecars: a small JSON file beside an exported figure that says exactly how it was made.

It holds the command, the model and the hash of its weights file, the units, every setting (seed included)
and the library versions, so `python -m viz reproduce SIDECAR` can write the same figure again, and refuses
(with a message) when the weights on this machine are not the ones recorded.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from pathlib import Path

from models.errors import UserError

from .files import write_atomic

FORMAT = 1  # version of the sidecar layout
LIBRARIES = ("torch", "torchvision", "numpy", "matplotlib", "pillow")


def sidecar_path(figure: str | os.PathLike) -> Path:
    """`grid.png` -> `grid.png.json` (keeps the PNG's and the PDF's sidecars of one name apart)."""
    figure = Path(figure)
    return figure.with_name(figure.name + ".json")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write(figure: str | os.PathLike, record: dict) -> Path:
    """Write `record` (plus format and versions) beside `figure`; returns the sidecar's path."""
    path = sidecar_path(figure)
    full = {"format": FORMAT, "figure": Path(figure).name, **record, "versions": library_versions()}
    return write_atomic(path, (json.dumps(full, indent=2, sort_keys=True) + "\n").encode())


def read(path: str | os.PathLike, required: tuple[str, ...] = ()) -> dict:
    """The record in a sidecar file; a UserError says what is wrong with a missing or damaged one."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"sidecar {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path.name} is not a readable sidecar JSON file ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise UserError(f"{path.name} is not a sidecar of format {FORMAT} written by `python -m viz`")
    missing = [key for key in ("command", "figure", *required) if key not in record]
    if missing:
        raise UserError(f"{path.name} lacks the field {missing[0]!r}; it cannot be reproduced")
    return record
