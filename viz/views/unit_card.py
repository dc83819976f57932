"""A unit's evidence card: the computations behind the app's Unit page (and nothing the landing needs).

`named` (its probe verdict in words, best stimulus drawn crisp, top real patches), `set_patches` (its top
patches in another image set), `on_photo` (its activation
map and projection on one photo), `accentuated` (the photo with the unit accentuated), `connections` (the units of the landing's tier below that it is built from,
and those of the tier above it feeds into, on the photo), `unit_renders` (its channel and its receptive-field
renders, and from the parts tier up its neuron's natural render), `more_pictures` (a diversity set of 4, and the same unit by three methods), `statistics` (how it
responds over an image set), `load_set` (uploaded photos as a batch), `set_key` (what decides a result over
an image set, for the app's key of shared work).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from models import TIERS, LoadedModel

from ..actmax import Accentuation, accentuate, quality_settings, render
from ..actmax import objectives as O
from ..actmax.accentuation import quality_steps
from ..actmax.settings import PLAIN_ASCENT, YOSINSKI
from ..circuits import Circuit, circuit_on, contributions, make_circuit
from ..core.activations import activations, peak_position
from ..core.digest import tensor_digest
from ..core.figures import heat_overlay, on_background
from ..core.images import fit_square, gallery_dir, image_files, load_image, to_batch
from ..core.receptive_field import field_map
from ..probing.tiers import choose_tiers
from ..serving.cache import DiskCache, model_key
from ..zf.display import field_projection
from ..zf.index import statistics_table
from ..zf.topk import TopExamples, files_identity
from .evidence import Evidence, evidence, patch_panels
from .hierarchy import PER_TIER
from .unit_circuit import field_pictures

Fraction = Callable[[float], None]  # progress as a fraction in [0, 1]
SET_LIMIT = 256  # images read from a folder for the statistics
DIVERSITY_WEIGHT = 50.0  # weight of the diversity term in the diversity set (README's example)
METHODS_NOTE = (
    "Plain gradient ascent on pixels finds the high-frequency patterns the network responds to but a person "
    "does not see as anything; Yosinski et al. (2015) add decay and blur, which keep the picture smooth and "
    "grey-ish; Lucid (Olah et al. 2017) changes the parameterization (a decorrelated 1/f spectrum) and "
    "jitters, scales and rotates the picture at every step, so only patterns that survive those changes "
    "remain: the recognisable ones."
)
# Tiers whose units also get a natural (MACO) render of their centre neuron: there the standard renders are
# textures a student cannot name; natural neuron renders read as one part (an eye, a snout) and were the most
# plausible to the network of the renders measured (docs/natural.md).
NATURAL_TIERS = ("parts", "objects")
NATURAL_CAPTION = "natural (MACO): its centre neuron, one part in context, faded where the unit does not look"


@dataclass(frozen=True)
class PhotoView:
    photo: torch.Tensor  # (3,S,S) the photo as the network sees it
    heat: torch.Tensor  # (3,S,S) the photo under the unit's activation map, its strongest field outlined
    projection: torch.Tensor  # (3,h,w) guided projection of the unit over its strongest neuron's field, cropped
    # to that field
    peak: float  # its strongest activation on the photo


@dataclass(frozen=True)
class MorePictures:
    diversity: list[torch.Tensor]  # 4 renders pushed apart from each other
    methods: dict[str, torch.Tensor]  # method name -> render


def named(model: LoadedModel, layer: str, channel: int) -> Evidence:
    """The unit named by its probe, with its best stimulus over its field and its top patches in the gallery."""
    return evidence(model, [(layer, channel)])[(layer, channel)]


def set_patches(model: LoadedModel, found: TopExamples, channel: int, images=None) -> torch.Tensor | None:
    """Its top patches in an image set already swept (`found` over `images`), enlarged as on the landing."""
    return patch_panels(model, found, [channel], images)[channel]


def on_photo(model: LoadedModel, image: torch.Tensor, layer: str, channel: int) -> PhotoView:
    """The unit on one photo at its strongest activation, shown as the landing shows its units."""
    photo = fit_square(image, model.input_size).float().cpu()
    amap = activations(model, photo[None], layer)[layer][0, channel].float().cpu()
    position = peak_position(amap)
    box = field_map(model, layer).box(*position)
    projection = field_projection(model, photo, layer, channel, position)
    return PhotoView(photo, heat_overlay(photo, amap, box), projection, float(amap.max()))


@dataclass(frozen=True)
class Connections:
    """A unit's place in the chain on one photo (gradient x activation, `viz.circuits`)."""

    built_from: Circuit | None  # its strongest inputs in the landing's layer of the tier below (None: none below)
    target: str | None  # the landing's layer of the tier above (None: none above)
    feeds_into: list[tuple[int, float, float]]  # (target channel, its contribution there, share of that unit's excitation)
    pictures: dict  # (layer, channel) -> field render of every unit named above


