"""Is a deconvnet projection through this network Zeiler–Fergus exact, or an approximation, and why?

Zeiler & Fergus's network was a chain of convolutions, ReLUs and max-pools; going down, each has one right
transpose. Other steps in a modern network get a defensible but new treatment (the plain gradient, a
per-channel scale, a sum over branches), and the user should see that beside every projection.

`deconv_audit(model, layer)` runs one small forward pass (up to `layer`) and records the steps it meets:

- modules by type: `nn.ReLU`/`nn.ReLU6` exact (our rule replaces their backward); max-pool exact (autograd
  routes through the switches); average pooling, batch norm and other normalizations, other activations
  approximate, each with its reason;
- functional calls made outside those modules (seen by a `TorchFunctionMode`): `F.relu`, `torch.relu`,
  `clamp`, ... are rectifiers no hook can reach ("unhookable", approximate); functional pooling, activations
  and batch norm as above; a sum of two equal-shaped feature maps (residual) and a channel concatenation of
  feature maps (branches) approximate.

Convolutions and linear layers are always exact (transposed filters) and are not listed. For
method="gradient" every step is exact by definition: the audit concerns deconvnet and guided projections.
Limits: only what runs on this small probe input is seen (data-dependent control flow may differ), and a
functional op is classified by the torch function called, so a hand-written rectifier such as `x * (x > 0)`
is not recognized.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from models import LoadedModel

from ..core.hooks import Capture, HookScope
from ..core.rectifiers import FUNCTIONAL_ACTIVATIONS, FUNCTIONAL_RECTIFIERS, RECTIFIER_TYPES


@dataclass(frozen=True)
class Step:
    """One step of the way down: where it is, what it is, and whether its projection is exact."""

    name: str  # module path, or "F.relu in <module path>" for a functional call
    kind: str  # rectifier, pooling, normalization, activation, branch
    exact: bool
    reason: str
    functional_rectifier: bool = False  # a rectifier that no hook can reach


@dataclass(frozen=True)
class Audit:
    """The steps between the input and `layer`, in forward order, each listed once."""

    model: str
    layer: str | None
    steps: tuple[Step, ...]

    @property
    def exact(self) -> bool:
        return all(step.exact for step in self.steps)

    @property
    def verdict(self) -> str:
        return "exact" if self.exact else "approximate"

    @property
    def unhookable(self) -> list[Step]:
        return [step for step in self.steps if step.functional_rectifier]

    def reasons(self) -> list[str]:
        """Each distinct reason for approximation once, with how many steps it concerns."""
        counts = Counter(step.reason for step in self.steps if not step.exact)
        return [f"{reason} (x{n})" if n > 1 else reason for reason, n in counts.items()]

    def summary(self) -> str:
        """One line for captions and the CLI: the verdict, then the reasons."""
        if self.exact:
            return "exact: Zeiler–Fergus rules at every rectifier and max-pool"
        return "approximate: " + "; ".join(self.reasons())


_EXACT_RECTIFIER = "rectifier module: the signal going down is rectified (Zeiler–Fergus rule)"
_MAX_POOL = "max-pooling: the signal goes down through the recorded switches"
_AVG_POOL = "average pooling: the signal is spread over the window, there are no switches"
_BATCH_NORM = "batch norm: in eval a fixed per-channel scale and shift, projected through its scale"
_OTHER_NORM = "normalization layer: projected with its plain gradient"
_UNHOOKABLE = "functional rectifier: no hook reaches it, so its backward stays the plain gradient"
_ACTIVATION = "non-rectifier activation: projected with its plain gradient"
_RESIDUAL = "residual sum: the signal goes down both paths (Zeiler–Fergus's net was a single chain)"
_CONCAT = "branch concatenation: branches are projected separately and summed where they split"

_MODULE_RULES: tuple[tuple[tuple[type, ...], str, bool, str], ...] = (
    (RECTIFIER_TYPES, "rectifier", True, _EXACT_RECTIFIER),
    ((nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AdaptiveMaxPool2d), "pooling", True, _MAX_POOL),
    ((nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool2d), "pooling", False, _AVG_POOL),
    ((nn.modules.batchnorm._BatchNorm,), "normalization", False, _BATCH_NORM),
    (
        (nn.LocalResponseNorm, nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm),
        "normalization", False, _OTHER_NORM,
    ),
    (
        (nn.Hardtanh, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.Hardswish, nn.Hardsigmoid,
         nn.Sigmoid, nn.Tanh, nn.Softplus, nn.PReLU, nn.Threshold),
        "activation", False, _ACTIVATION,
    ),
)
# Leaf modules whose own functional calls are their implementation, not extra steps.
_TRANSPARENT = (nn.modules.conv._ConvNd, nn.Linear, nn.Dropout, nn.Dropout2d, nn.Identity, nn.Flatten)

_FUNCTIONAL_RULES = {
    **{f: ("pooling", True, _MAX_POOL) for f in (F.max_pool1d, F.max_pool2d, F.max_pool3d, F.adaptive_max_pool2d)},
    **{f: ("pooling", False, _AVG_POOL) for f in (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d, F.adaptive_avg_pool2d)},
    F.batch_norm: ("normalization", False, _BATCH_NORM),
    **{f: ("activation", False, _ACTIVATION) for f in FUNCTIONAL_ACTIVATIONS},
}
_ADDS = {
    torch.add, torch.Tensor.add, torch.Tensor.add_, torch.Tensor.__add__, torch.Tensor.__iadd__, torch.Tensor.__radd__,
}


def _module_rule(module: nn.Module) -> tuple[str, bool, str] | None:
    for types, kind, exact, reason in _MODULE_RULES:
        if isinstance(module, types):
            return kind, exact, reason
    return None


def _is_feature_map(value) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() >= 3


def _functional_rule(func, args, kwargs) -> tuple[str, bool, str, bool] | None:
    """(kind, exact, reason, unhookable) for a functional call worth listing, else None."""
    if func in FUNCTIONAL_RECTIFIERS:
        return "rectifier", False, _UNHOOKABLE, True
    if func in _FUNCTIONAL_RULES:
        return (*_FUNCTIONAL_RULES[func], False)
    if func in _ADDS and len(args) >= 2 and _is_feature_map(args[0]) and _is_feature_map(args[1]):
        if args[0].shape == args[1].shape:
            return "branch", False, _RESIDUAL, False
    if func is torch.cat and args:
        parts = args[0]
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        if len(parts) > 1 and all(_is_feature_map(p) and p.dim() == 4 for p in parts) and dim in (1, -3):
            return "branch", False, _CONCAT, False
    return None


class _Tracer(TorchFunctionMode):
    """Records modules and the functional calls made outside known leaf modules, in call order."""

    def __init__(self, scope: HookScope, net: nn.Module):
        super().__init__()
        self.steps: dict[str, Step] = {}
        self._running: list[tuple[str, nn.Module]] = []
        for name, module in net.named_modules():
            scope.on_forward_pre(module, lambda m, i, name=name: self._enter(name, m))
            scope.on_forward(module, lambda m, i, o: self._leave())

    def _enter(self, name: str, module: nn.Module) -> None:
        self._running.append((name, module))
        rule = _module_rule(module)
        if rule is not None:
            self.steps.setdefault(name, Step(name, *rule))

    def _leave(self) -> None:
        self._running.pop()

    def _inside_known_leaf(self) -> bool:
        if not self._running:
            return False
        module = self._running[-1][1]
        return _module_rule(module) is not None or isinstance(module, _TRANSPARENT)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if not self._inside_known_leaf():
            rule = _functional_rule(func, args, kwargs)
            if rule is not None:
                kind, exact, reason, unhookable = rule
                where = self._running[-1][0] if self._running else ""
                label = f"{getattr(func, '__name__', str(func))} in {where or 'forward()'}"
                self.steps.setdefault(label, Step(label, kind, exact, reason, unhookable))
        return func(*args, **kwargs)


_CACHE: weakref.WeakKeyDictionary[nn.Module, dict] = weakref.WeakKeyDictionary()
_TRACING = threading.Lock()


def deconv_audit(model: LoadedModel, layer: str | None = None) -> Audit:
    """The steps a projection from `layer` (None: the whole network) passes, each exact or approximate.

    Runs one forward pass of a blank (1,3,S,S) image, S = the model's input size, once per network and
    layer; the answer is remembered for as long as the network exists.
    """
    with _TRACING:  # sessions of the app asking at the same moment trace once, not once each
        known = _CACHE.setdefault(model.net, {})
        if layer not in known:
            known[layer] = _trace(model, layer)
        return known[layer]


def _trace(model: LoadedModel, layer: str | None) -> Audit:
    dtype = next((p.dtype for p in model.net.parameters()), torch.float32)
    x = torch.zeros(1, 3, model.input_size, model.input_size, device=model.device, dtype=dtype)
    with torch.no_grad(), HookScope() as scope:
        tracer = _Tracer(scope, model.net)
        with tracer, Capture(model, [] if layer is None else [layer], stop=True) as capture:
            capture.run(x)  # with no layer the whole network runs
    return Audit(model=model.name, layer=layer, steps=tuple(tracer.steps.values()))
