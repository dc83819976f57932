"""Small helpers shared by several test files."""

from torch import nn


def count_hooks(net: nn.Module) -> int:
    """Every forward/backward hook on every module of `net`."""
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) + len(m._backward_pre_hooks)
        for m in net.modules()
    )
