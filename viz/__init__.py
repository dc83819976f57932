"""The engine: a library that shows what the units of a CNN detect. No UI code lives here.

Public calls (see DESIGN.md): `activations`, `classify`, `load_image`, `render` (what it maximizes is
built with `objectives`), and, as they land, `project`, `top_examples`.
"""

from models import pick_device

from .activations import activations, classify
from .actmax import RenderSettings, Rendering, objectives, render
from .cache import DiskCache
from .hooks import Capture, HookScope
from .images import ImageError, load_image, to_batch
from .rectifiers import RectifierRule

__version__ = "0.1.0"

__all__ = [
    "Capture",
    "DiskCache",
    "HookScope",
    "ImageError",
    "RectifierRule",
    "RenderSettings",
    "Rendering",
    "activations",
    "classify",
    "load_image",
    "objectives",
    "pick_device",
    "render",
    "to_batch",
]