def neighbours(model: LoadedModel, layer: str) -> tuple[str | None, str | None]:
    """The landing's layers of the tiers just below and just above `layer`'s tier (None where there is none)."""
    landing = choose_tiers(model).layers
    names = [entry.name for entry in model.layers]
    rank = TIERS.index(model.layer(layer).tier)
    below = [name for tier, name in landing.items() if TIERS.index(tier) < rank and names.index(name) < names.index(layer)]
    above = [name for tier, name in landing.items() if TIERS.index(tier) > rank and names.index(name) > names.index(layer)]
    return (below[-1] if below else None), (above[0] if above else None)


def feed_circuits(model: LoadedModel, photo: torch.Tensor, source: str, target: str, k: int = PER_TIER,
                  batch: int = 16) -> list[Circuit]:
    """Every unit of `target` (by channel), each with its inputs from `source` at its strongest neuron on the
    photo; measured `batch` units at a time, cached."""
    store = DiskCache("hierarchy")
    key = {"stage": "feeds", **model_key(model), "photo": tensor_digest(photo),
           "source": source, "target": target}

    def compute() -> dict:
        channels = list(range(model.layer(target).channels))
        found = []
        for start in range(0, len(channels), batch):
            chunk = channels[start:start + batch]
            images = photo[None].expand(len(chunk), -1, -1, -1)
            found.append(contributions(model, images, target, source, [(c, None) for c in chunk]))
        return {"matrix": torch.cat([rows for rows, _, _ in found]), "values": torch.cat([v for _, _, v in found]),
                "positions": [p for _, positions, _ in found for p in positions]}

    measured = store.get_or_compute(key, compute)
    return [make_circuit(target, t, source, position, row, float(value), k)
            for t, (row, position, value) in enumerate(zip(measured["matrix"], measured["positions"], measured["values"]))]


def connections(model: LoadedModel, image: torch.Tensor, layer: str, channel: int, quality: str = "fast",
                k: int = PER_TIER) -> Connections:
    """What the unit is built from (tier below) and what it feeds into most (tier above), on the photo."""
    photo = fit_square(image, model.input_size).float().cpu()
    source, target = neighbours(model, layer)
    built = circuit_on(model, photo, layer, channel, source, k) if source else None
    feeds = []
    if target:
        above = feed_circuits(model, photo, layer, target, k)
        given = [float(found.contributions[channel]) for found in above]  # what the unit gives each one above
        for found, value in sorted(zip(above, given), key=lambda pair: pair[1], reverse=True)[:k]:
            if value > 0:
                feeds.append((found.channel, value, found.share(value)))
    shown = {}
    if built is not None:
        inputs = [c for c, v in built.inputs if v > 0]
        shown.update(zip([(source, c) for c in inputs], field_pictures(model, source, inputs, quality)))
    if feeds:
        outputs = [t for t, _, _ in feeds]
        shown.update(zip([(target, t) for t in outputs], field_pictures(model, target, outputs, quality)))
    return Connections(built, target, feeds, shown)


def _steps(progress: Fraction | None, first: int, total: int):
    """A render progress callback reporting into a share of the whole job."""
    if progress is None:
        return None
    return lambda done, steps: progress(min(1.0, (first + done / steps) / total))


