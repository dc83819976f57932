"""What names a unit and makes its picture legible: its probe verdict in words, its best probe stimulus drawn
crisp at its field's scale, and the real photo patches that drive it most (Zeiler & Fergus's layer-1 panel).

Beside a render of an 11-px field (a few coloured squares) a student sees the same unit three more ways: its
name ("edge, 90° (vertical), dark-to-light"), the clean stimulus that drives it most (the probe's, re-drawn at
display resolution over exactly the input pixels the unit sees), and the field-sized patches of real photos
where it fires hardest. The name says how far it can be trusted (`viz.views.naming`: its support, and from the
parts tier up the classes of its top images). Probes and top-k sweeps are cached on disk by `viz.probe` and
`viz.top_examples`; the cropped patches in the "hierarchy" store, keyed by the examples they come from and
those files' size and modification time. A dataset index (`viz.Index`) that covers a layer gives that layer's examples without a sweep.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from models import LoadedModel

from ..core.figures import tile
from ..core.images import GREY
from ..core.receptive_field import Box, crop_field, field_map
from ..probing import probe
from ..probing.tagging import UnitProbe, draw_field
from ..serving.cache import CacheChoice, model_key, store_for
from ..zf.index import Index
from ..zf.topk import TopExamples, files_identity, top_examples
from . import naming

DISPLAY = 96  # display pixels a field is drawn at, at least: the stimulus of an 11-px field is drawn at 99
PATCHES = 9  # top patches per unit (a 3x3 panel, as in Zeiler & Fergus's Figure 2)
PATCH_COLUMNS = 3
GALLERY = "the bundled gallery"
ENLARGING_NOTE = (
    "How the small pictures are enlarged. A render and a photo patch of a small field (11x11 input pixels "
    "for the edges tier of EfficientNet-Lite0) are shown with each input pixel as a sharp square (nearest "
    "neighbour): side by side with a smooth (bicubic) enlargement, the smooth one turns an 11-pixel edge into "
    "a soft gradient a class cannot tell from a blob, and it hides how coarse the unit's view is; the squares "
    "keep the edge where it is and show honestly that the unit sees only a few pixels. Large fields (3x or "
    "less enlargement) are enlarged smoothly, where squares would only add a grid. The best stimulus is not "
    "enlarged: it is drawn afresh at display resolution over the same field, so it is sharp at any size."
)


@dataclass(frozen=True)
class Evidence:
    """One unit, named and made legible."""

    words: str  # its name as shown: its probe verdict in words with their support, or what names it when no
    # simple stimulus explains it, then the classes it fires on (`viz.views.naming.in_words`)
    tag: str  # "edge", "colour", "curve" or "other"
    orientation: float | None  # degrees in [0, 180) for an edge unit, else None
    stimulus: torch.Tensor | None  # (3, D, D) its best stimulus of its tag over its field, at display
    # resolution; None for "other" (no stimulus drives it)
    patches: torch.Tensor | None  # (3, H, W) its top real patches, field-sized, enlarged, 3 to a row
    # (None when the image set has no example)
    field: tuple[int, int]  # the field's size in input pixels (height, width)
    image_set: str = GALLERY  # the images the patches come from, in words: the gallery, a folder, the given
    # images, or a dataset index (its `describe()`)
    probe_words: str = ""  # its probe verdict in words alone (`viz.probing.words`)
    support: float | None = None  # its named stimulus's activation as a share of its strongest real patch's
    fires_on: list[tuple[str, int]] | None = None  # from the parts tier up: [(label, count)] over its top images
    examples: int = 0  # how many top examples (images) the patches and `fires_on` are taken from

    @property
    def explained(self) -> bool:
        """Whether its probe stimulus names it (its support reaches `viz.views.naming.SUPPORT`)."""
        return naming.explained(self.support)


def display_scale(field: tuple[int, int]) -> int:
    """Whole display pixels per input pixel so the field is drawn at `DISPLAY` px or more (1 for large fields)."""
    return max(1, math.ceil(DISPLAY / max(field)))


def centre_box(model: LoadedModel, layer: str) -> Box:
    """The field of the map's centre unit: the one whose response the probe reads (`viz.probing.tagging`)."""
    fields = field_map(model, layer)
    return fields.box(len(fields.rows) // 2, len(fields.cols) // 2)


def stimulus_picture(model: LoadedModel, layer: str, verdict: UnitProbe) -> torch.Tensor | None:
    """The unit's best stimulus of its tag, drawn at display resolution over its field (None for "other")."""
    if verdict.tagged is None:
        return None
    box = centre_box(model, layer)
    return draw_field(verdict.tagged, model.input_size, box, display_scale((box.height, box.width)))


def top_patches(model: LoadedModel, found: TopExamples, channel: int, images: torch.Tensor | None = None,
                k: int = PATCHES) -> torch.Tensor | None:
    """(n, 3, h, w): the photo patches (each its example's receptive field, padded grey where the photo's
    border cuts it, at the field's size) of the unit's `k` strongest examples in `found`; None when none."""
    examples = found.examples(channel)[:k]
    if not examples:
        return None
    size = found.fields.size if found.fields is not None else (found.input_size, found.input_size)
    return torch.stack([crop_field(found.image(e.image, images).float(), e.box, size, GREY) for e in examples])


def enlarge(pictures: torch.Tensor, scale: int) -> torch.Tensor:
    """(N, 3, h, w) -> (N, 3, h*scale, w*scale), each pixel a square (nearest: the photo's own pixels)."""
    return pictures if scale == 1 else F.interpolate(pictures, scale_factor=scale, mode="nearest")


def patch_panels(model: LoadedModel, found: TopExamples, channels: list[int], images=None, cache: CacheChoice = True) -> dict:
    """{channel: panel or None} for one layer, cut from a sweep already made (`found` over `images`, or a dataset
    index's examples). When the pictures are read from the files `found.sources` names (`images` None: the
    gallery, or an index's folder) they are cached under those examples, the fit, and each file's size and
    modification time, so a file rewritten under the same name is cut again. Patches of a folder, a list of
    files or a tensor the caller gives are not cached."""
    store = store_for(cache if images is None else False, "hierarchy")
    tensor = images if isinstance(images, torch.Tensor) else None
    examples = {c: found.examples(c)[:PATCHES] for c in channels}
    files = sorted({e.source for shown in examples.values() for e in shown})
    key = {"stage": "patches", **model_key(model), "layer": found.layer,
           "examples": {c: [(e.source, e.position) for e in shown] for c, shown in examples.items()},
           "files": files_identity([Path(f) for f in files]) if store.enabled else files,
           "fit": found.fit, "input_size": found.input_size, "display": DISPLAY}

    def compute() -> dict:
        panels = {}
        for c in channels:
            crops = top_patches(model, found, c, tensor)
            if crops is not None:
                scale = display_scale(tuple(crops.shape[2:]))
                panels[str(c)] = tile(enlarge(crops, scale), PATCH_COLUMNS, pad=max(1, scale // 2))
        return panels

    panels = store.get_or_compute(key, compute)
    return {c: panels.get(str(c)) for c in channels}


def unit_words(model: LoadedModel, units: Iterable[tuple[str, int]], images=None, index: Index | None = None,
               cache: CacheChoice = True) -> dict[tuple[str, int], str]:
    """{(layer, channel): its name in short words with its support}, without pictures or patches: how the inputs
    of a "built from" row are named ("grating, 90° (vertical), period 4 px · 84%", or "no simple stimulus explains
    it (best: ..., 45%)"). The probe and the sweeps are cached: after `evidence` on the same layers it is cheap."""
    units = list(dict.fromkeys(units))
    layers = list(dict.fromkeys(layer for layer, _ in units))
    verdicts = probe(model, layers, cache=cache)
    words = {}
    for layer in layers:
        found = layer_examples(model, layer, images, index, cache)[0]
        for name, c in units:
            if name == layer:
                verdict = verdicts[layer].unit(c)
                words[(layer, c)] = naming.short_words(verdict.words, naming.support(verdict.response, found, c))
    return words


def layer_examples(model: LoadedModel, layer: str, images=None, index: Index | None = None, cache: CacheChoice = True):
    """(the layer's top examples, the images to read them from, that image set in words, the index used or None):
    from the dataset `index` when it covers the layer (read from its folder), else a sweep over `images`."""
    if index is not None and index.covers(model, layer):
        return index.top_examples(layer), None, index.describe(), index
    found = top_examples(model, images, layer, k=PATCHES, per_image=True,
                         cache=cache)
    return found, images, image_set(images), None


def image_set(images) -> str:
    """`images` (None, a folder, a list of files or an (N,3,H,W) tensor) in words, for captions."""
    if images is None:
        return GALLERY
    if isinstance(images, (str, os.PathLike)):
        return f"the images of {images}"
    return "the given images" if isinstance(images, torch.Tensor) else f"the {len(images)} given files"


def by_image_set(named: dict) -> dict[str, list[str]]:
    """{image set: its layers, in order} for an `evidence` result: which images each layer's patches come from."""
    layers: dict[str, list[str]] = {}
    for (layer, _), shown in named.items():
        if layer not in layers.setdefault(shown.image_set, []):
            layers[shown.image_set].append(layer)
    return layers


def evidence(model: LoadedModel, units: Iterable[tuple[str, int]], images=None, index: Index | None = None,
             cache: CacheChoice = True, progress=None) -> dict[tuple[str, int], Evidence]:
    """{(layer, channel): Evidence} for `units`; `images` is the image set of the patches (None: the gallery,
    a folder, or an (N,3,H,W) tensor). One probe pass for all the layers, one top-k sweep per layer.

    `index` is a dataset index (`viz.zf.index.Index`, the reader of `python -m viz index`). A layer it covers takes its patches from the index's examples, read from the index's folder,
    with no sweep; the other layers are swept over `images`. Each Evidence's `image_set` says which it was.
    """
    units = list(dict.fromkeys(units))
    layers = list(dict.fromkeys(layer for layer, _ in units))
    verdicts = probe(model, layers, cache=cache)
    out = {}
    for i, layer in enumerate(layers):
        channels = [c for name, c in units if name == layer]
        found, read_from, shown, covering = layer_examples(model, layer, images, index, cache)
        panels = patch_panels(model, found, channels, read_from, cache)
        fields = field_map(model, layer).size
        labels = image_labels(model, found, channels, read_from, covering, cache) \
            if naming.named_by_images(model, layer) else None
        for c in channels:
            verdict = verdicts[layer].unit(c)
            share = naming.support(verdict.response, found, c)
            fires = naming.fires_on(found, c, labels, PATCHES) if labels is not None else None
            count = len(found.examples(c)[:PATCHES])
            out[(layer, c)] = Evidence(naming.in_words(verdict.words, share, fires, count), verdict.tag,
                                       verdict.orientation, stimulus_picture(model, layer, verdict), panels[c],
                                       fields, shown, verdict.words, share, fires, count)
        if progress is not None:
            progress(i + 1, len(layers))
    return out


def image_labels(model: LoadedModel, found: TopExamples, channels: list[int], images=None,
                 index: Index | None = None, cache: CacheChoice = True) -> dict[str, str] | None:
    """{source: label} for the top images of `channels`: the class sub-folders of the dataset `index` they come
    from when it was built over an ImageFolder layout, else the classes the network predicts for those images
    (`viz.views.naming`); None for a network without class labels."""
    sources = list(dict.fromkeys(e.source for c in channels for e in found.examples(c)[:PATCHES]))
    if index is not None:
        labels = naming.folder_labels(found.sources, index.images_folder)
        if labels is not None:
            return labels
    if model.labels is None:
        return None
    return naming.predicted_labels(model, found, sources, images if isinstance(images, torch.Tensor) else None, cache)
