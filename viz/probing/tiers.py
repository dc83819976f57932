"""Which layer shows each of Figure 1.2's hidden tiers: the one home of that choice, for the landing, the jobs,
the CLI and the pages.

`whole_field_layers` is the structural choice (per tier, its deepest layer whose units see their whole field);
`choose_tiers` is the one the landing shows: the probe's evidence moves the parts tier to where curve-tagged
units outnumber edge-tagged ones, and says why in words. `default_layer` is where the Atlas and Unit pages open.
(`LoadedModel.tier_layers(tier)` in `models` is another question: every layer tagged with a tier.)
"""

from __future__ import annotations

from dataclasses import dataclass

from models import TIERS, LoadedModel
from models.errors import UserError

from ..core.receptive_field import field_map, sees_whole_field
from ..serving.cache import CacheChoice
from .tagging import LayerProbe, probe

HIDDEN_TIERS = TIERS[:-1]  # Figure 1.2's hidden layers, bottom to top; its top tier, objects, is shown as the class
SHOWN_TAGS = ("edge", "curve", "colour")  # the probe's tags a reason names, with their shares
MIN_SHARE = 0.005  # a tag's share below this (0% once rounded) is left out of a reason


@dataclass(frozen=True)
class TierChoice:
    """The layer shown for each hidden tier and, in words, the evidence that chose it."""

    layers: dict[str, str]  # tier -> layer, bottom to top
    reasons: dict[str, str]  # tier -> why that layer, with the probe's shares


def whole_field_layers(model: LoadedModel) -> dict[str, str]:
    """For each hidden tier, its deepest layer whose centre unit sees its whole receptive field in the input.

    Deepest, because that is where the tier's kind of feature is most developed; whole field, because a unit
    is then shown with everything it sees, at the scale it sees it (for Lite0: `_blocks.1`, 11 px;
    `_blocks.4`, 67 px; `_blocks.7`, 147 px; `_blocks.8` and later see past the border). A tier whose
    layers all see past the border gets its first layer.
    """
    chosen = {}
    for tier in HIDDEN_TIERS:
        names = [layer.name for layer in model.tier_layers(tier)]
        if not names:
            raise UserError(f"{model.name} has no layer tagged {tier!r}; the hierarchy needs one per tier")
        chosen[tier] = next((name for name in reversed(names) if sees_whole_field(model, name)), names[0])
    return chosen


def default_layer(model: LoadedModel) -> str:
    """The layer the Atlas and Unit pages open on: the landing's contours layer, the middle of Figure 1.2's
    story (fields small enough to see whole, pictures already recognisable)."""
    return whole_field_layers(model)["contours"]


def _shares(verdict: LayerProbe) -> str:
    shares = verdict.shares()
    return ", ".join(f"{100 * shares[tag]:.0f}% {tag}" for tag in SHOWN_TAGS if shares[tag] >= MIN_SHARE)


def _field_side(model: LoadedModel, layer: str) -> int:
    return max(field_map(model, layer).size)


def choose_tiers(model: LoadedModel, cache: CacheChoice = True) -> TierChoice:
    """The layers Figure 1.2 shows, chosen by the probe (`probe`, cached per layer) where it can tell.

    Edges and contours: their deepest layer whose units see their whole field (`whole_field_layers`: a unit is
    shown with all it sees). Parts: the first layer tagged parts where curve-tagged units outnumber edge-tagged
    ones, since a layer most of whose units the probe calls edges shows edges, whatever its depth; when no parts
    layer passes (an untrained network), `whole_field_layers`'s, and the reason says the probe found none.
    """
    fixed = whole_field_layers(model)
    candidates = [layer.name for layer in model.tier_layers("parts")]
    verdicts = probe(model, list(dict.fromkeys([fixed["edges"], fixed["contours"], *candidates])), cache=cache)
    layers, reasons = dict(fixed), {}
    for tier in ("edges", "contours"):
        reasons[tier] = (f"`{fixed[tier]}`: the deepest {tier} layer whose units see their whole field "
                         f"({_field_side(model, fixed[tier])} px); the probe tags its units "
                         f"{_shares(verdicts[fixed[tier]])}.")
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
