"""A models file for the tests: docs/examples/cifar_models.py (a 32-px CIFAR-10 network) with a saved state dict."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import torch
from torch import nn

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cifar_models.py"


def cifar_models_file(folder: Path, seed: int = 1) -> tuple[Path, nn.Module]:
    """The example models file copied into `folder`, its weights file written beside it (random init, `seed`);
    returns the file and the network with those weights, to compare against."""
    target = folder / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    spec = importlib.util.spec_from_file_location("cifar_models_reference", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = example.CifarNet().eval()
    torch.save(net.state_dict(), folder / "cifar_net.pt")
    return target, net


def write_models_file(folder: Path, name: str, text: str) -> Path:
    """A models file with `text` as its source."""
    path = folder / name
    path.write_text(text)
    return path
