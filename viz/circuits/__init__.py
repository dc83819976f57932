"""Circuits: which units of an earlier layer a unit is built from (gradient x activation between two layers).

`circuit_on(model, image, layer, channel, source, k)` -> `Circuit`; `contributions` does the same for a batch
of (image, unit) pairs at once. Rendering a unit's own picture to measure it on is composed in
`viz.views.unit_circuit` (`viz.circuit`). `attribution` holds gradient x activation itself, once:
`gradient_x_activation`, and `layer_scores` (a layer's channels scored towards the predicted class, how the
landing chooses its units).
"""

from .attribution import SCORES, gradient_x_activation, layer_scores
from .built_from import Circuit, check_k, circuit_on, contributions, make_circuit, source_order, strongest_inputs

__all__ = ["Circuit", "SCORES", "check_k", "circuit_on", "contributions", "gradient_x_activation", "layer_scores",
           "make_circuit", "source_order", "strongest_inputs"]
