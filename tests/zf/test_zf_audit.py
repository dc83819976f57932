"""The exact/approximate audit on the hand-built chain net and on real architectures (untrained)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from support.deconv_nets import chain_model
from support.helpers import count_hooks
from torch import nn

import models
from viz.zf.audit import deconv_audit


def test_chain_net_is_exact_and_lists_its_steps():
    audit = deconv_audit(chain_model(), "top")
    assert audit.verdict == "exact" and audit.summary().startswith("exact")
    assert [(s.name, s.kind) for s in audit.steps] == [
        ("relu", "rectifier"),
        ("pool", "pooling"),
        ("relu6", "rectifier"),
    ]


def test_lite0_relu6_exact_but_residuals_approximate():
    model = models.load("efficientnet_lite0", weights="none")
    audit = deconv_audit(model, "_blocks.2")
    kinds = {s.name: (s.kind, s.exact) for s in audit.steps}
    assert kinds["_relu0"] == ("rectifier", True) and kinds["_blocks.1._relu_dw"] == ("rectifier", True)
    assert "_bn0" not in kinds  # folded into the stem conv at load: part of a linear step, not a step
    assert audit.verdict == "approximate" and not audit.unhookable
    reasons = " | ".join(audit.reasons())
    assert "residual sum" in reasons and "batch norm" not in reasons
    assert sum(s.kind == "branch" for s in audit.steps) == 1  # only _blocks.2 has a residual up to here
    assert not any(s.name.startswith("_blocks.3") for s in audit.steps)  # the trace stops at the layer
    assert deconv_audit(model, "_relu0").steps[-1].name == "_relu0"
    assert count_hooks(model.net) == 0


def test_alexnet_features_exact_whole_net_notes_average_pool():
    model = models.load("alexnet", weights="none")
    assert deconv_audit(model, "features.11").verdict == "exact"
    whole = deconv_audit(model)
    assert whole.verdict == "approximate"
    assert [s.name for s in whole.steps if not s.exact] == ["avgpool"]


def test_googlenet_functional_relu_is_unhookable():
    audit = deconv_audit(models.load("googlenet", weights="none"), "inception3a")
    assert audit.verdict == "approximate"
    names = [s.name for s in audit.unhookable]
    assert names[:3] == ["relu in conv1", "relu in conv2", "relu in conv3"]
    assert "relu in inception3a.branch1" in names
    assert any("functional rectifier" in r for r in audit.reasons())


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.act = nn.SiLU()

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return self.act(F.avg_pool2d(y, 2) + F.max_pool2d(y, 2))


def test_functional_steps_and_other_activations():
    audit = deconv_audit(models.from_module(Functional(), layers=["act"], input_size=8), "act")
    found = {s.name: (s.kind, s.exact, s.functional_rectifier) for s in audit.steps}
    assert found == {
        "relu in forward()": ("rectifier", False, True),
        "avg_pool2d in forward()": ("pooling", False, False),
        "max_pool2d in forward()": ("pooling", True, False),
        "add in forward()": ("branch", False, False),
        "act": ("activation", False, False),
    }


def test_resnet_in_place_residual_add_is_seen():
    audit = deconv_audit(models.load("resnet18", weights="none"), "layer1")
    assert [s.name for s in audit.steps if s.kind == "branch"] == ["add_ in layer1.0", "add_ in layer1.1"]
    assert ("maxpool", True) in [(s.name, s.exact) for s in audit.steps]
    assert ("bn1", "normalization", False) in [(s.name, s.kind, s.exact) for s in audit.steps]
    assert any("batch norm" in reason for reason in audit.reasons())
