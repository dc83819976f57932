"""Circuits: which units of an earlier layer a unit is built from (gradient x activation between two layers).

`circuit_on(model, image, layer, channel, source, k)` -> `Circuit`; `contributions` does the same for a batch
of (image, unit) pairs at once. Rendering a unit's own picture to measure it on is composed in `viz.views.unit_circuit` (`viz.circuit`).
"""

from .contributions import Circuit, check_k, circuit_on, contributions, make_circuit, source_order

__all__ = ["Circuit", "check_k", "circuit_on", "contributions", "make_circuit", "source_order"]
