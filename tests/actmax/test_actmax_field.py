"""Receptive-field renders: the picture covers exactly the unit's field, and the small canvas is the same unit."""

from __future__ import annotations

import torch

import viz
from viz.actmax.field import centre_canvas, paste, plan_fields
from viz.cli import main
from viz.core.hooks import Capture
from viz.core.receptive_field import field_map

LAYER = "_blocks.1"  # Lite0: an 11x11-pixel field


def _neuron(model, x, layer, channel, y, x_):
    with torch.no_grad(), Capture(model, [layer]) as capture:
        return float(capture.run(model.normalize(x))[layer][0, channel, y, x_])


def test_the_small_canvas_holds_the_whole_field(lite0):
    full = field_map(lite0, LAYER).size
    plan = plan_fields(lite0, [(LAYER, 0), (LAYER, 5, None, None)])
    assert plan.canvas == centre_canvas(lite0, LAYER) < lite0.input_size
    assert all((box.height, box.width) == full == (11, 11) for box in plan.boxes)
    assert all(0 < box.top and box.bottom < plan.canvas for box in plan.boxes)


def test_the_picture_covers_exactly_the_field_and_drives_the_same_neuron_anywhere(lite0):
    rendering = viz.render(lite0, [(LAYER, 3)], field=True, size=32, steps=8, seed=1, cache=False)
    picture = rendering.images
    assert rendering.history[-1, 0] > rendering.history[0, 0]  # the optimization raised the neuron
    plan = plan_fields(lite0, [(LAYER, 3)])
    small = paste(picture, plan.boxes, plan.canvas)
    on_small = _neuron(lite0, small, LAYER, 3, plan.objectives[0].y, plan.objectives[0].x)

    # The same picture in the centre neuron's field of the full-size input, noise everywhere else:
    fields = field_map(lite0, LAYER)
    y, x = len(fields.rows) // 2, len(fields.cols) // 2
    box = fields.box(y, x)
    inside = paste(picture, [box], lite0.input_size)
    mask = torch.zeros_like(inside, dtype=torch.bool)
    mask[..., box.top : box.bottom, box.left : box.right] = True
    values = []
    for seed in (0, 1):
        noise = torch.rand(inside.shape, generator=torch.Generator().manual_seed(seed))
        values.append(_neuron(lite0, torch.where(mask, inside, noise), LAYER, 3, y, x))
    assert abs(values[0] - values[1]) < 1e-4  # pixels outside the field cannot change the unit
    assert abs(values[0] - on_small) < 1e-3 * max(1.0, abs(on_small))  # same unit on the small canvas
    corner = inside.clone()
    corner[..., box.top, box.left] = 1.0 - corner[..., box.top, box.left]
    assert _neuron(lite0, torch.where(mask, corner, inside), LAYER, 3, y, x) != values[0]  # the field is tight


def test_cli_renders_a_field(tmp_path):
    out = tmp_path / "field.png"
    args = ["render", "--layer", LAYER, "--channels", "0-1", "--field", "--size", "32", "--steps", "2",
            "--device", "cpu", "--dpi", "50", "--out", str(out)]
    assert main(args) == 0 and out.stat().st_size > 1000
    assert '"field": true' in (tmp_path / "field.png.json").read_text()
