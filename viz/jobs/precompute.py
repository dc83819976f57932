"""Fill the disk cache for a classroom before it starts, so the app answers at once on a laptop CPU, offline.

What a class opens first: the Layers landing (every unit of its three layers rendered, so a photo a student
brings only costs what depends on the photo; with what each unit is built from, and its contour and part
units accentuated in the photo) and the guided tour for
every gallery photo (trained, and untrained for the tour's contrast), the Layer atlas page on its default
layer, and for every visualizable layer the gallery's top-9 sweep that the Top-9 page and the units'
evidence cards read, and the gallery's dataset index of every layer (offered in the sidebar as
`gallery-<model>`); all at one quality (fast, balanced or best, the sidebar's choice). Each task computes only what the cache lacks, so a second run
computes nothing. The app and a running precompute share the cache folder; a piece both ask for at once is
computed by one of them (`viz.serving.flight`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import models
from models import LoadedModel

from ..actmax import quality_settings
from ..actmax.per_unit import unit_pictures
from ..core.images import gallery_dir, image_files, load_image
from ..core.progress import Progress
from ..probing.tiers import default_layer
from ..views import hierarchy
from ..views.tour import landing
from ..zf.index import index_root
from ..zf.topk import top_examples
from .atlas import atlas_units
from .index import build_index


@dataclass(frozen=True)
class Task:
    """One piece of the classroom cache."""

    name: str  # what it fills, for the progress bar
    run: Callable[[Progress | None], object]  # computes what the cache lacks (reads the rest)


def classroom_tasks(model: LoadedModel, quality: str = "fast") -> list[Task]:
    """The tasks: gallery sweeps of every layer, the field render of every unit of the landing's three layers (so
    the landing of any new photo renders nothing), the landing of every gallery photo, the default atlas layer."""
    untrained = models.load(model.name, weights="none", device=model.device)

    def sweep(layer: str) -> Task:
        return Task(f"top-9 sweep of {layer}",
                    lambda progress: top_examples(model, None, layer, k=9, per_image=True, progress=progress))

    def photo(net: LoadedModel, path) -> Task:
        label = "untrained" if net.untrained else "trained"

        def run(progress):
            found = landing(net, load_image(path), quality, progress).found
            return [hierarchy.tier_accents(net, found, tier, quality) for tier in hierarchy.ACCENT_TIERS]

        return Task(f"landing and tour of {path.name} ({label})", run)

    def atlas(progress):
        units = atlas_units(model, [default_layer(model)])
        return list(unit_pictures(model, units, quality_settings(quality), progress=progress))

    def index(progress):
        return build_index(model, gallery_dir(), index_root() / gallery_index_name(model),
                           [layer.name for layer in model.layers], progress=progress)

    photos = image_files(gallery_dir())
    return [*(sweep(layer.name) for layer in model.layers),
            Task("field renders of every unit of the landing's layers (a new photo's units come drawn)",
                 lambda progress: landing_renders(model, quality, progress)),
            Task(f"dataset index of the gallery ({gallery_index_name(model)})", index),
            *(photo(net, path) for net in (model, untrained) for path in photos),
            Task(f"atlas of {default_layer(model)}", atlas)]


def landing_renders(model: LoadedModel, quality: str = "fast", progress: Progress | None = None) -> list:
    """The field render of every unit of the landing's three layers (`choose_tiers`), cached per unit: after it,
    the landing of any photo renders nothing, its units and their inputs being among them."""
    layers = list(dict.fromkeys(hierarchy.choose_tiers(model).layers.values()))
    return list(unit_pictures(model, atlas_units(model, layers), quality_settings(quality, field=True),
                              progress=progress))


def gallery_index_name(model: LoadedModel) -> str:
    """The folder name of the gallery's index for this model and weights, under `index_root()`."""
    weights = {"default": "", "none": "-untrained"}.get(model.weights, f"-{model.weights_id[:8]}")
    return f"gallery-{model.name}{weights}"
