"""Hooks on a shared network, scoped to one call: capture layer outputs (to read, to take gradients at, or to
cut the graph at) and stop the forward pass early.

A loaded model is shared by every caller (the app caches it once for all sessions), so a hook must not act
on anyone else's forward pass. `HookScope` registers hooks that fire only inside the context (thread or task)
that opened it, and removes them all on exit, whether the block succeeded or raised.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable

import torch
from torch import nn

from models import LoadedModel
from models.errors import UnknownLayerError, UserError

from .checks import check_choice

_ACTIVE_SCOPES: contextvars.ContextVar[frozenset] = contextvars.ContextVar("viz_active_hook_scopes", default=frozenset())


class HookScope:
    """Context manager owning some hooks; they act only in this context and are removed on exit."""

    def __init__(self):
        self._handles: list = []
        self._token = None

    def __enter__(self) -> "HookScope":
        self._token = _ACTIVE_SCOPES.set(_ACTIVE_SCOPES.get() | {self})
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            for handle in self._handles:
                handle.remove()
            self._handles.clear()
        finally:
            _ACTIVE_SCOPES.reset(self._token)

    def active(self) -> bool:
        return self in _ACTIVE_SCOPES.get()

    def on_forward(self, module: nn.Module, hook: Callable, first: bool = False) -> None:
        """`hook(module, inputs, output)`, may return a replacement output; `first`: run before earlier hooks."""
        self._handles.append(
            module.register_forward_hook(lambda m, i, o: hook(m, i, o) if self.active() else None, prepend=first)
        )

    def on_forward_pre(self, module: nn.Module, hook: Callable) -> None:
        """`hook(module, inputs)`, may return replacement inputs."""
        self._handles.append(module.register_forward_pre_hook(lambda m, i: hook(m, i) if self.active() else None))


def resolve_modules(model: LoadedModel, names: Iterable[str]) -> dict[str, nn.Module]:
    """Module objects by name; an unknown name raises an UnknownLayerError listing the visualizable layers."""
    modules = dict(model.net.named_modules())
    resolved = {}
    for name in names:
        if name not in modules or not name:
            valid = ", ".join(layer.name for layer in model.layers)
            raise UnknownLayerError(f"{model.name} has no layer {name!r}; visualizable layers: {valid}")
        resolved[name] = modules[name]
    return resolved


class _StopForward(Exception):
    """Raised by the last needed hook to skip the rest of the network."""


class Capture(HookScope):
    """Records the outputs of named layers; with `stop=True` the forward pass ends once all are recorded.

    The one layer hook of the engine (captum's pattern: one helper for every layer method). `mode` says what
    is kept and what the network goes on with:

    - "record": a copy of the output; the network goes on with its own (activations, objectives, projections).
    - "tap": the network goes on from a copy of the kept tensor, so a later output's gradient can be taken
      with respect to it (gradient x activation of the class at a layer, `viz.circuits.attribution`).
    - "leaf": the kept tensor is detached from the graph below and requires grad; the network goes on from a
      copy of it, so a backward pass stops there (gradient x activation between two layers).

    A module called several times in one forward (a reused ReLU) is recorded at its first call only. Outputs
    are copied so a later in-place operation (an in-place ReLU) cannot change them. A layer whose output is not
    a tensor raises a UserError.

    `pre_relu=True` records, under each layer's name, its value before the saturating rectifier that ends it
    where the model's registry entry names one (`Layer.pre`; Lucid's "pre-ReLU"); other layers as they are.
    """

    MODES = ("record", "tap", "leaf")

    def __init__(self, model: LoadedModel, layers: Iterable[str], stop: bool = True, pre_relu: bool = False,
                 mode: str = "record"):
        super().__init__()
        check_choice(mode, self.MODES, "capture mode")
        self.model = model
        names = list(dict.fromkeys(layers))
        self.modules = resolve_modules(model, names)
        if pre_relu:
            sources = {n: model.pre_activation(n) for n in names}
            read = resolve_modules(model, [s for s in sources.values() if s])
            self.modules = {n: read[sources[n]] if sources[n] else m for n, m in self.modules.items()}
        self.stop = stop
        self.mode = mode
        self.outputs: dict[str, torch.Tensor] = {}
        self.output = None

    def __enter__(self) -> "Capture":
        super().__enter__()
        for name, module in self.modules.items():
            self.on_forward(module, lambda m, i, o, name=name: self._record(name, o))
        return self

    def _record(self, name: str, output) -> torch.Tensor | None:
        if name in self.outputs:
            return None
        if not isinstance(output, torch.Tensor):
            raise UserError(f"layer {name!r} returns a {type(output).__name__}, not a tensor; pick another layer")
        kept = output.detach().clone().requires_grad_(True) if self.mode == "leaf" else output.clone()
        self.outputs[name] = kept
        if self.stop and len(self.outputs) == len(self.modules):
            raise _StopForward
        return None if self.mode == "record" else kept.clone()

    def run(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Forward `x` (already normalized) and return the captured outputs, in the order asked.

        When the pass was not stopped early, the network's own output is kept in `self.output`.
        """
        self.outputs, self.output = {}, None
        try:
            self.output = self.model.net(x)
        except _StopForward:
            pass
        missing = [n for n in self.modules if n not in self.outputs]
        if missing:
            raise UserError(f"layer {missing[0]!r} was never reached in {self.model.name}'s forward pass")
        return {n: self.outputs[n] for n in self.modules}
