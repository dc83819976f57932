"""A dataset index, read: `Index` (one finished index folder) and `find_indexes` (the indexes under a root).

The index is built by `viz.jobs.index` (`python -m viz index`), which writes it with `viz.jobs.index_store`;
this module owns the format (file names, version) and everything that reads it, beside `viz.zf.topk` whose
`TopExamples` it hands out. Plain JSON and NumPy arrays, never pickles.

A finished index is a folder (format documented in docs/index.md):

    index.json                what it is: model, weights, rule (layers, k, one position per image or not, fit),
                              the image folder, counts, and the identity that a rerun compares
    sources.json              the images read, relative to the folder, in order (`images.npy` indexes it)
    skipped.json              [[path, reason], ...]: the files that could not be read
    layers/<layer>/values.npy     (C, k) float32: per unit its k strongest activations, strongest first
                                  (-inf where the set had fewer than k candidates)
    layers/<layer>/images.npy     (C, k) int64: index into sources.json
    layers/<layer>/positions.npy  (C, k) int64: flat index into the layer's (H, W) map (0 for a flat layer)
    layers/<layer>/maxima.npy     (N, C) float16: per image read, each unit's strongest activation
    layers/<layer>/mean.npy       (C,) float64: mean activation over every position of every image
    layers/<layer>/active.npy     (C,) float64: share of positions above 0
    layers/<layer>/histogram.npy  (C, BINS) int64: per unit, a histogram of its per-image maxima
    layers/<layer>/edges.npy      (C, BINS + 1) float32: that histogram's bin edges
    layers/<layer>/field.json     receptive fields of the map's rows and columns (for the examples' boxes)

index.json is written last and removed first when an index is rewritten, so a folder with index.json holds
one complete index. Every array is read with `np.load(allow_pickle=False)` and checked against index.json;
a file that is not what it should be is a `UserError` naming it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models import LoadedModel
from models.errors import UserError, first_line

from ..core.checks import check_channel
from ..core.receptive_field import FieldMap
from ..serving.cache import default_cache_dir
from .topk import Example, TopExamples

FORMAT, VERSION = "viz-index", 1
HEADER, SOURCES, SKIPPED, LAYERS, PARTS = "index.json", "sources.json", "skipped.json", "layers", "parts"
ENTRIES = {HEADER, SOURCES, SKIPPED, LAYERS, PARTS}  # all an index folder may hold
BINS = 20  # bins of the per-image maxima histograms


def index_root() -> Path:
    """Where the app looks for indexes: $VIZ_INDEX_DIR, else `indexes/` in the cache folder."""
    return Path(os.environ.get("VIZ_INDEX_DIR") or default_cache_dir() / "indexes")


def _json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is not a readable index file ({first_line(exc)}); build the index again") from None


def _array(path: Path, shape: tuple, dtype) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UserError(f"{path} is not a NumPy array ({first_line(exc)}); build the index again") from None
    if array.shape != shape or array.dtype != np.dtype(dtype):
        raise UserError(f"{path} holds a {array.dtype} array of shape {array.shape}, not the {np.dtype(dtype)} "
                        f"{shape} that index.json describes; build the index again")
    return array


def read_header(folder: Path) -> dict:
    """index.json, checked to be ours; a UserError naming the file otherwise."""
    header = _json(folder / HEADER)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise UserError(f"{folder / HEADER} is not a viz index (no \"format\": \"{FORMAT}\")")
    if header.get("version") != VERSION:
        raise UserError(f"{folder / HEADER} is index format version {header.get('version')}; this version reads "
                        f"{VERSION}: build the index again")
    return header


def statistics_table(images: int, strongest: float, median_max: float, mean: float, active: float) -> dict:
    """The rows of a unit's statistics table (the Unit card's), whether computed live or read from an index."""
    return {
        "images": images,
        "strongest activation": round(strongest, 4),
        "median of per-image maxima": round(median_max, 4),
        "mean activation": round(mean, 4),
        "share of positions active (> 0)": round(active, 4),
    }


@dataclass(frozen=True)
class UnitStatistics:
    """How one unit responds over the indexed images."""

    images: int  # images read
    max: float  # its strongest activation
    mean: float  # mean activation over every position of every image
    active: float  # share of positions above 0
    median_max: float  # median of the per-image maxima
    histogram: list[int]  # counts of per-image maxima per bin
    edges: list[float]  # the bins' edges (len(histogram) + 1)

    def table(self) -> dict:
        """The rows the Unit card shows (the same as its live statistics)."""
        return statistics_table(self.images, self.max, self.median_max, self.mean, self.active)


class Index:
    """A finished dataset index (built by `python -m viz index FOLDER --out DIR`), read lazily."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        if not (self.folder / HEADER).is_file():
            raise UserError(f"{self.folder} holds no index ({HEADER} is missing); build one with "
                            "`python -m viz index FOLDER --out DIR`")
        self.header = read_header(self.folder)
        try:
            self.layers = [str(name) for name in self.header["layers"]]
            self.k, self.per_image = int(self.header["k"]), bool(self.header["per_image"])
            self.images_folder = Path(self.header["folder"])
            self.images = int(self.header["images"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{self.folder / HEADER} lacks {first_line(exc)}; build the index again") from None
        if any("/" in name or "\\" in name or name in ("", ".", "..") for name in self.layers):
            raise UserError(f"{self.folder / HEADER} names a layer that is not a module name; build the index again")
        self._found: dict[str, TopExamples] = {}
        self._stats: dict[str, dict] = {}

    @property
    def name(self) -> str:
        return self.folder.name

    def describe(self) -> str:
        """One line saying which image set this is, for captions."""
        h = self.header
        rule = "one position per image" if self.per_image else "any position"
        return (f"index {self.name!r}: the {self.images:,} images of {self.images_folder} "
                f"({h['model']}, weights {h['weights']}, top-{self.k}, {rule})")

    def covers(self, model: LoadedModel, layer: str) -> bool:
        """Whether this index was built with this model, these weights and input size, and holds `layer`."""
        h = self.header
        return (h.get("model"), h.get("weights_id"), h.get("input_size")) == (
            model.name, model.weights_id, model.input_size) and layer in self.layers

    def covers_any(self, model: LoadedModel, layers) -> bool:
        """Whether this index covers at least one of `layers` of `model` (`covers`)."""
        return any(self.covers(model, layer) for layer in layers)

    def holdings(self) -> str:
        """What this index holds, for messages that say why it does not cover a layer."""
        return f"{', '.join(self.layers)} of {self.header.get('model')} ({self.header.get('weights')})"

    def _layer(self, layer: str) -> tuple[Path, int, tuple]:
        if layer not in self.layers:
            raise UserError(f"index {self.name!r} has no layer {layer!r}; it has {', '.join(self.layers)}")
        info = self.header["layers"][layer]
        return self.folder / LAYERS / layer, int(info["channels"]), tuple(info["map_size"])

    def top_examples(self, layer: str) -> TopExamples:
        """The layer's examples as a `TopExamples`, which the figures (Figure 2, unit panels) draw from."""
        if layer not in self._found:
            where, channels, map_size = self._layer(layer)
            shape = (channels, self.k)
            values = _array(where / "values.npy", shape, np.float32)
            images = _array(where / "images.npy", shape, np.int64)
            positions = _array(where / "positions.npy", shape, np.int64)
            sources = _json(self.folder / SOURCES)
            if not isinstance(sources, list) or len(sources) != self.images:
                raise UserError(f"{self.folder / SOURCES} does not list the {self.images} images of index.json")
            if images.size and (images.min() < 0 or images.max() >= max(1, len(sources))):
                raise UserError(f"{where / 'images.npy'} points past sources.json; build the index again")
            fields = None
            if len(map_size) == 2:
                field = _json(where / "field.json")
                try:
                    fields = FieldMap(tuple(map(tuple, field["rows"])), tuple(map(tuple, field["cols"])),
                                      int(field["input_size"]))
                except (KeyError, TypeError, ValueError):
                    raise UserError(f"{where / 'field.json'} is not a field map; build the index again") from None
            self._found[layer] = TopExamples(
                layer=layer, k=self.k, per_image=self.per_image, input_size=int(self.header["input_size"]),
                fit=str(self.header["fit"]), sources=[str(self.images_folder / s) for s in sources],
                values=torch.from_numpy(values), images=torch.from_numpy(images),
                positions=torch.from_numpy(positions), map_size=map_size, skipped=self.skipped(), fields=fields)
        return self._found[layer]

    def examples(self, layer: str, channel: int) -> list[Example]:
        """A unit's strongest examples: the records of `viz.top_examples(...).examples(channel)`."""
        return self.top_examples(layer).examples(channel)

    def statistics(self, layer: str, channel: int) -> UnitStatistics:
        if layer not in self._stats:
            where, channels, _ = self._layer(layer)
            self._stats[layer] = {
                "maxima": _array(where / "maxima.npy", (self.images, channels), np.float16),
                "mean": _array(where / "mean.npy", (channels,), np.float64),
                "active": _array(where / "active.npy", (channels,), np.float64),
                "histogram": _array(where / "histogram.npy", (channels, BINS), np.int64),
                "edges": _array(where / "edges.npy", (channels, BINS + 1), np.float32),
                "values": self.top_examples(layer).values,
            }
        s = self._stats[layer]
        check_channel(channel, len(s["mean"]))
        return UnitStatistics(
            images=self.images, max=float(s["values"][channel, 0]), mean=float(s["mean"][channel]),
            active=float(s["active"][channel]), median_max=float(np.median(s["maxima"][:, channel].astype(np.float32))),
            histogram=[int(c) for c in s["histogram"][channel]], edges=[float(e) for e in s["edges"][channel]])

    def skipped(self) -> list[tuple[str, str]]:
        return [tuple(item) for item in _json(self.folder / SKIPPED)]


def find_indexes(root: str | os.PathLike | None = None) -> dict[str, Index]:
    """The readable indexes in the subfolders of `root` (default: `index_root()`), by folder name."""
    root = Path(root) if root is not None else index_root()
    found = {}
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if (p / HEADER).is_file()):
            try:
                found[folder.name] = Index(folder)
            except UserError:
                continue  # a broken or foreign folder is not offered
    return found
