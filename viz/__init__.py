"""The engine: a library that shows what the units of a CNN detect. No UI code lives here.

Public calls (see DESIGN.md): `activations`, `classify`, `load_image`, `project` (deconvnet, guided,
gradient) with `to_display` and `deconv_audit`, `top_examples`, `receptive_field`, `occlusion`,
`first_layer_filters`, and, as it lands, `render`.
"""

from models import pick_device

from .activations import activations, classify
from .audit import deconv_audit
from .cache import DiskCache
from .filters import first_layer_filters
from .hooks import Capture, HookScope
from .images import ImageError, load_image, to_batch
from .occlusion import occlusion
from .projection import project, to_display
from .receptive_field import receptive_field
from .rectifiers import RectifierRule
from .topk import top_examples

__version__ = "0.1.0"

__all__ = [
    "Capture",
    "DiskCache",
    "HookScope",
    "ImageError",
    "RectifierRule",
    "activations",
    "classify",
    "deconv_audit",
    "first_layer_filters",
    "load_image",
    "occlusion",
    "pick_device",
    "project",
    "receptive_field",
    "to_batch",
    "to_display",
    "top_examples",
]
