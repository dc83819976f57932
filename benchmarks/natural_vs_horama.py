"""Natural renders (MACO), this engine vs Horama's `maco`, beside the standard preset, same units, same run.

Units: parts-tier units of the embedded model. Every render is judged the same way: its activation shown at
the model's input size, plain and averaged over random shifts and zooms (viz.metrics.judge), and its
plausibility, the MACO paper's measure (viz.metrics.plausibility: cosine similarity in the network's deepest
features between the render and the unit's top real patches in an image set, the gallery by default).

Horama (MIT, `maco(objective, ...)`) renders one unit at a time with NAdam on the phase, its own crops
(`--horama-crops` per step, 25-30% of its canvas) and noise; it is given this package's natural spectrum
(it would otherwise download ImageNet's), the same step count and the same objective (the channel's mean
before its rectifier), and its picture is mapped back to [0,1] from the model's normalized range.
Horama and einops are benchmark-only dependencies: installed with --no-deps into benchmarks/.deps (Makefile).

Each kind of render is made of the units' channels (the mean over the map) and, with ` neuron`, of their
centre neurons (judged as neurons; Horama renders channels only). `--figure F` also draws the presets side by
side for the units (natural ones over a checkerboard, their transparency).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / ".deps"))

import models  # noqa: E402
import viz  # noqa: E402
from viz.actmax.natural import SHIPPED  # noqa: E402
from viz.actmax.rendering import opacity  # noqa: E402
from viz.actmax.settings import quality_settings  # noqa: E402
from viz.core.export import figure_bytes, save_figure  # noqa: E402
from viz.core.figures import grid_figure, on_background  # noqa: E402
from viz.core.hooks import Capture  # noqa: E402
from viz.metrics.judge import judge  # noqa: E402
from viz.metrics.plausibility import plausibility, top_patches  # noqa: E402

DEFAULT_UNITS = "_blocks.7:16,30,50,70 _blocks.10:5,20,41,77"


def parse_units(text: str) -> list[tuple[str, int]]:
    """"_blocks.7:1,2 _blocks.10:3" -> [(layer, channel), ...]."""
    units = []
    for group in text.split():
        layer, channels = group.split(":")
        units += [(layer, int(c)) for c in channels.split(",")]
    return units


def horama_render(model, unit, steps, size, crops, seed) -> tuple[torch.Tensor, torch.Tensor]:
    """One unit by Horama's maco: its picture in [0,1] at `size` and its transparency (mean |grad|)."""
    from horama import maco_fv

    layer, channel = unit
    low, high = (float(model.normalize(torch.full((1, 3, 1, 1), v))[0, 0, 0, 0]) for v in (0.0, 1.0))

    def objective(x):
        with Capture(model, [layer], pre_relu=True) as capture:
            return capture.run(x)[layer][:, channel].mean()

    torch.manual_seed(seed)
    image, alpha = maco_fv.maco(objective, total_steps=steps, learning_rate=1.0, image_size=size,
                                model_input_size=model.input_size, crops_per_iteration=crops,
                                values_range=(low, high), device=str(model.device))
    return ((image.detach() - low) / (high - low)).clamp(0, 1).cpu(), opacity(alpha[None].cpu())[0]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", default=DEFAULT_UNITS, help="'LAYER:C,C LAYER:C' (default: 8 parts-tier units)")
    p.add_argument("--quality", default="fast", choices=["fast", "balanced", "best"],
                   help="the app's quality level: steps and size of every render")
    p.add_argument("--images", default=None, help="image set for the top patches (default: the gallery)")
    p.add_argument("--top", type=int, default=9, help="top patches per unit")
    p.add_argument("--jitters", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--horama-size", type=int, default=512, help="Horama's canvas side (its default: 1280)")
    p.add_argument("--horama-crops", type=int, default=6, help="Horama's crops per step (its default)")
    p.add_argument("--timing-repeats", type=int, default=3, help="repeats of the short timing renders")
    p.add_argument("--timing-steps", type=int, default=16, help="steps of each short timing render")
    p.add_argument("--figure", default=None, help="also draw the presets side by side into this file (.jpg, .png, "
                   ".svg or .pdf)")
    args = p.parse_args()

    model = models.load(device="cpu")
    units = parse_units(args.units)
    base = quality_settings(args.quality)
    print(f"# {model.name}, {len(units)} parts-tier units {args.units}; quality {args.quality} ({base.steps} steps, "
          f"{base.size} px); seed {args.seed}; Horama {args.horama_size} px, {args.horama_crops} crops/step; "
          f"top-{args.top} patches from {args.images or 'the gallery'}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; load average before: {load()}")
    patches = [top_patches(model, args.images, layer, c, args.top) for layer, c in units]
    viz.render(model, units, size=32, steps=2, cache=False)  # warm-up: oneDNN's first-shape costs fall here

    runs, neurons = {}, [(layer, c, None, None) for layer, c in units]
    for kind, targets in (("", units), (" neuron", neurons)):
        for preset in ("standard", "natural"):
            settings = quality_settings(args.quality, preset=preset, seed=args.seed)
            found, wall = timed(lambda: viz.render(model, targets, settings=settings, cache=False))
            runs[preset + kind] = (found.images, found.transparency, wall)
    with tempfile.TemporaryDirectory() as folder:
        from horama import maco_fv

        maco_fv.MACO_SPECTRUM_FILENAME = str(Path(folder) / "spectrum.npy")  # ours, so nothing is downloaded
        np.save(maco_fv.MACO_SPECTRUM_FILENAME, np.load(SHIPPED).astype(np.float32))
        pieces, wall = timed(lambda: [horama_render(model, u, base.steps, args.horama_size, args.horama_crops,
                                                    args.seed) for u in units])
    runs["horama maco"] = (torch.cat([im[None] for im, _ in pieces]),
                           torch.cat([a[None] for _, a in pieces]), wall)

    rows = {}
    for name, (images, _, wall) in runs.items():
        judged = neurons if name.endswith("neuron") else units
        rows[name] = (wall, judge(model, images, judged), judge(model, images, judged, jitters=args.jitters,
                                                                  seed=args.seed), plausibility(model, images, patches))
    reference = rows["horama maco"]
    print("\n| run | wall s | vs standard | activation | jittered | plausibility | act. vs Horama | "
          "jit. vs Horama | plaus. vs Horama | plaus. vs standard |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (wall, plain, jittered, plaus) in rows.items():
        print(f"| {name} | {wall:.1f} | {wall / rows['standard'][0]:.2f}x | {plain.mean():.2f} | {jittered.mean():.2f} | "
              f"{plaus.mean():.3f} | {plain.mean() / reference[1].mean():.2f} | "
              f"{jittered.mean() / reference[2].mean():.2f} | {plaus.mean() / reference[3].mean():.2f} | "
              f"{plaus.mean() / rows['standard'][3].mean():.2f} |")
    print("\nper unit (activation / plausibility):")
    for name, (_, plain, _, plaus) in rows.items():
        print(f"  {name:12s} " + "  ".join(f"{a:.1f}/{b:.3f}" for a, b in zip(plain.tolist(), plaus.tolist())))
    print(f"\nper step, natural / standard (the fastest of {args.timing_repeats} {args.timing_steps}-step renders of "
          f"the {len(units)} channels, taken in turns): {step_ratio(model, units, args):.2f}x")
    print(f"load average after: {load()}")
    if args.figure:
        draw(model, args, units, runs)


def step_ratio(model, units, args) -> float:
    """Seconds per step of natural over standard, each the minimum over repeated short renders (timeit's rule:
    on a shared machine the fastest repeat is the one least disturbed)."""
    best = {}
    for _ in range(args.timing_repeats):
        for preset in ("standard", "natural"):
            settings = quality_settings(args.quality, preset=preset, steps=args.timing_steps, seed=args.seed)
            wall = timed(lambda: viz.render(model, units, settings=settings, cache=False))[1]
            best[preset] = min(best.get(preset, float("inf")), wall)
    return best["natural"] / best["standard"]


def draw(model, args, units, runs) -> None:
    """Rows: each preset at the same quality (channels), the neuron renders, then Horama; natural ones over a
    checkerboard."""
    rows, names = [], []
    for preset in ("standard", "lucid", "classic"):
        rows.append(viz.render(model, units, settings=quality_settings(args.quality, preset=preset, seed=args.seed),
                               cache=False).images)
        names.append(preset)
    rows.append(runs["standard neuron"][0])
    names.append("standard neuron")
    for name in ("natural", "natural neuron", "horama maco"):
        images, alpha, _ = runs[name]
        rows.append(on_background(images, alpha))
        names.append(name)
    pictures = [torch.nn.functional.interpolate(r, size=128, mode="bilinear", antialias=True) for r in rows]
    captions = [f"{name}\n{layer} unit {c}" for name in names for layer, c in units]
    figure = grid_figure(torch.cat(pictures), captions, columns=len(units), panel_inches=1.5,
                         title=f"{model.name} parts-tier units, quality {args.quality}: the presets side by side")
    path = Path(args.figure)
    if path.suffix.lower() in (".jpg", ".jpeg"):  # photographic panels: a JPEG is a tenth of the PNG
        Image.open(io.BytesIO(figure_bytes(figure, ".png", dpi=100))).convert("RGB").save(path, quality=85)
        print(f"wrote {path}")
    else:
        print(f"wrote {save_figure(figure, path)}")


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
