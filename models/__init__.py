"""Model registry: `list_models()`, `load(name, weights, device)`, `from_module(net, ...)`; models files
(`VIZ_MODELS`, `use_models_files`) and `timm/<name>` beyond it."""

from . import zoo  # noqa: F401  (registers the models)
from .device import pick_device
from .errors import CheckpointError, UnknownLayerError, UnknownModelError, UserError, WeightsUnavailableError
from .registry import TIERS, Layer, LoadedModel, ModelSpec, Normalizer, from_module, get_spec, list_models, load
from .timm_zoo import TIMM_PREFIX
from .user_files import models_file_problems, use_models_files, user_models

__all__ = [
    "TIERS",
    "TIMM_PREFIX",
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
    "models_file_problems",
    "pick_device",
    "use_models_files",
    "user_models",
]

del zoo  # imported only for its @register side effect
