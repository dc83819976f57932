"""Activation maximization: pictures of what a unit wants (Olah et al. 2017; Yosinski et al. 2015).

`render(model, units, ...)` is the entry point; `objectives` builds what it maximizes. `accentuate` starts
from a photo instead (feature accentuation).
"""

from . import objectives
from .accentuation import Accentuation, accentuate, accentuate_units
from .rendering import Rendering, render
from .settings import PRESETS, QUALITY, RenderSettings, quality_settings

__all__ = ["PRESETS", "Accentuation", "accentuate", "accentuate_units", "QUALITY", "RenderSettings", "Rendering",
           "objectives", "quality_settings", "render"]
