"""The Deep Learning book's Figure 1.2 for one photo: per tier, the units that matter for it, then the class.

The landing page, `python -m viz hierarchy` and the guided tour build on these calls, in stages so that a
page can show the cheap parts first and fill in the renders as they finish:

1. `choose_units(model, image)` -> `Hierarchy`: the photo at the model's size, the top-5 classes, and for
   each tier (edges, contours, parts; the layer the probe's evidence supports, see `choose_tiers`) the 3
   units that contribute most to the predicted class, each with where it fires hardest on the photo and the
   receptive field there. One forward and one backward pass, after the probe that chooses the layers (one
   pass per network, cached per layer); cached on disk.
2. `unit_views(model, hierarchy)` -> `{(layer, channel): UnitView}`: per unit, its guided-backprop
   projection of that strongest activation cropped to the field (what in the photo drove it) and its
   activation map overlaid on the photo with the field outlined. One truncated backward per unit; cached.
3. `tier_renders(model, hierarchy, tier, quality)` -> (N,3,S,S): what each of the tier's units wants,
   rendered at the scale it sees: only its receptive field, enlarged (`render(..., field=True)`), so an
   11-pixel edge detector gets a picture of 11 input pixels, not a speck in a 224-pixel canvas. One batch
   per tier, the low tiers (small canvases) first because they are fastest; cached per unit, so a new
   photo whose units were drawn before (for another photo, or by `python -m viz precompute`) costs no render.

4. `tier_circuits(model, hierarchy)` -> `{(layer, channel): Circuit}`: each contour unit with the edge-tier
   units it is built from, each part unit with its contour-tier units (gradient x activation on the photo,
   `viz.circuits`); one backward per tier, cached. 5. `input_pictures(model, circuits, quality)`: the field
   renders of those inputs, to show them beside the unit (after the tiers' own renders; cached).

6. `tier_accents(model, hierarchy, tier, quality)`: for the contours and parts tiers (`ACCENT_TIERS`), each
unit accentuated in the photo (`viz.actmax.accentuate`: the photo changed to raise the unit, held to its edges).

`viz.views.figures.hierarchy_figure(model, hierarchy, views, renders, ...)` lays the whole strip out as one figure.

How the units are chosen (`by`): "contribution" (default) ranks a layer's channels by gradient x activation
of the predicted class's logit, summed over the map (captum's `LayerGradientXActivation`, computed by
`viz.circuits.layer_scores` under our thread-scoped hooks; a test checks it against captum). That is the
units the prediction leans on, which is the story of Figure 1.2. "activation" ranks them by their mean activation on the photo: simpler,
but it favours units that fire on everything (a few bright channels of a layer win on every photo) and
says nothing about the class; it is offered for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from models import TIERS, LoadedModel
from models.errors import UserError

from ..actmax import Accentuation, accentuate_units, quality_settings
from ..actmax.accentuate import quality_steps
from ..actmax.field import sees_whole_field
from ..actmax.per_unit import unit_images
from ..circuits import SCORES, contributions, layer_scores, make_circuit
from ..core.activations import peak_position
from ..core.digest import tensor_digest
from ..core.figures import colorize
from ..core.images import fit_square
from ..core.receptive_field import Box, crop_field, field_map
from ..probe import probe
from ..serving.cache import DiskCache
from ..zf.display import show
from ..zf.projection import project
from .circuit import pictures as field_pictures

HIDDEN_TIERS = TIERS[:-1]  # Figure 1.2's hidden layers, bottom to top; its top tier, objects, is shown as the class
PER_TIER = 3  # units shown per tier
CHOOSE_BY = SCORES  # how a tier's units can be ranked (`by`, see the module docstring; viz.circuits.layer_scores)
TOP_CLASSES = 5  # classes shown as the output
HEAT_OPACITY = 0.6  # the activation map's share over the dimmed photo in "where it fires"
TIER_SENTENCES = {
    "edges": "First hidden layer: each unit sees a few pixels and answers to an edge, a line or a colour.",
    "contours": "Next: units combine edges into corners, contours and textures over a larger patch.",
    "parts": "Deeper: units see a large part of the photo and answer to object parts (eyes, noses, wheels, fur).",
}


@dataclass(frozen=True)
class TierUnit:
    """One chosen unit: a channel of a tier's layer, and where it fires hardest on the photo."""

    tier: str
    layer: str
    channel: int
    score: float  # its contribution to the predicted class (or its mean activation, by="activation")
    position: tuple[int, int]  # (y, x) of its strongest activation in the layer's map
    box: Box  # the receptive field of that position, in the photo at the model's input size

    @property
    def caption(self) -> str:
        return f"{self.layer} · unit {self.channel} · {self.tier}"


