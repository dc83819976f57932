"""The engine: a library that shows what the units of a CNN detect. No UI code lives here.

Public calls (see DESIGN.md): `activations`, `classify`, `load_image`; activation maximization with
`render` (what it maximizes is built with `objectives`); the Zeiler–Fergus family with `project`
(deconvnet, guided, gradient), `to_display`, `deconv_audit`, `top_examples`, `receptive_field`,
`occlusion` and `first_layer_filters`. `viz.hierarchy` computes the app's landing (Figure 1.2 for a photo)
in stages; `viz.unit_card` and `viz.image_view` the Unit and Image pages.
"""

from models import pick_device

from .activations import activations, classify
from .actmax import RenderSettings, Rendering, objectives, render
from .cache import DiskCache
from .hooks import Capture, HookScope
from .images import ImageError, load_image, to_batch
from .rectifiers import RectifierRule
from .zf import deconv_audit, first_layer_filters, occlusion, project, receptive_field, to_display, top_examples

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
    "deconv_audit",
    "first_layer_filters",
    "load_image",
    "objectives",
    "occlusion",
    "pick_device",
    "project",
    "receptive_field",
    "render",
    "to_batch",
    "to_display",
    "top_examples",
]
