"""A render step against the network's own truncated forward+backward on the same batch, side by side.

    python benchmarks/render_step.py [--layer _blocks.7] [--units 8] [--size 128] [--steps 20] [--repeats 5]

The render step (the loop of `viz.actmax.rendering`: parameterization, transforms, normalization, the network to
the layer, the objectives, backward, Adam) is timed part by part on the settings of a quality level, and the
network's own cost is timed alone: the same window-sized batch (shape and memory format) through the network to
the layer and back, nothing else; and, for reference, a batch at the picture's own size, which the network does
not see (the step shows the picture at the network's input scale and crops the window). Both in one process, in turns, median of the repeats, so a shared machine disturbs both alike.
Issue 28's target: the step within 1.4x the network's own forward+backward.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from viz.actmax.rendering import _problem, _view, run_to_layers, unit_objective, unit_scores  # noqa: E402
from viz.actmax.settings import quality_settings  # noqa: E402
from viz.core.hooks import Capture  # noqa: E402
from viz.core.streams import UnitStreams, unit_seeds  # noqa: E402

PARTS = ("image", "transform", "forward", "backward", "optimizer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--layer", default="_blocks.7")
    parser.add_argument("--units", type=int, default=8)
    parser.add_argument("--size", type=int, default=128, help="the parameterized picture's side (px)")
    parser.add_argument("--quality", default="fast", help="the quality level whose other settings are used")
    parser.add_argument("--steps", type=int, default=20, help="steps timed per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = models.load(args.model, device="cpu")
    settings = dataclasses.replace(quality_settings(args.quality), size=args.size)
    objectives = [unit_objective(model, (args.layer, c)) for c in range(args.units)]
    generator = UnitStreams(unit_seeds(settings.seed, [repr(o) for o in objectives]), model.device)
    problem = _problem(len(objectives), settings, generator, model.device)
    transform = _view(settings, model, False)
    print(f"{model.name} {args.layer}, {args.units} units, {args.size} px, {settings.param} "
          f"(decorrelate {settings.decorrelate}), transforms {settings.transforms}, window {settings.window}, "
          f"{settings.optimizer}; {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} (a shared machine: compare the columns, "
          "measured in turns)", flush=True)

    steps, nets = [], []
    with Capture(model, [args.layer], stop=True, pre_relu=settings.pre_relu) as capture:
        def step(times: dict) -> torch.Tensor:
            marks = [time.perf_counter()]
            image = problem.image_fn()
            marks.append(time.perf_counter())
            x = model.normalize(transform(image, generator))
            marks.append(time.perf_counter())
            scores = unit_scores(objectives, run_to_layers(capture, x, False))
            marks.append(time.perf_counter())
            problem.optimizer.zero_grad(set_to_none=True)
            (-scores.sum()).backward()
            marks.append(time.perf_counter())
            problem.optimizer.step()
            marks.append(time.perf_counter())
            for part, begin, end in zip(PARTS, marks, marks[1:]):
                times[part] = times.get(part, 0.0) + end - begin
            return x

        x = step({})  # warm-up: allocations, oneDNN's first-call kernels
        side = x.shape[-1]
        batch = torch.rand_like(x.detach()).requires_grad_()  # the step's batch: its shape and memory format
        layout = "channels-last" if x.is_contiguous(memory_format=torch.channels_last) else "contiguous"

        small = torch.rand(args.units, 3, args.size, args.size).contiguous(
            memory_format=torch.channels_last if layout == "channels-last" else torch.contiguous_format)
        small.requires_grad_()

        def network(times: dict, batch: torch.Tensor = batch) -> None:
            begin = time.perf_counter()
            acts = capture.run(batch)[args.layer]
            middle = time.perf_counter()
            acts[:, : args.units].mean(dim=(2, 3)).diagonal().sum().backward()
            times["net forward"] = times.get("net forward", 0.0) + middle - begin
            times["net backward"] = times.get("net backward", 0.0) + time.perf_counter() - middle

        def network_small(times: dict) -> None:
            network(times, small)

        network({})
        smalls: list = []
        for _ in range(args.repeats):
            for runs, fn in ((steps, step), (nets, network), (smalls, network_small)):
                times: dict = {}
                for _ in range(args.steps):
                    fn(times)
                runs.append({k: 1000 * v / args.steps for k, v in times.items()})

    def median(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    step_ms = statistics.median(sum(r.values()) for r in steps)
    net_ms = statistics.median(sum(r.values()) for r in nets)
    print(f"network's own forward+backward on ({args.units}, 3, {side}, {side}), {layout}: {net_ms:.1f} ms "
          f"(forward {median(nets, 'net forward'):.1f}, backward {median(nets, 'net backward'):.1f})")
    print(f"  for comparison, at the picture's own {args.size} px: "
          f"{statistics.median(sum(r.values()) for r in smalls):.1f} ms (the step shows the picture at the "
          f"network's input scale and crops the window: the network sees {side} px)")
    print(f"render step: {step_ms:.1f} ms = {step_ms / net_ms:.2f}x the network's own (target <= 1.4x); parts: "
          + ", ".join(f"{part} {median(steps, part):.1f}" for part in PARTS))


if __name__ == "__main__":
    main()