@dataclass(frozen=True)
class Hierarchy:
    """Stage 1: what the landing shows first."""

    image: torch.Tensor  # (3, S, S) the photo as the network sees it, in [0,1]
    predictions: list[tuple[str, float]]  # top-5 (label, probability)
    target: int  # index of the predicted class, the one contributions are measured towards
    units: dict[str, list[TierUnit]]  # tier -> its chosen units, strongest first
    by: str  # "contribution" or "activation"
    maps: dict[tuple[str, int], torch.Tensor]  # (layer, channel) -> (h, w) activation map on the photo
    reasons: dict[str, str] = field(default_factory=dict)  # tier -> why its layer is shown (`choose_tiers`)


@dataclass(frozen=True)
class UnitView:
    """Stage 2 for one unit: what in the photo drove it, and where it fires."""

    projection: torch.Tensor  # (3, h, w) guided projection of the unit over its strongest neuron's field, cropped
    # to that field, shown as its blurred magnitude (viz.zf.display; black where the photo's border cuts the field)
    heat: torch.Tensor  # (3, S, S) the photo with the unit's activation map overlaid and the field outlined


def tier_layers(model: LoadedModel) -> dict[str, str]:
    """For each hidden tier, its deepest layer whose centre unit sees its whole receptive field in the input.

    Deepest, because that is where the tier's kind of feature is most developed; whole field, because a unit
    is then shown with everything it sees, at the scale it sees it (for Lite0: `_blocks.1`, 11 px;
    `_blocks.4`, 67 px; `_blocks.7`, 147 px; `_blocks.8` and later see past the border). A tier whose
    layers all see past the border gets its first layer.
    """
    chosen = {}
    for tier in HIDDEN_TIERS:
        names = [layer.name for layer in model.layers if layer.tier == tier]
        if not names:
            raise UserError(f"{model.name} has no layer tagged {tier!r}; the hierarchy needs one per tier")
        chosen[tier] = next((name for name in reversed(names) if sees_whole_field(model, name)), names[0])
    return chosen


@dataclass(frozen=True)
class TierChoice:
    """The layer shown for each hidden tier and, in words, the evidence that chose it."""

    layers: dict[str, str]  # tier -> layer, bottom to top
    reasons: dict[str, str]  # tier -> why that layer, with the probe's shares


def _shares(verdict) -> str:
    shares = verdict.shares()
    return ", ".join(f"{100 * shares[tag]:.0f}% {tag}" for tag in ("edge", "curve", "colour") if shares[tag] >= 0.005)


def choose_tiers(model: LoadedModel, cache: bool = True) -> TierChoice:
    """The layers Figure 1.2 shows, chosen by the probe (`viz.probe`, cached per layer) where it can tell.

    Edges and contours: their deepest layer whose units see their whole field (`tier_layers`: a unit is shown
    with all it sees). Parts: the first layer tagged parts where curve-tagged units outnumber edge-tagged ones,
    since a layer most of whose units the probe calls edges shows edges, whatever its depth; when no parts
    layer passes (an untrained network), `tier_layers`'s, and the reason says the probe found none.
    """
    fixed = tier_layers(model)
    candidates = [layer.name for layer in model.layers if layer.tier == "parts"]
    verdicts = probe(model, list(dict.fromkeys([fixed["edges"], fixed["contours"], *candidates])), cache=cache)
    layers, reasons = dict(fixed), {}
    for tier in ("edges", "contours"):
        reasons[tier] = (f"`{fixed[tier]}`: the deepest {tier} layer whose units see their whole field "
                         f"({_field(model, fixed[tier])} px); the probe tags its units {_shares(verdicts[fixed[tier]])}.")
    curved = [name for name in candidates
              if verdicts[name].shares()["curve"] > verdicts[name].shares()["edge"]]
    if curved:
        layers["parts"] = curved[0]
        before = candidates[:candidates.index(curved[0])]
        earlier = f"; `{before[-1]}` before it is still {_shares(verdicts[before[-1]])}" if before else ""
        reasons["parts"] = (f"`{curved[0]}`: the first parts layer where curve-tagged units outnumber edge-tagged "
                            f"ones ({_shares(verdicts[curved[0]])}){earlier}.")
    else:
        reasons["parts"] = (f"`{fixed['parts']}`: no parts layer has more curve-tagged units than edge-tagged "
                            f"ones (this one: {_shares(verdicts[fixed['parts']])}), so the probe cannot pick one; "
                            "shown is the deepest parts layer whose units see their whole field.")
    return TierChoice(layers, reasons)


def _field(model: LoadedModel, layer: str) -> int:
    fields = field_map(model, layer)
    return max(fields.size)


def default_layer(model: LoadedModel) -> str:
    """The layer the Atlas and Unit pages open on: the landing's contours layer, the middle of Figure 1.2's
    story (fields small enough to see whole, pictures already recognisable)."""
    return tier_layers(model)["contours"]


