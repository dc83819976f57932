"""Tag a layer's units by probing them with synthetic stimuli: Figure 1.2's claim, measured without a download.

Every stimulus fills the model's input and is centred on its middle; a unit's response is the activation of its
channel at the centre of the map (the unit whose receptive field is centred on the stimulus), read before the
layer's saturating rectifier (`Layer.pre`) so a saturated unit still ranks its stimuli. Kinds of stimuli:

- edge: step edges (black/white and colour-opponent red/green, blue/yellow, both polarities) and sinusoidal
  gratings (periods 4-32 px, four phases), at 12 orientations 15 degrees apart;
- colour: flat colours (every mix of 0, 0.5, 1 per channel but mid-grey);
- curve: curved edges (the boundary of a disc of radius 4-32 px through the centre, 8 directions, both
  polarities) and right-angle corners (apex at the centre, 8 directions, both polarities).

Orientation is the angle of the edge line (or the grating's stripes) in degrees from horizontal, counter-
clockwise, in [0, 180): a vertical edge, brightness changing left to right, is 90; a horizontal one is 0.

Tag rule (README): responses are taken relative to the unit's response to mid-grey. A unit no stimulus drives
above its grey response by more than `DRIVE` of its largest response magnitude is `other`. Otherwise the kinds
are tried from the simplest, colour, then edge, then curve: a kind takes the tag only if its best stimulus
beats the current tag's best by `MARGIN` (a broad grating is locally a flat field, a large arc locally a
straight edge, so a tie goes to the simpler explanation). The orientation is the circular mean of the edge
stimuli that drive the unit within 1% of its best edge (on a 3x3 field, edges 15 degrees apart can tie).
Selectivity: (best of the tagged kind - best of the other kinds) / (their absolute sum), clipped to [0, 1];
0 means another kind drives the unit as much.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.checks import check_channel
from ..core.hooks import Capture
from ..core.images import GREY
from ..core.progress import Progress
from ..core.receptive_field import Box
from ..serving.cache import CacheChoice, model_key, store_for
from .words import describe

KINDS = ("edge", "colour", "curve")
TAGS = KINDS + ("other",)
ORIENTATIONS = tuple(range(0, 180, 15))  # degrees: the bank's orientation step is 15
GRATING_PERIODS = (4, 8, 16, 32)  # pixels at the model's input size
PHASES = (0, 90, 180, 270)  # degrees
RADII = (4, 8, 16, 32)  # pixels: curvature radii of the curved edges
DIRECTIONS = tuple(range(0, 360, 45))  # degrees: where a curve's centre (or a corner's opening) points
EDGE_COLOURS = (((1, 1, 1), (0, 0, 0)), ((1, 0, 0), (0, 1, 0)), ((0, 0, 1), (1, 1, 0)))  # light/dark, opponent
FLAT_COLOURS = tuple((r / 2, g / 2, b / 2) for r in range(3) for g in range(3) for b in range(3) if (r, g, b) != (1, 1, 1))
DRIVE = 0.05  # a unit is driven when its best stimulus beats grey by this share of its largest |response|
MARGIN = 0.10  # a more complex kind must beat the simpler one's best by this fraction to take the tag
PRECEDENCE = ("colour", "edge", "curve")  # simplest first
TIE = 0.01  # edge stimuli within this fraction of the best edge count towards the orientation
BATCH = 32  # stimuli per forward pass


@dataclass(frozen=True)
class Stimulus:
    """One image of the bank: its kind, family, parameters and a readable name."""

    kind: str  # "edge", "colour" or "curve"
    family: str  # "edge", "opponent", "grating", "flat", "curved edge", "corner"
    orientation: float | None  # degrees, for straight edges and gratings
    params: tuple  # the drawing's own parameters (see `_draw`)

    @property
    def name(self) -> str:
        shown = ", ".join(str(p) for p in self.params)
        return f"{self.family} ({shown})"


def stimulus_bank() -> list[Stimulus]:
    """Every stimulus, in a fixed order (its index is the column of `LayerProbe.responses`)."""
    bank = []
    for theta in ORIENTATIONS:
        for light, dark in EDGE_COLOURS:
            family = "edge" if light == (1, 1, 1) else "opponent"
            for polarity in (1, -1):
                bank.append(Stimulus("edge", family, float(theta), (theta, polarity, light, dark)))
        for period in GRATING_PERIODS:
            for phase in PHASES:
                bank.append(Stimulus("edge", "grating", float(theta), (theta, period, phase)))
    bank += [Stimulus("colour", "flat", None, (colour,)) for colour in FLAT_COLOURS]
    for direction in DIRECTIONS:
        for polarity in (1, -1):
            bank += [Stimulus("curve", "curved edge", None, (radius, direction, polarity)) for radius in RADII]
            bank.append(Stimulus("curve", "corner", None, (direction, polarity)))
    return bank


def _coordinates(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel coordinates, x to the right and y *up*, origin at pixel (size // 2, size // 2): the centre of the
    field of a stride-1 map's middle unit, so a 3x3 unit sees an edge through its own centre pixel."""
    axis = torch.arange(size, dtype=torch.float32) - size // 2
    return axis.view(1, -1).expand(size, size), -axis.view(-1, 1).expand(size, size)


