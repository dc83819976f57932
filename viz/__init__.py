"""The engine: a library that shows what the units of a CNN detect. No UI code lives here.

Public calls: `activations`, `classify`, `load_image`; activation maximization with `render` (what it
maximizes is built with `objectives`; `preset="natural"` for MACO) and `accentuate`; the Zeiler–Fergus family
with `project` (deconvnet, guided, gradient), `to_display`, `deconv_audit`, `top_examples`, `receptive_field`,
`occlusion`, `invariance` and `first_layer_filters`; `probe` tags units with synthetic stimuli (edge, colour, curve,
other); `circuit` says which units of an earlier layer a unit is built from. `viz.views.hierarchy` computes
the app's landing (Figure 1.2 for a photo) in stages; `viz.views.unit_card` and `viz.views.image_view` the
Unit and Image pages. `Index` reads a dataset index (every unit's top-k over a folder of any size, built by
`python -m viz index`).

Packages: `core` (hooks, images, receptive fields, rectifiers, checks: what every method shares), the
methods `actmax`, `zf`, `probing`, `optim` and `circuits` (they never import each other), `views` (what a page or a
figure shows, composed from methods), `jobs` (batch work: atlas, precompute, torchrun), `serving` (disk
cache, single flight, compute budget), `metrics` (how benchmarks and tests judge a picture) and `cli`;
docs/architecture.md draws the layers.
"""

from models import pick_device

from .actmax import Rendering, RenderSettings, accentuate, objectives, render
from .core.activations import activations, classify
from .core.hooks import Capture, HookScope
from .core.images import ImageError, load_image, to_batch
from .core.receptive_field import receptive_field
from .core.rectifiers import RectifierRule
from .probing import probe
from .serving.cache import DiskCache
from .views.unit_circuit import Circuit, circuit
from .zf import deconv_audit, first_layer_filters, invariance, occlusion, project, to_display, top_examples
from .zf.index import Index

__version__ = "0.1.0"

__all__ = [
    "Capture",
    "Circuit",
    "DiskCache",
    "HookScope",
    "ImageError",
    "Index",
    "RectifierRule",
    "RenderSettings",
    "Rendering",
    "accentuate",
    "activations",
    "circuit",
    "classify",
    "deconv_audit",
    "first_layer_filters",
    "invariance",
    "load_image",
    "objectives",
    "occlusion",
    "pick_device",
    "probe",
    "project",
    "receptive_field",
    "render",
    "to_batch",
    "to_display",
    "top_examples",
]