def choose_units(model: LoadedModel, image: torch.Tensor, per_tier: int = PER_TIER, by: str = "contribution",
                 cache: bool = True) -> Hierarchy:
    """Stage 1 (see the module docstring); `image` is (3,H,W) in [0,1], any size (squashed to the model's)."""
    photo = fit_square(image, model.input_size).float().cpu()
    choice = choose_tiers(model, cache)
    layers = choice.layers
    store = DiskCache("hierarchy", enabled=cache)
    key = {"stage": "units", "model": model.name, "weights": model.weights_id, "photo": tensor_digest(photo),
           "by": by, "per_tier": per_tier, "layers": layers}

    def compute() -> dict:
        probabilities, scores, acts = layer_scores(model, photo[None], list(layers.values()), by)
        chosen = {}
        for tier, layer in layers.items():
            channels = scores[layer][0].topk(min(per_tier, scores[layer].shape[1])).indices.tolist()
            chosen[tier] = [(c, float(scores[layer][0, c]), acts[layer][0, c]) for c in channels]
        top = probabilities[0].topk(min(TOP_CLASSES, probabilities.shape[1]))
        return {"chosen": chosen, "top": (top.values, top.indices)}

    result = store.get_or_compute(key, compute)
    values, indices = result["top"]
    labels = model.labels or [f"class {i}" for i in range(int(indices.max()) + 1)]
    units, maps = {}, {}
    for tier, layer in layers.items():
        fields = field_map(model, layer)
        units[tier] = []
        for channel, score, amap in result["chosen"][tier]:
            position = peak_position(amap)
            units[tier].append(TierUnit(tier, layer, channel, score, position, fields.box(*position)))
            maps[(layer, channel)] = amap
    predictions = [(labels[int(i)], float(v)) for v, i in zip(values, indices)]
    return Hierarchy(photo, predictions, int(indices[0]), units, by, maps, choice.reasons)


def field_projection(model: LoadedModel, photo: torch.Tensor, layer: str, channel: int, position: tuple[int, int],
                     method: str = "guided") -> torch.Tensor:
    """What in `photo` (3,S,S) drove the unit at `position`: the projection of the unit over that neuron's
    receptive field (`project(..., extent="field")`), shown legibly (`viz.zf.display`: strength, black where
    there is none), cropped to the field."""
    fields = field_map(model, layer)
    signal = project(model, photo[None], layer, channel, method, position=position, extent="field")
    return crop_field(show(signal, model, "magnitude")[0], fields.box(*position), fields.size, fill=0.0)


def outline(image: torch.Tensor, box: Box, colour=(1.0, 0.85, 0.0), width: int = 2) -> torch.Tensor:
    """A copy of (3,H,W) `image` with `box` drawn as a rectangle."""
    out = image.clone()
    c = torch.tensor(colour, dtype=out.dtype).view(3, 1, 1)
    top, left, bottom, right = box.top, box.left, box.bottom, box.right
    out[:, top : top + width, left:right] = c
    out[:, max(bottom - width, top) : bottom, left:right] = c
    out[:, top:bottom, left : left + width] = c
    out[:, top:bottom, max(right - width, left) : right] = c
    return out


def heat_overlay(photo: torch.Tensor, amap: torch.Tensor, box: Box | None = None) -> torch.Tensor:
    """The photo, dimmed, under the activation map (bilinear to the photo's size, its own range, inferno)."""
    size = photo.shape[1:]
    upsampled = F.interpolate(amap[None, None].float(), size=size, mode="bilinear", align_corners=False)[0, 0]
    mixed = (1 - HEAT_OPACITY) * photo.float() + HEAT_OPACITY * colorize(upsampled, vmin=0.0, cmap="inferno")
    return outline(mixed, box) if box is not None else mixed


def unit_views(model: LoadedModel, hierarchy: Hierarchy, method: str = "guided", cache: bool = True) -> dict:
    """Stage 2 (see the module docstring): `{(layer, channel): UnitView}` for every chosen unit."""
    store = DiskCache("hierarchy", enabled=cache)
    key = {"stage": "views", "model": model.name, "weights": model.weights_id, "photo": tensor_digest(hierarchy.image),
           "method": method, "extent": "field", "display": "magnitude",
           "units": [(u.layer, u.channel, u.position) for us in hierarchy.units.values() for u in us]}

    def compute() -> dict:
        shown = {}
        for units in hierarchy.units.values():
            for u in units:
                shown[f"{u.layer}/{u.channel}"] = field_projection(model, hierarchy.image, u.layer, u.channel,
                                                                   u.position, method)
        return shown

    projections = store.get_or_compute(key, compute)
    return {
        (u.layer, u.channel): UnitView(projections[f"{u.layer}/{u.channel}"],
                                       heat_overlay(hierarchy.image, hierarchy.maps[(u.layer, u.channel)], u.box))
        for units in hierarchy.units.values() for u in units
    }


