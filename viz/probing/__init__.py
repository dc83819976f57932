"""Units tagged by synthetic stimuli (edge, colour, curve, other): Figure 1.2's tiers measured."""

from .tagging import ORIENTATIONS, TAGS, LayerProbe, probe

__all__ = ["ORIENTATIONS", "TAGS", "LayerProbe", "probe"]
