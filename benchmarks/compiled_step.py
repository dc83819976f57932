"""The compiled render step against the plain one, side by side in one process (docs/benchmarks.md, "Compiled step").

For each `--modes` entry: the first compiled render (trace and compile included; the graph is then cached for
the process), the steady seconds per step (short renders of plain and compiled in turns, median of the
repeats: a shared machine disturbs both alike), the mean objective reached at the last step, and the largest
pixel difference from the plain render. All steps use the plain gradient (`redirect_steps=0`): the redirected
steps are never compiled.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
import viz  # noqa: E402
from viz.cli.options import parse_channels  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def diff(a, b) -> str:
    d = (a.images - b.images).abs()
    return f"{d.mean():.1e}, {d.max():.1e}"


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layer", default="_blocks.7")
    p.add_argument("--channels", default="0-7")
    p.add_argument("--size", type=int, default=128, help="picture side; the standard preset shows 161 px of it")
    p.add_argument("--steps", type=int, default=8, help="steps of each timed render")
    p.add_argument("--repeats", type=int, default=3, help="timed renders of each, taken in turns")
    p.add_argument("--modes", default="on", help="compile settings to compare with off, comma-separated")
    p.add_argument("--device", default="auto")
    args = p.parse_args()

    model = models.load(device=args.device)
    units = [(args.layer, c) for c in parse_channels(args.channels, model.layer(args.layer).channels)]
    common = dict(size=args.size, redirect_steps=0, cache=False)
    print(f"# {model.name} {args.layer} channels {args.channels}, batch {len(units)}, size {args.size} "
          f"(standard preset); device {model.device}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"load average before: {load()}")
    modes = ["off", *args.modes.split(",")]
    first = {m: timed(lambda m=m: viz.render(model, units, steps=1, compile=m, **common))[1] for m in modes}
    seconds = {m: [] for m in modes}
    renders = {}
    for _ in range(args.repeats):
        for m in modes:
            renders[m], wall = timed(lambda m=m: viz.render(model, units, steps=args.steps, compile=m, **common))
            seconds[m].append(wall / args.steps)
    plain = renders["off"]
    print(f"\n| compile | first render s (1 step, compile included) | step s (median of {args.repeats}) | speed vs plain "
          f"| objective at step {args.steps} | pixel diff vs plain: mean, max |")
    print("|---|---|---|---|---|---|")
    for m in modes:
        step = statistics.median(seconds[m])
        print(f"| {m} | {first[m]:.1f} | {step:.3f} | {statistics.median(seconds['off']) / step:.2f}x | "
              f"{renders[m].history[-1].mean():.3f} | {diff(renders[m], plain)} |")
    print(f"\nall step times: { {m: [round(s, 3) for s in v] for m, v in seconds.items()} }")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
