"""The guided tour: Figure 1.2 told in steps for one photo (the photo; edges; corners and contours; object
parts; the class), each with a few sentences for a class to read on a projector.

`landing(model, image, quality)` is everything the tour (and the Layers landing page) shows for a photo: the
chosen units per tier, what in the photo drove them, what they want to see, and each unit's name in words,
best probe stimulus and top real patches, through the same cached calls of `viz.views.hierarchy` and
`viz.views.evidence`. `python -m viz precompute` runs it for every gallery photo, trained and untrained,
so each step appears at once on a laptop CPU, offline.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from models import LoadedModel

from ..core.progress import Progress
from ..zf.index import Index
from . import evidence, hierarchy


@dataclass(frozen=True)
class Step:
    title: str
    tier: str | None  # the hierarchy tier shown, None for the photo and the class
    text: str  # what the teacher reads out; {label} is the predicted class


STEPS = (
    Step("The photo", None, "To the network this photo is only numbers: three per pixel (red, green, blue). "
         "Layer by layer it turns them into a name. Each step up, a unit sees a larger patch of the photo."),
    Step("Edges", "edges", hierarchy.TIER_SENTENCES["edges"] + " Each unit is named by the stimulus that drives it "
         "most, with how strongly it drives it next to the unit's best photo patch; when no stimulus comes close, by "
         "its photos. Left to right: what the unit wants to see, at the scale it sees; that stimulus, drawn sharp; the "
         "patches of real photos that drive it most; the part of this photo that drove it; where it fires."),
    Step("Corners and contours", "contours", hierarchy.TIER_SENTENCES["contours"] + " These units never saw a "
         "pixel: they combine the edge units below them. Under each unit: the three edge units it is built "
         "from on this photo, with their share of its excitation."),
    Step("Object parts", "parts", hierarchy.TIER_SENTENCES["parts"] + " Under each unit: the three contour units "
         "it is built from on this photo."),
    Step("The class", None, "At the top the network names the object: {label}. Nobody told it what an edge or a "
         "part is; training on labelled photos made these detectors. Switch to the untrained network to see "
         "the same layers with random weights: no edges, no parts, no answer."),
)


@dataclass(frozen=True)
class Landing:
    """What the tour shows for one photo and model."""

    found: hierarchy.Hierarchy
    views: dict  # (layer, channel) -> hierarchy.UnitView
    renders: dict  # tier -> (N,3,S,S) field renders of its chosen units
    evidence: dict  # (layer, channel) -> evidence.Evidence: its name in words, best stimulus, top patches
    circuits: dict  # (layer, channel) -> Circuit: a contour or part unit's strongest inputs in the tier below
    inputs: dict  # (source layer, channel) -> the field render of each excitatory input of a circuit
    input_words: dict  # (source layer, channel) -> that input's name in short words, with its support


def landing(model: LoadedModel, image: torch.Tensor, quality: str = "fast", progress: Progress | None = None,
            index: Index | None = None) -> Landing:
    """Every stage of `viz.views.hierarchy` for the photo (units, views, each tier's renders, what each unit is built
    from and its inputs' pictures), then the units' evidence; each is cached. The top patches of a layer a
    dataset `index` covers come from the index (`viz.views.evidence.evidence`)."""
    found = hierarchy.choose_units(model, image)
    views = hierarchy.unit_views(model, found)
    stages = len(found.units) + 2
    renders = {}
    for done, tier in enumerate(found.units):
        renders[tier] = hierarchy.tier_renders(model, found, tier, quality)
        if progress is not None:
            progress(done + 1, stages)
    circuits = hierarchy.tier_circuits(model, found)
    inputs = hierarchy.input_pictures(model, circuits, quality)
    input_words = evidence.unit_words(model, hierarchy.input_units(circuits), index=index)
    if progress is not None:
        progress(stages - 1, stages)
    named = evidence.evidence(model, [(u.layer, u.channel) for units in found.units.values() for u in units],
                              index=index)
    if progress is not None:
        progress(stages, stages)
    return Landing(found, views, renders, named, circuits, inputs, input_words)
