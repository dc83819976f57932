"""The render step's network forward, compiled with `torch.compile` at fixed shapes and reused across renders.

The hooked forward (`viz.core.hooks.Capture`, which stops at the deepest layer the objectives read) is first
traced once to a hook-free graph of tensor operations (`make_fx` at the step's real input: shape-dependent
Python, e.g. Lite0's TensorFlow-"same" padding, is resolved at that shape), then compiled with inductor;
forward and backward are both compiled. One graph serves every later render of the same model, layers,
input shape, dtype, layout and precision, in any session, until the model is freed. Only the "gradient"
phase is compiled: the first `redirect_steps` run eagerly with their custom rectifier backward.

Covered: everything the eager step reads, as it is at trace time (the graph bakes in the model's modules;
another caller's hooks are inactive in this context and leave no trace). Compilation can fail (no C++
compiler, an operator inductor lacks): the step then runs eagerly, with one logged warning per process,
and that key is not tried again. Not bitwise equal to the eager step (fused kernels reorder sums), so the
`compile` setting is part of a render's cache key.

Decision (docs/benchmarks.md, "Compiled step"): `auto` compiles on no device yet. On the 2-core CPU the
truncated Lite0 step (batch 8, 161 px, `_blocks.7`) took 283-623 s to compile cold (about 40 s from
inductor's on-disk cache) for a step 1.0-1.2x faster than eager; the GPU has not been measured
(benchmarks/gpu_check.sh measures it).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable

import torch
from torch.fx.experimental.proxy_tensor import make_fx

from models import LoadedModel

Forward = Callable[[torch.Tensor], dict]

# Device types where `auto` compiles, and with which mode: only where measured faster (see the docstring).
AUTO: dict[str, str] = {}
# Setting value -> torch.compile's mode ("on": inductor's default).
MODES = {"on": "default", "reduce-overhead": "reduce-overhead", "max-autotune": "max-autotune"}

_log = logging.getLogger(__name__)
_graphs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model.net -> {key: compiled or None}
_lock = threading.Lock()
_warned = False


def compile_mode(setting: str, device: torch.device) -> str | None:
    """torch.compile's mode for a `compile` setting on `device`, or None for the eager step."""
    if setting == "auto":
        setting = AUTO.get(device.type, "off")
    return MODES.get(setting)


def compiled_forward(model: LoadedModel, layers: tuple, plain: Forward, mode: str) -> Forward:
    """`plain` (this render's hooked forward, x -> {layer: output}), compiled on its first input's shape.

    Falls back to `plain` itself wherever compilation failed.
    """
    def forward(x: torch.Tensor) -> dict:
        graph = _graph(model, layers, plain, mode, x)
        return plain(x) if graph is None else graph(x)

    return forward


def _graph(model: LoadedModel, layers: tuple, plain: Forward, mode: str, x: torch.Tensor):
    autocast = torch.get_autocast_dtype(x.device.type) if torch.is_autocast_enabled(x.device.type) else None
    key = (model.weights_id, layers, mode, tuple(x.shape), x.dtype, x.stride(), str(x.device), autocast)
    with _lock:
        graphs = _graphs.setdefault(model.net, {})
        if key not in graphs:
            graphs[key] = _build(plain, mode, x)
        return graphs[key]


def _build(plain: Forward, mode: str, x: torch.Tensor):
    """Trace, compile and run once forward and backward (inductor compiles lazily): None if any step fails."""
    try:
        graph = make_fx(plain)(x.detach())
        compiled = torch.compile(graph, mode=mode, dynamic=False)
        probe = x.detach().clone().requires_grad_()
        sum(v.float().sum() for v in compiled(probe).values()).backward()
        return compiled
    except Exception as exc:  # any failure of make_fx, dynamo or inductor: run eagerly
        if is_out_of_memory(exc):
            raise
        _warn(exc)
        return None


def is_out_of_memory(exc: BaseException) -> bool:
    """A CUDA out-of-memory error: the caller splits the batch, so it must not be taken for a compile failure."""
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower()


def _warn(exc: Exception) -> None:
    global _warned
    if not _warned:
        _warned = True
        _log.warning("torch.compile of the render step failed (%s: %s); rendering eagerly",
                     type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
