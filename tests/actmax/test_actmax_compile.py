"""The compiled render step equals the plain one within tolerance, and falls back to it when compilation fails."""

from __future__ import annotations

import logging
import weakref

import pytest
import torch
from torch import nn

import models
import viz
from models.errors import UserError
from viz.actmax import compiled

UNITS = [("2", 0), ("2", 1)]
STEPS = dict(size=24, steps=3, redirect_steps=1, seed=0, cache=False)


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 3), nn.ReLU6(), nn.Conv2d(3, 2, 1))
    return models.from_module(net, name="tiny", layers=["2", "3"], input_size=24)


@pytest.fixture(autouse=True)
def fresh_graphs(monkeypatch):
    """Each test compiles (or fails to) afresh and may log its own warning."""
    monkeypatch.setattr(compiled, "_graphs", weakref.WeakKeyDictionary())
    monkeypatch.setattr(compiled, "_warned", False)


@pytest.mark.slow
def test_compiled_step_equals_the_plain_step_within_tolerance(tiny, caplog):
    plain = viz.render(tiny, UNITS, compile="off", **STEPS)
    with caplog.at_level(logging.WARNING, logger=compiled.__name__):
        fast = viz.render(tiny, UNITS, compile="on", **STEPS)
    failed = [r.getMessage() for r in caplog.records if r.name == compiled.__name__]
    if failed:
        pytest.skip(f"inductor cannot compile here: {failed[0]}")
    graphs = compiled._graphs[tiny.net]
    assert len(graphs) == 1 and None not in graphs.values()  # the gradient phase's one input shape, compiled once
    torch.testing.assert_close(fast.history, plain.history, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fast.images, plain.images, rtol=0, atol=1e-4)
    again = viz.render(tiny, UNITS, compile="on", **STEPS)  # reuses the graph: no second compile
    assert len(compiled._graphs[tiny.net]) == 1
    torch.testing.assert_close(again.images, fast.images, rtol=0, atol=0)


def test_a_failing_compile_falls_back_to_the_plain_step_with_one_warning(tiny, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(torch, "compile", broken)
    plain = viz.render(tiny, UNITS, compile="off", **STEPS)
    with caplog.at_level(logging.WARNING, logger=compiled.__name__):
        first = viz.render(tiny, UNITS, compile="on", **STEPS)
        second = viz.render(tiny, UNITS, compile="on", size=32, steps=2, redirect_steps=0, seed=0, cache=False)
    assert [r.getMessage() for r in caplog.records if r.name == compiled.__name__] == [
        "torch.compile of the render step failed (RuntimeError: no C++ compiler); rendering eagerly"]
    torch.testing.assert_close(first.images, plain.images, rtol=0, atol=0)  # the eager step, exactly
    assert second.images.shape == (2, 3, 32, 32)


def test_auto_compiles_nowhere_yet_and_bad_values_say_what_is_accepted(tiny):
    assert compiled.compile_mode("auto", torch.device("cpu")) is None
    assert compiled.compile_mode("reduce-overhead", torch.device("cuda")) == "reduce-overhead"
    with pytest.raises(UserError, match="choose one of: off, auto, on, reduce-overhead, max-autotune"):
        viz.render(tiny, UNITS, compile="yes", **STEPS)
