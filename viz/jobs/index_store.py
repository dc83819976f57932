"""Writing a dataset index: the folder check and the atomic write of a finished index (`viz.jobs.index` computes
it). The format, its file names and the reader (`Index`) live in `viz.zf.index`; docs/index.md describes the
files. index.json is written last and removed first when an index is rewritten, so a folder with index.json
holds one complete index.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np

from models.errors import UserError

from ..core.files import write_atomic
from ..zf.index import ENTRIES, FORMAT, HEADER, LAYERS, SKIPPED, SOURCES, VERSION


def check_folder(folder: Path) -> None:
    """Refuse to write an index into a folder that holds anything else (a typo must not mix our files with
    a user's)."""
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in ENTRIES and not p.name.startswith("."))
    if foreign:
        raise UserError(f"{folder} holds files that are not part of an index ({', '.join(foreign[:3])}); "
                        "choose an empty or new folder for --out")


def _save(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    write_atomic(path, buffer.getvalue())


def write_index(folder: Path, header: dict, sources: list[str], skipped: list, layers: dict[str, dict]) -> None:
    """Write a complete index; `layers[name]` holds the arrays named in the module docstring plus "field"."""
    (folder / HEADER).unlink(missing_ok=True)
    shutil.rmtree(folder / LAYERS, ignore_errors=True)
    for name, arrays in layers.items():
        where = folder / LAYERS / name
        where.mkdir(parents=True)
        for key, array in arrays.items():
            if key == "field":
                write_atomic(where / "field.json", json.dumps(array).encode())
            else:
                _save(where / f"{key}.npy", array)
    write_atomic(folder / SOURCES, json.dumps(sources).encode())
    write_atomic(folder / SKIPPED, json.dumps(skipped).encode())
    write_atomic(folder / HEADER, json.dumps({"format": FORMAT, "version": VERSION, **header}, indent=1).encode())
