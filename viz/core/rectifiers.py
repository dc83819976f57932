"""Replace the backward pass of a network's rectifier modules (`nn.ReLU`, `nn.ReLU6`) for one call.

Rules, for the signal g = dL/dy arriving at a rectifier whose output is y:

- "gradient":  g * mask        (plain autograd; mask = 1 where the rectifier is linear: 0 < y (< 6 for ReLU6))
- "deconvnet": relu(g)         (Zeiler & Fergus: rectify the signal going down, ignore the forward pass)
- "guided":    relu(g) * on    (Springenberg et al.: both; on = 1 where the rectifier fired going up, y > 0)

Guided backprop masks by whether a rectifier was *on*, and a ReLU6 at its ceiling of 6 fired as hard as it can:
it passes the signal. Its plain gradient is zero there, and masking with it (as the gradient does) stopped the
projection exactly at the stem units driven hardest by a photo's strongest edges (3.4% of Lite0's stem outputs
on the gallery): the projections lost the edges they were meant to show (docs/projections.md, measured).
- "redirect":  g * mask, but for an image whose whole gradient through this rectifier is zero, let g through
               wherever it would not push a saturated input further out (Lucid's redirected ReLU, so that a
               unit silent on the starting image still gets a gradient). Sign convention: L is *minimized*.

Covered: `nn.ReLU` and `nn.ReLU6` modules, in-place or not, and modules called several times in one
forward pass (each call gets its own rule). Not covered: rectifiers applied functionally inside a module's
`forward` (`F.relu`, `torch.relu`, `x.clamp(min=0)`): their backward stays the plain gradient.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models import LoadedModel

from .checks import check_choice
from .hooks import HookScope

RULES = ("gradient", "deconvnet", "guided", "redirect")
RECTIFIER_TYPES = (nn.ReLU, nn.ReLU6)

# Elementwise activations called as functions rather than modules, which no hook reaches. The deconvnet
# audit lists them as approximate steps; the receptive-field probe passes them through.
FUNCTIONAL_RECTIFIERS = frozenset({
    F.relu, F.relu_, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_, F.relu6, F.hardtanh,
    F.hardtanh_, torch.clamp, torch.clamp_min, torch.Tensor.clamp, torch.Tensor.clamp_, torch.Tensor.clamp_min,
    F.threshold, torch.threshold,
})
FUNCTIONAL_ACTIVATIONS = frozenset({
    F.leaky_relu, F.elu, F.gelu, F.silu, F.mish, F.hardswish, F.hardsigmoid, torch.sigmoid, torch.Tensor.sigmoid,
    torch.tanh, torch.Tensor.tanh, F.softplus,
})


def _upper(module: nn.Module) -> float:
    return 6.0 if isinstance(module, nn.ReLU6) else float("inf")


class _RuleRectifier(torch.autograd.Function):
    """Forward: the rectifier's own output. Backward: the chosen rule, sent to the pre-activation."""

    @staticmethod
    def forward(ctx, pre: torch.Tensor, out: torch.Tensor, rule: str, upper: float) -> torch.Tensor:
        ctx.save_for_backward(out)
        ctx.rule, ctx.upper = rule, upper
        return out  # autograd returns an unmodified input as a view of it: no copy

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        (y,) = ctx.saved_tensors
        if ctx.rule == "deconvnet":
            grad = g.clamp(min=0)
        elif ctx.rule == "guided":
            grad = g.clamp(min=0) * (y > 0)
        else:
            grad = torch.ops.aten.hardtanh_backward(g, y, 0.0, ctx.upper)  # g where 0 < y < upper, one pass
            if ctx.rule == "redirect":
                dead = torch.count_nonzero(grad.flatten(1), dim=1) == 0
                # Most steps no image is dead: the CPU skips the redirected gradient's five passes; an accelerator
                # computes them anyway, since asking would stall its queue (no host sync in the step loop).
                if g.device.type != "cpu" or dead.any():
                    pushes_out = ((y <= 0) & (g > 0)) | ((y >= ctx.upper) & (g < 0))
                    grad = torch.where(dead.view(-1, *([1] * (g.dim() - 1))), g * ~pushes_out, grad)
        return grad, None, None, None


def rectifier_modules(model: LoadedModel) -> dict[str, nn.Module]:
    """The rectifier modules a rule can be applied to, by name."""
    return {n: m for n, m in model.net.named_modules() if isinstance(m, RECTIFIER_TYPES)}


class RectifierRule(HookScope):
    """Context manager: inside it, this context's forward passes use `rule` at every rectifier module."""

    def __init__(self, model: LoadedModel, rule: str):
        super().__init__()
        check_choice(rule, RULES, "rectifier rule")
        self.model, self.rule = model, rule
        self._pending: dict[nn.Module, list[torch.Tensor]] = {}

    def __enter__(self) -> "RectifierRule":
        super().__enter__()
        if self.rule == "gradient":
            return self
        for module in rectifier_modules(self.model).values():
            self.on_forward_pre(module, self._keep_input)
            # First among the module's hooks, so that whatever else records this output (a Capture opened
            # before this rule) records the rule's replacement and the rule always sees its own input.
            self.on_forward(module, self._apply_rule, first=True)
        return self

    def _keep_input(self, module: nn.Module, inputs):
        """Remember the pre-activation; an in-place module gets a copy so the original keeps its graph."""
        pre = inputs[0]
        self._pending.setdefault(module, []).append(pre)
        return (pre.clone(), *inputs[1:]) if getattr(module, "inplace", False) else None

    def _apply_rule(self, module: nn.Module, inputs, output: torch.Tensor) -> torch.Tensor:
        pre = self._pending[module].pop()
        if not pre.requires_grad:
            return output
        ruled = _RuleRectifier.apply(pre, output.detach(), self.rule, _upper(module))
        # For a batch of one, autograd's view of the returned output resets the batch stride, and the next
        # convolution then reads a channels-last output as plain NCHW: another kernel, other rounding, and a
        # unit's picture that would depend on its batch mates. The view keeps the output's own strides.
        return ruled.as_strided(output.size(), output.stride(), output.storage_offset())