def _two_colours(mask: torch.Tensor, light, dark) -> torch.Tensor:
    """Blend two colours by a [0,1] mask (1: light)."""
    a = torch.tensor(light, dtype=torch.float32).view(3, 1, 1)
    b = torch.tensor(dark, dtype=torch.float32).view(3, 1, 1)
    return b + (a - b) * mask


def _draw(stimulus: Stimulus, x: torch.Tensor, y: torch.Tensor, ramp: float = 1.0) -> torch.Tensor:
    """(3, H, W) in [0,1] at the coordinates `x`, `y` (input pixels from the centre, y up); step edges are
    anti-aliased over `ramp` input pixels (1: one pixel of the network's input)."""
    p = stimulus.params
    if stimulus.family in ("edge", "opponent"):
        theta, polarity, light, dark = p
        t = math.radians(theta)
        across = -math.sin(t) * x + math.cos(t) * y  # signed distance from the line through the centre
        return _two_colours((0.5 + polarity * across / ramp).clamp(0, 1), light, dark)
    if stimulus.family == "grating":
        theta, period, phase = p
        t = math.radians(theta)
        across = -math.sin(t) * x + math.cos(t) * y
        return (0.5 + 0.5 * torch.cos(2 * math.pi * across / period + math.radians(phase))).expand(3, -1, -1)
    if stimulus.family == "flat":
        return _two_colours(torch.ones_like(x), p[0], p[0])
    if stimulus.family == "curved edge":
        radius, direction, polarity = p
        d = math.radians(direction)
        inside = radius - torch.hypot(x - radius * math.cos(d), y - radius * math.sin(d))
        return _two_colours((0.5 + polarity * inside / ramp).clamp(0, 1), (1, 1, 1), (0, 0, 0))
    direction, polarity = p  # a right-angle corner opening towards `direction`
    d = math.radians(direction)
    u, v = math.cos(d) * x + math.sin(d) * y, -math.sin(d) * x + math.cos(d) * y
    inside = (u - v.abs()) / math.sqrt(2)  # signed distance to the wedge |v| < u (a right angle)
    return _two_colours((0.5 + polarity * inside / ramp).clamp(0, 1), (1, 1, 1), (0, 0, 0))


def draw(stimuli: Sequence[Stimulus], size: int) -> torch.Tensor:
    """(N, 3, size, size) images of the stimuli."""
    x, y = _coordinates(size)
    return torch.stack([_draw(s, x, y) for s in stimuli])


def draw_field(stimulus: Stimulus, size: int, box: Box, scale: int) -> torch.Tensor:
    """The part of the `size`-px stimulus inside `box`, drawn afresh at `scale` display pixels per input pixel.

    Not the probe's pixels enlarged: every display pixel samples the stimulus at its own centre and step edges
    are anti-aliased over one display pixel, so a unit's 11-px field shows a crisp edge at 99 px. Averaged over
    each `scale` x `scale` block it gives back (within the anti-aliasing) the probe's own pixels in the box.
    """
    if scale < 1:
        raise UserError(f"the display scale must be a whole number >= 1, not {scale}")

    def axis(start: int, length: int) -> torch.Tensor:
        return start + (torch.arange(length * scale, dtype=torch.float32) + 0.5) / scale - 0.5 - size // 2

    cols, rows = axis(box.left, box.width), axis(box.top, box.height)
    x = cols.view(1, -1).expand(len(rows), -1)
    y = -rows.view(-1, 1).expand(-1, len(cols))
    return _draw(stimulus, x, y, ramp=1.0 / scale)


