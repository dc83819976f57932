"""Receptive-field render vs crop-and-enlarge of a plain neuron render, for low Lite0 layers (README).

For units 0-3 of a layer: (a) `render(..., field=True)`; (b) a neuron render on the whole canvas at the
input size, its centre neuron's field cropped out and enlarged. Each picture is scored the same way: pasted
into the field on a grey canvas, the neuron's activation. `--shift` crops (b) where the neuron actually
looked: Lucid's transforms pad the picture by 12 px, so the neuron at the map's centre saw a box 12 px up and
left of the unpadded picture's centre box. Writes the pictures to OUT (PNG).
    PYTHONPATH=. python benchmarks/field_vs_crop.py [--shift] [--steps 256] [--out field_vs_crop.png]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the repository's packages

import models  # noqa: E402
import viz  # noqa: E402
from viz.actmax.field import paste, plan_fields  # noqa: E402
from viz.core.export import save_figure  # noqa: E402
from viz.core.figures import grid_figure  # noqa: E402
from viz.core.hooks import Capture  # noqa: E402
from viz.core.receptive_field import field_map  # noqa: E402
from viz.core.transforms import STANDARD, Pad  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", default="_blocks.1,_blocks.4")
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--shift", action="store_true", help="crop where the padded render's neuron looked")
    parser.add_argument("--out", default="field_vs_crop.png")
    args = parser.parse_args()
    model = models.load(device="cpu")
    pad = sum(t.pixels for t in STANDARD if isinstance(t, Pad)) if args.shift else 0
    pictures, captions = [], []
    for layer in args.layers.split(","):
        units = [(layer, c) for c in range(4)]
        plan = plan_fields(model, units)
        start = time.perf_counter()
        field = viz.render(model, units, field=True, steps=args.steps, size=128, cache=False).images
        field_s = time.perf_counter() - start
        fields = field_map(model, layer)
        cy, cx = len(fields.rows) // 2, len(fields.cols) // 2
        box = fields.box(cy, cx)
        start = time.perf_counter()
        whole = viz.render(model, [(layer, c, cy, cx) for c in range(4)], steps=args.steps, size=model.input_size,
                           cache=False).images
        whole_s = time.perf_counter() - start
        crops = whole[:, :, box.top - pad : box.bottom - pad, box.left - pad : box.right - pad]
        crops = F.interpolate(crops, size=(128, 128), mode="bilinear", align_corners=False)

        def score(images: torch.Tensor) -> list[float]:
            x = paste(images, plan.boxes, plan.canvas)
            with torch.no_grad(), Capture(model, [layer]) as capture:
                acts = capture.run(model.normalize(x))[layer]
            return [round(float(acts[i, o.channel, o.y, o.x]), 1) for i, o in enumerate(plan.objectives)]

        print(f"{layer} field render {field_s:.1f} s {score(field)}; neuron render + crop {whole_s:.1f} s "
              f"{score(crops)}; load {os.getloadavg()[0]:.1f}")
        pictures += list(field) + list(crops)
        captions += [f"{layer} {c} field" for c in range(4)] + [f"{layer} {c} crop" for c in range(4)]
    save_figure(grid_figure(pictures, captions, columns=4), args.out)


if __name__ == "__main__":
    main()
