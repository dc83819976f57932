"""Model registry: `list_models()`, `load(name, weights, device)`, `from_module(net, ...)`."""

from . import zoo  # noqa: F401  (registers the models)
from .device import pick_device
from .errors import CheckpointError, UnknownLayerError, UnknownModelError, UserError, WeightsUnavailableError
from .registry import TIERS, Layer, LoadedModel, ModelSpec, Normalizer, from_module, get_spec, list_models, load

__all__ = [
    "TIERS",
    "CheckpointError",
    "Layer",
    "LoadedModel",
    "ModelSpec",
    "Normalizer",
    "UnknownLayerError",
    "UnknownModelError",
    "UserError",
    "WeightsUnavailableError",
    "from_module",
    "get_spec",
    "list_models",
    "load",
    "pick_device",
]

del zoo  # imported only for its @register side effect