@dataclass(frozen=True)
class UnitProbe:
    """One unit's verdict: what the Unit page shows beside its renders."""

    layer: str
    channel: int
    tag: str  # "edge", "colour", "curve" or "other"
    orientation: float | None  # degrees in [0, 180) for an edge unit, else None
    selectivity: float  # how much its best stimulus beats its best stimulus of the other kinds (module doc)
    best: Stimulus  # the stimulus that drives it most
    best_image: torch.Tensor  # (3, H, W) in [0,1]: that stimulus as the network saw it
    tagged: Stimulus | None = None  # its best stimulus of its tag's kind (a step edge before a grating on a
    # tie), None for "other": what its name in words describes
    response: float | None = None  # the unit's own activation (not relative to grey) to `tagged`, or to `best`
    # for "other": what its support compares with real photos (`viz.views.naming`)

    @property
    def words(self) -> str:
        """Its name in words, e.g. "edge, 90° (vertical), dark-to-light" (`viz.probing.words`)."""
        return describe(self.tag, self.orientation, self.tagged)


@dataclass
class LayerProbe:
    """Responses of one layer's units to the whole bank, and the tags derived from them."""

    layer: str
    bank: list[Stimulus]
    responses: torch.Tensor  # (C, S): unit c's response to stimulus s, minus its response to grey
    size: int  # side of the stimuli in pixels (the model's input size)
    grey: torch.Tensor | None = None  # (C,): each unit's own response to mid-grey (None: not recorded)

    def _kind_best(self) -> torch.Tensor:
        """(C, 3): each unit's best relative response within each kind."""
        kinds = torch.tensor([KINDS.index(s.kind) for s in self.bank])
        return torch.stack([self.responses[:, kinds == k].amax(dim=1) for k in range(len(KINDS))], dim=1)

    def tags(self) -> list[str]:
        kind_best = self._kind_best()
        scale = self.responses.abs().amax(dim=1)
        tags = []
        for c in range(self.responses.shape[0]):
            best = dict(zip(KINDS, kind_best[c].tolist()))
            tag = PRECEDENCE[0]
            for kind in PRECEDENCE[1:]:
                if best[kind] > best[tag] + MARGIN * abs(best[tag]):
                    tag = kind
            top = max(best.values())
            tags.append(tag if top > 0 and top > DRIVE * float(scale[c]) else "other")
        return tags

    def shares(self) -> dict[str, float]:
        """The fraction of the layer's units with each tag."""
        tags = self.tags()
        return {tag: tags.count(tag) / len(tags) for tag in TAGS}

    def top(self, channel: int, k: int = 4) -> tuple[torch.Tensor, list[Stimulus]]:
        """The unit's `k` best stimuli, strongest first: (k, 3, H, W) images and what they are."""
        channel = check_channel(channel, self.responses.shape[0], self.layer)
        order = self.responses[channel].argsort(descending=True)[:k].tolist()
        chosen = [self.bank[i] for i in order]
        return draw(chosen, self.size), chosen

    def unit(self, channel: int) -> UnitProbe:
        channel = check_channel(channel, self.responses.shape[0], self.layer)
        tag = self.tags()[channel]
        kind_best = self._kind_best()[channel]
        row = self.responses[channel]
        best_index = int(row.argmax())
        orientation = None
        if tag == "edge":
            edges = [i for i, s in enumerate(self.bank) if s.kind == "edge"]
            values = row[edges]
            near = [self.bank[edges[i]].orientation for i in range(len(edges)) if values[i] >= (1 - TIE) * values.max()]
            orientation = _axial_mean(near)
        if tag == "other":
            selectivity = 0.0
        else:
            k = KINDS.index(tag)
            rest = torch.cat([kind_best[:k], kind_best[k + 1:]]).max()
            selectivity = float(((kind_best[k] - rest) / (kind_best[k].abs() + rest.abs()).clamp(min=1e-12)).clamp(0, 1))
        best = self.bank[best_index]
        tagged = self._tagged(channel, tag)
        shown = self.bank.index(tagged) if tagged is not None else best_index
        response = None if self.grey is None else float(row[shown] + self.grey[channel])
        x, y = _coordinates(self.size)
        return UnitProbe(self.layer, channel, tag, orientation, selectivity, best, _draw(best, x, y), tagged, response)

    def _tagged(self, channel: int, tag: str) -> Stimulus | None:
        """The unit's best stimulus of its tag's kind; for an edge, a step edge wins over a grating within `TIE`
        (on a small field a grating's half-period is a step edge, and a step edge has a polarity to name)."""
        if tag == "other":
            return None
        row = self.responses[channel]
        ofkind = [i for i, s in enumerate(self.bank) if s.kind == tag]
        best = max(ofkind, key=lambda i: float(row[i]))
        steps = [i for i in ofkind if self.bank[i].family in ("edge", "opponent")]
        if steps:
            step = max(steps, key=lambda i: float(row[i]))
            if row[step] >= (1 - TIE) * row[best]:
                best = step
        return self.bank[best]


