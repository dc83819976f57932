"""The Zeiler–Fergus family (Zeiler & Fergus 2014): what real images make a unit fire, and why.

`project` (deconvnet, guided backprop, plain gradient) sends one unit's activation back to pixel space,
`deconv_audit` says whether that projection is exact for the network at hand, `top_examples` finds a
unit's strongest activations in an image set, `occlusion` slides a grey square over a photo,
`first_layer_filters` shows the first conv's weights, and `invariance` measures how far each layer moves
when a photo is shifted, scaled or rotated. (Receptive fields, which every method uses, are in `viz.core`.)
`figures` lays them out as the paper's figures.
"""

from .audit import deconv_audit
from .filters import first_layer_filters
from .invariance_curves import invariance
from .occlusion_maps import occlusion
from .projection import project, to_display
from .topk import top_examples

__all__ = [
    "deconv_audit",
    "first_layer_filters",
    "invariance",
    "occlusion",
    "project",
    "to_display",
    "top_examples",
]
