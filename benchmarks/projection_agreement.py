"""Edge agreement of projections as computed (raw) and as shown (`viz.zf.display`), side by side in one run.

    python benchmarks/projection_agreement.py [--model efficientnet_lite0] [--units 3] [--photos 8]
                                              [--samples 0] [--extent field] [--display magnitude]
                                              [--skip-landing]

Two sets, the ones a user first meets (issue 17):
- the Top-9 page's default view: its default layer (the page's 4th layer, `_blocks.2` for Lite0), units
  0..units-1, guided projections of each unit's top-9 over the gallery, one example per photo;
- the landing's low tiers: for each of the first `photos` gallery photos, the edges and contours units
  `hierarchy.choose_units` picks, the guided projection of each one's strongest activation on the photo.

For each example `viz.metrics.edge_agreement` (inside the unit's receptive field, the correlation of the
signal's magnitude with the patch's Sobel edges) is measured on the raw signal of the one neuron (`project`'s
default, Zeiler & Fergus's) and on the picture the app shows (the unit sent down over that neuron's field,
`--extent`, drawn by `--display`; measured as its departure from the display's zero); the medians are printed
side by side. Nothing is cached.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the repository's packages

import models  # noqa: E402
from viz.core.images import gallery_dir, image_files, load_image  # noqa: E402
from viz.metrics.edge_agreement import edge_agreement  # noqa: E402
from viz.serving.cache import DiskCache  # noqa: E402
from viz.views.hierarchy import choose_units  # noqa: E402
from viz.zf.display import DISPLAYS, show, shown_signal  # noqa: E402
from viz.zf.projection import EXTENTS, project  # noqa: E402
from viz.zf.topk import top_examples  # noqa: E402

DEFAULT_LAYER_INDEX = 3  # ui/pages/deconv.py: the layer selectbox's default index
LOW_TIERS = ("edges", "contours")


def scores(model, pictures, layer, channel, positions, boxes, options) -> tuple[torch.Tensor, torch.Tensor]:
    """(raw, shown) edge agreement of one unit's projections on `pictures`."""
    def sent(extent: str) -> torch.Tensor:
        return project(model, pictures, layer, channel, "guided", position=positions, samples=options.samples,
                       extent=extent)

    signal = sent("neuron")
    shown = shown_signal(show(signal if options.extent == "neuron" else sent(options.extent), model, options.display),
                         options.display)
    return edge_agreement(signal, pictures, boxes), edge_agreement(shown, pictures, boxes)


def top9_view(model, units, options):
    layer = model.layers[min(DEFAULT_LAYER_INDEX, len(model.layers) - 1)].name
    found = top_examples(model, None, layer, k=9, per_image=True, cache=DiskCache("topk", enabled=False))
    raw, shown = [], []
    for channel in range(units):
        examples = found.examples(channel)
        pictures = torch.stack([found.image(e.image) for e in examples])
        r, s = scores(model, pictures, layer, channel, [e.position for e in examples], [e.box for e in examples],
                      options)
        raw.append(r)
        shown.append(s)
    return layer, torch.cat(raw), torch.cat(shown)


def landing_low_tiers(model, photos, options):
    raw, shown, layers = [], [], set()
    for path in image_files(gallery_dir())[:photos]:
        hierarchy = choose_units(model, load_image(path), cache=False)
        for tier in LOW_TIERS:
            for u in hierarchy.units[tier]:
                layers.add(u.layer)
                r, s = scores(model, hierarchy.image[None], u.layer, u.channel, u.position, [u.box], options)
                raw.append(r)
                shown.append(s)
    return ", ".join(sorted(layers)), torch.cat(raw), torch.cat(shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--units", type=int, default=3, help="Top-9 view: units 0..units-1 (the page shows 3)")
    parser.add_argument("--photos", type=int, default=8, help="landing: the first this many gallery photos")
    parser.add_argument("--samples", type=int, default=0, help="SmoothGrad copies (the page's toggle: 16)")
    parser.add_argument("--extent", default="field", choices=EXTENTS, help="what the shown picture sends down")
    parser.add_argument("--display", default="magnitude", choices=DISPLAYS)
    parser.add_argument("--skip-landing", action="store_true")
    args = parser.parse_args()

    torch.set_grad_enabled(False)  # project() enables what it needs
    model = models.load(args.model, device="cpu")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"{args.model} on cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {load}); guided, samples={args.samples}; raw: one neuron; shown: extent={args.extent}, "
          f"display={args.display}")
    print(f"{'set':<42} {'n':>4} {'raw median':>11} {'shown median':>13}")
    start = time.perf_counter()
    sets = [("Top-9 default view", top9_view(model, args.units, args))]
    if not args.skip_landing:
        sets.append(("landing low tiers", landing_low_tiers(model, args.photos, args)))
    for name, (layers, raw, shown) in sets:
        label = f"{name} ({layers})"
        print(f"{label:<42} {len(raw):>4} {raw.median().item():>11.3f} {shown.median().item():>13.3f}")
    print(f"took {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
