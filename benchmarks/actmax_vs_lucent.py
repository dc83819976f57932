"""Activation maximization, this engine vs Lucent, same units, same run (see README, "Activation maximization").

Both render the same units of the embedded model with the same size, steps, parameterization (Fourier,
decorrelated colour, sigmoid), transforms (Lucid's standard set) and optimizer (Adam 0.05). Lucent renders
the units in its own batch mode (one optimization, objective = sum of per-image channel objectives) and, with
--lucent-sequential, also one unit at a time. Each picture is judged the same way for both: shown at the
model's input size, plain and averaged over random shifts and zooms (viz.actmax.judge).

Lucent is a benchmark-only dependency: `make bench` installs it (with --no-deps) into benchmarks/.deps.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / ".deps"))

import models  # noqa: E402
import viz  # noqa: E402
from viz.cli.options import parse_channels  # noqa: E402
from viz.metrics.judge import judge  # noqa: E402


def import_lucent():
    """Lucent imports IPython only to show pictures in notebooks; an empty stand-in spares installing it."""
    if "IPython" not in sys.modules:
        ipython, display = types.ModuleType("IPython"), types.ModuleType("IPython.display")
        ipython.display = display
        sys.modules.update({"IPython": ipython, "IPython.display": display})
    from lucent.optvis import objectives, param, render, transform

    return objectives, param, render, transform


def lucent_render(model, layer, channels, size, steps, seed):
    objectives, param, render, transform = import_lucent()
    torch.manual_seed(seed)
    np.random.seed(seed)
    name = layer.replace(".", "_")  # Lucent names modules by their path joined with "_"
    objective = sum(objectives.channel(name, c, batch=i) for i, c in enumerate(channels))
    images = render.render_vis(
        model.net,
        objective,
        lambda: param.image(size, batch=len(channels)),  # Fourier, decorrelated, sigmoid: Lucent's default
        # Lite0's own normalization, as Lucent would apply it: `model.normalizer`, not `model.normalize`, which also
        # lays the batch out channels-last, this engine's speed lever (Lucent's step would gain it too)
        transforms=transform.standard_transforms + [model.normalizer],
        thresholds=(steps,),
        preprocess=False,
        progress=False,
        show_image=False,
    )[-1]
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def steady_step_seconds(model, args, channels, units) -> dict[str, float]:
    """Seconds per step of each run, the minimum over repeated short renders taken in turns (timeit's rule:
    on a shared machine the fastest repeat is the one least disturbed)."""
    short = args.timing_steps
    # The engine's first 16 steps use the slower redirected gradient; a short render keeps the same share.
    redirect = max(1, round(16 * short / args.steps))
    common = dict(size=args.size, steps=short, seed=args.seed, redirect_steps=redirect, cache=False)
    runners = {f"engine {p}": (lambda p=p: viz.render(model, units, preset=p, **common))
               for p in args.presets.split(",")}
    for window in filter(None, args.windows.split(",")):
        runners[f"engine window {window}"] = lambda w=float(window): viz.render(model, units, window=w, **common)
    for mode in filter(None, args.compile.split(",")):
        runners[f"engine compile {mode}"] = lambda m=mode: viz.render(model, units, compile=m, **common)
    runners["lucent batch"] = lambda: lucent_render(model, args.layer, channels, args.size, short, args.seed)
    best = {name: float("inf") for name in runners}
    for _ in range(args.timing_repeats):
        for name, run in runners.items():
            best[name] = min(best[name], timed(run)[1] / short)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layer", default="_blocks.8")
    p.add_argument("--channels", default="0-7")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--steps", default="128,512", help="step counts to run, comma-separated; each gets its table")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jitters", type=int, default=8, help="random shift/zoom draws averaged per judgement")
    p.add_argument("--device", default="auto")
    p.add_argument("--presets", default="standard", help="engine presets to run, comma-separated")
    p.add_argument("--windows", default="", help="also run the standard preset with these windows, e.g. 0.72,1")
    p.add_argument("--compile", default="", help="also run the standard preset compiled in these modes, e.g. "
                   "on,reduce-overhead (compile time falls in the warm-up: the graph is cached per shape)")
    p.add_argument("--lucent-sequential", action="store_true", help="also run Lucent one unit at a time")
    p.add_argument("--timing-repeats", type=int, default=3, help="repeats of the short timing renders (0: none)")
    p.add_argument("--timing-steps", type=int, default=48, help="steps of each short timing render")
    args = p.parse_args()

    model = models.load(device=args.device)
    channels = parse_channels(args.channels, model.layer(args.layer).channels)
    units = [(args.layer, c) for c in channels]
    step_counts = [int(n) for n in args.steps.split(",")]
    print(f"# {model.name} {args.layer} channels {args.channels}: size {args.size}, steps {args.steps}, "
          f"seed {args.seed}; device {model.device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{platform.processor() or platform.machine()}; load average before: {load()}")
    for steps in step_counts:
        args.steps = steps
        runs = measure_runs(model, args, channels, units)
        steady = steady_step_seconds(model, args, channels, units) if args.timing_repeats else {}
        print_table(model, args, units, runs, steady)
        print(f"load average after {steps} steps: {load()}")


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def warm_up(model, args, channels, units) -> None:
    """An untimed 2-step render by each engine first: one-off start-up costs (oneDNN picking its kernels for
    each shape, first allocations, and the compiled step's compile) then fall on no timed run."""
    for mode in ["off", *filter(None, args.compile.split(","))]:
        viz.render(model, units, size=args.size, steps=2, redirect_steps=1, seed=args.seed, cache=False, compile=mode)
    lucent_render(model, args.layer, channels, args.size, 2, args.seed)


def measure_runs(model, args, channels, units) -> dict:
    """Each run's images and wall time at `args.steps` steps."""
    render = dict(size=args.size, steps=args.steps, seed=args.seed, cache=False)
    warm_up(model, args, channels, units)
    runs = {}
    for preset in args.presets.split(","):
        result, wall = timed(lambda: viz.render(model, units, preset=preset, **render))
        runs[f"engine {preset}"] = (result.images, wall)
    for window in filter(None, args.windows.split(",")):
        result, wall = timed(lambda: viz.render(model, units, window=float(window), **render))
        runs[f"engine window {window}"] = (result.images, wall)
    for mode in filter(None, args.compile.split(",")):
        result, wall = timed(lambda: viz.render(model, units, compile=mode, **render))
        runs[f"engine compile {mode}"] = (result.images, wall)
    images, wall = timed(lambda: lucent_render(model, args.layer, channels, args.size, args.steps, args.seed))
    runs["lucent batch"] = (images, wall)
    if args.lucent_sequential:
        pieces, wall = timed(lambda: [lucent_render(model, args.layer, [c], args.size, args.steps, args.seed)
                                      for c in channels])
        runs["lucent sequential"] = (torch.cat(pieces), wall)
    return runs


def print_table(model, args, units, runs, steady) -> None:
    rows = {}
    for name, (images, wall) in runs.items():
        plain = judge(model, images, units)
        jittered = judge(model, images, units, jitters=args.jitters, seed=args.seed)
        rows[name] = (wall, len(units) / wall, plain, jittered)
    ref = rows["lucent batch"]
    print(f"\n{args.steps} steps:\n\n| run | wall s | units/s | speed vs Lucent batch | step s (min of "
          f"{args.timing_repeats}) | step speed vs Lucent | activation | jittered | act. vs Lucent | jit. vs Lucent |"
          " jit. median vs Lucent |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, (wall, ups, plain, jit) in rows.items():
        step = steady.get(name, float("nan"))
        print(f"| {name} | {wall:.1f} | {ups:.4f} | {ups / ref[1]:.2f}x | {step:.3f} | "
              f"{steady.get('lucent batch', float('nan')) / step:.2f}x | {plain.mean():.2f} | {jit.mean():.2f} | "
              f"{plain.mean() / ref[2].mean():.2f} | {jit.mean() / ref[3].mean():.2f} | "
              f"{jit.median() / ref[3].median():.2f} |")
    print("\nper image (plain / jittered):")
    for name, (_, _, plain, jit) in rows.items():
        print(f"  {name:18s} " + "  ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(plain.tolist(), jit.tolist())))


if __name__ == "__main__":
    main()