def unit_renders(model: LoadedModel, layer: str, channel: int, quality: str, progress: Fraction | None = None) -> dict:
    """{caption: picture}: the whole channel, and its centre neuron over its receptive field only; from the
    parts tier up (NATURAL_TIERS) also its centre neuron's natural render, drawn with its transparency."""
    natural = model.layer(layer).tier in NATURAL_TIERS
    parts = 3 if natural else 2
    whole = render(model, [(layer, channel)], settings=quality_settings(quality), progress=_steps(progress, 0, parts))
    field = render(model, [(layer, channel)], settings=quality_settings(quality, field=True),
                   progress=_steps(progress, 1, parts))
    box = field.fields[0]
    shown = {"channel (whole map)": whole.images[0],
             f"neuron: its {box.height}x{box.width}-px field, enlarged": field.images[0]}
    if natural:
        found = render(model, [(layer, channel, None, None)], settings=quality_settings(quality, preset="natural"),
                       progress=_steps(progress, 2, parts))
        shown[NATURAL_CAPTION] = on_background(found.images, found.transparency)[0]
    return shown


def accentuated(model: LoadedModel, image: torch.Tensor, layer: str, channel: int, quality: str,
                progress: Fraction | None = None) -> Accentuation:
    """The photo with the unit accentuated (Hamblin et al. 2024), at the quality's accentuation steps."""
    return accentuate(model, image, layer, channel, steps=quality_steps(quality),
                      progress=_steps(progress, 0, 1))


def more_pictures(model: LoadedModel, layer: str, channel: int, quality: str,
                  progress: Fraction | None = None) -> MorePictures:
    diverse = O.channel(layer, channel) + DIVERSITY_WEIGHT * O.diversity(layer)
    base = quality_settings(quality)
    diversity = render(model, [diverse] * 4, settings=base, progress=_steps(progress, 0, 4)).images
    methods = {}
    for i, (name, settings) in enumerate([
        ("plain gradient ascent", quality_settings(quality, **PLAIN_ASCENT)),
        ("Yosinski et al. 2015", quality_settings(quality, **YOSINSKI)),
        ("Lucid", quality_settings(quality)),
    ], start=1):
        methods[name] = render(model, [(layer, channel)], settings=settings, progress=_steps(progress, i, 4)).images[0]
    return MorePictures(list(diversity), methods)


def load_set(files: Sequence, size: int = 224) -> torch.Tensor:
    """Uploaded photos (bytes, or file objects with a `name`) as one (N,3,size,size) batch; a bad file raises
    ImageError (naming it when it has a name)."""
    return to_batch([load_image(data) for data in files], size)


def set_key(images: torch.Tensor | str | os.PathLike | Sequence | None):
    """What decides a result over an image set: a batch's digest, or its files (a folder's, a list's; None: the
    gallery's) by path, size and modification time, so a changed folder is a new key; a bad folder raises
    ImageError."""
    if isinstance(images, torch.Tensor):
        return tensor_digest(images)
    if isinstance(images, (list, tuple)):
        return files_identity(list(images))
    return files_identity(image_files(images or gallery_dir()))


def statistics(model: LoadedModel, images: torch.Tensor | str | os.PathLike | Sequence | None, layer: str,
               channel: int, batch_size: int = 32) -> dict:
    """How the unit responds over an image set (a batch, a folder, a list of files, or None for the gallery).

    At most SET_LIMIT images of a folder or list are read.
    """
    if isinstance(images, torch.Tensor):
        batches = [images[i : i + batch_size] for i in range(0, len(images), batch_size)]
        count = len(images)
    else:
        listed = images is not None and not isinstance(images, (str, os.PathLike))
        files = (list(images) if listed else image_files(images or gallery_dir()))[:SET_LIMIT]
        batches = [to_batch(files[i : i + batch_size], model.input_size) for i in range(0, len(files), batch_size)]
        count = len(files)
    peaks, means, active = [], [], []
    for batch in batches:
        maps = activations(model, batch, layer)[layer][:, channel].float().flatten(1).cpu()
        peaks.append(maps.amax(dim=1))
        means.append(maps.mean(dim=1))
        active.append((maps > 0).float().mean(dim=1))
    peak, mean, on = torch.cat(peaks), torch.cat(means), torch.cat(active)
    return statistics_table(count, float(peak.max()), float(peak.median()), float(mean.mean()), float(on.mean()))