def tier_renders(model: LoadedModel, hierarchy: Hierarchy, tier: str, quality: str = "fast", progress=None,
                 cache: bool = True, **overrides) -> torch.Tensor:
    """Stage 3 for one tier: (N,3,S,S), each chosen unit's receptive-field render (its centre neuron).

    Cached per unit (`viz.actmax.per_unit`): a unit drawn for another photo, or by `python -m viz precompute`,
    is not drawn again; the missing ones are one batch. `overrides` change RenderSettings fields of the quality
    level (e.g. `steps=1` for a quick check).
    """
    if tier not in hierarchy.units:
        raise UserError(f"unknown tier {tier!r}; choose one of {', '.join(hierarchy.units)}")
    units = [(u.layer, u.channel) for u in hierarchy.units[tier]]
    return unit_images(model, units, quality_settings(quality, field=True, **overrides), progress, cache)


ACCENT_TIERS = ("contours", "parts")  # tiers whose units the landing also shows accentuated in the photo


def tier_accents(model: LoadedModel, hierarchy: Hierarchy, tier: str, quality: str = "fast", progress=None,
                 **overrides) -> list[Accentuation]:
    """Each chosen unit of `tier` accentuated in the photo (feature accentuation), one batch, at the quality's
    accentuation steps (`viz.actmax.accentuate.quality_steps`); `overrides` change AccentSettings fields."""
    if tier not in hierarchy.units:
        raise UserError(f"unknown tier {tier!r}; choose one of {', '.join(hierarchy.units)}")
    units = [(u.layer, u.channel) for u in hierarchy.units[tier]]
    return accentuate_units(model, hierarchy.image, units, progress=progress,
                            **{"steps": quality_steps(quality), **overrides})


def tier_circuits(model: LoadedModel, hierarchy: Hierarchy, k: int = PER_TIER, cache: bool = True) -> dict:
    """Stage 4: `{(layer, channel): Circuit}`, each contour and part unit with its inputs in the tier below.

    Measured on the photo at the unit's strongest neuron (gradient x activation, `viz.circuits`), one
    truncated forward and backward per tier for all its units; cached. A tier's first tier has no circuit.
    """
    tiers = list(hierarchy.units)
    store = DiskCache("hierarchy", enabled=cache)
    key = {"stage": "circuits", "model": model.name, "weights": model.weights_id, "photo": tensor_digest(hierarchy.image),
           "units": [(u.layer, u.channel, u.position) for us in hierarchy.units.values() for u in us]}
    pairs = [(tier, hierarchy.units[below][0].layer) for below, tier in zip(tiers, tiers[1:])
             if hierarchy.units[tier] and hierarchy.units[below]]

    def compute() -> dict:
        measured = {}
        for tier, source in pairs:
            units = hierarchy.units[tier]
            images = hierarchy.image[None].expand(len(units), -1, -1, -1)
            rows, _, values = contributions(model, images, units[0].layer, source,
                                            [(u.channel, u.position) for u in units])
            for u, row, value in zip(units, rows, values):
                measured[f"{u.layer}/{u.channel}"] = (source, row, float(value))
        return measured

    measured = store.get_or_compute(key, compute)
    return {(u.layer, u.channel): make_circuit(u.layer, u.channel, measured[f"{u.layer}/{u.channel}"][0], u.position,
                                               measured[f"{u.layer}/{u.channel}"][1],
                                               measured[f"{u.layer}/{u.channel}"][2], k)
            for tier, _ in pairs for u in hierarchy.units[tier]}


def input_units(circuits: dict) -> list[tuple[str, int]]:
    """[(source layer, channel)]: every input that excites at least one circuit's unit, once, in first-seen
    order: the inputs a "built from" row draws."""
    return list(dict.fromkeys((found.source, c) for found in circuits.values() for c, v in found.inputs if v > 0))


def input_pictures(model: LoadedModel, circuits: dict, quality: str = "fast", progress=None, cache: bool = True,
                   **overrides) -> dict:
    """Stage 5: `{(source layer, channel): picture}`, the field render of every excitatory input, one batch per layer.

    `overrides` change RenderSettings fields of the quality level, as in `tier_renders`.
    """
    wanted: dict[str, list[int]] = {}
    for source, channel in input_units(circuits):
        wanted.setdefault(source, []).append(channel)
    shown = {}
    for source, channels in wanted.items():
        channels = sorted(channels)
        images = field_pictures(model, source, channels, quality, cache, progress, **overrides)
        shown.update(zip([(source, c) for c in channels], images))
    return shown
