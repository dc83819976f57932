"""Speed of the atlas: units rendered per second and peak device memory, with the render cache off.

    python benchmarks/atlas_speed.py [--model efficientnet_lite0] [--layers blocks|all|L1,L2]
                                     [--channels 0-7] [--size 128] [--steps 512] [--batch N] [--device auto]

`--layers blocks` (the default) is every `_blocks.N` layer of the embedded model: 1,808 units. The engine call
is the one `python -m viz atlas` makes (viz.actmax.per_unit.unit_pictures), without writing PNGs. On a GPU the batch is
the whole list (the renderer halves it on out-of-memory); on a CPU, 8 units. Prints `uptime` beside the
figures: on a shared machine they depend on the load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models
from viz.actmax.settings import resolve
from viz.cli.options import parse_channels
from viz.actmax.per_unit import unit_pictures
from viz.jobs.atlas import atlas_units
from viz.serving.cache import DiskCache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--layers", default="blocks", help="blocks, all, or a comma-separated list")
    parser.add_argument("--channels", help="channels of each layer, e.g. 0-7 (default: all)")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=512)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    model = models.load(args.model, device=args.device)
    names = {"all": None, "blocks": [layer.name for layer in model.layers if layer.name.startswith("_blocks.")]}
    layers = names[args.layers] if args.layers in names else args.layers.split(",")
    units = atlas_units(model, layers, parse_channels(args.channels) if args.channels else None)
    settings = resolve(size=args.size, steps=args.steps)
    cuda = model.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.synchronize()
    start = time.perf_counter()
    pictures = list(unit_pictures(model, units, settings, batch=args.batch, cache=DiskCache("units", enabled=False)))
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    assert len(pictures) == len(units)
    print(f"atlas: {len(units)} units of {len(set(u[0] for u in units))} layers, {args.size} px, {args.steps} steps, "
          f"device {model.device} ({torch.cuda.get_device_name() if cuda else f'{torch.get_num_threads()} threads'})")
    print(f"time {seconds:.1f} s, {len(units) / seconds:.2f} units/s")
    if cuda:
        print(f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    print("load:", open("/proc/loadavg").read().strip() if os.path.exists("/proc/loadavg") else "unknown")


if __name__ == "__main__":
    main()