def _axial_mean(degrees: Sequence[float]) -> float:
    """Mean of orientations (angles mod 180), by doubling them on the circle; in [0, 180)."""
    doubled = [math.radians(2 * d) for d in degrees]
    angle = math.degrees(math.atan2(sum(map(math.sin, doubled)), sum(map(math.cos, doubled)))) / 2
    return round(angle, 1) % 180


def _centre(t: torch.Tensor) -> torch.Tensor:
    """(B, C) activation at the centre of each map (a flat output is taken as it is)."""
    if t.dim() == 4:
        return t[:, :, t.shape[2] // 2, t.shape[3] // 2]
    return t.flatten(1) if t.dim() == 2 else t.flatten(2).mean(dim=2)


@torch.no_grad()
def _responses(model: LoadedModel, layers: list[str], progress: Progress | None) -> dict:
    bank = stimulus_bank()
    size = model.input_size
    stimuli = [Stimulus("colour", "flat", None, ((GREY, GREY, GREY),))] + bank  # grey first: the reference
    out: dict[str, list[torch.Tensor]] = {layer: [] for layer in layers}
    with Capture(model, layers, pre_relu=True) as capture:
        for start in range(0, len(stimuli), BATCH):
            images = draw(stimuli[start:start + BATCH], size).to(model.device)
            for layer, t in capture.run(model.normalize(images)).items():
                out[layer].append(_centre(t.float()).cpu())
            if progress is not None:
                progress(min(start + BATCH, len(stimuli)), len(stimuli))
    result = {}
    for layer, pieces in out.items():
        r = torch.cat(pieces).T  # (C, 1 + S)
        result[layer] = {"responses": r[:, 1:] - r[:, :1], "grey": r[:, 0].clone()}
    return result


def probe(
    model: LoadedModel,
    layers: str | Sequence[str],
    progress: Progress | None = None,
    cache: CacheChoice = True,
) -> LayerProbe | dict[str, LayerProbe]:
    """Probe one layer (a name: returns its `LayerProbe`) or several in one pass (a list: `{name: LayerProbe}`).

    The network runs only as far as the deepest layer asked for. Results are cached on disk per layer, so a
    later call for some of the same layers (the landing's tiers after the layers it chose them from) runs
    no pass; the layers not cached yet are probed together, in one pass.
    """
    names = [layers] if isinstance(layers, str) else list(dict.fromkeys(layers))
    if not names:
        raise UserError("nothing to probe: name at least one layer")
    store = store_for(cache, "probes")
    base = model_key(model)
    found = {name: store.load(store.key({**base, "layer": name})) for name in names}
    missing = [name for name in names if found[name] is None]
    if missing:
        computed = store.get_or_compute({**base, "layers": missing}, lambda: _responses(model, missing, progress))
        for name in missing:
            found[name] = computed[name]
            store.save(store.key({**base, "layer": name}), computed[name])
    bank = stimulus_bank()
    probes = {name: LayerProbe(name, bank, found[name]["responses"], model.input_size, found[name]["grey"])
              for name in names}
    return probes[names[0]] if isinstance(layers, str) else probes
