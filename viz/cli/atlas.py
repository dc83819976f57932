"""Command `atlas`: a picture of every unit, as PNGs plus atlas.json and an offline index.html.

Runs as it is on one process, or sharded with PyTorch's launcher: `torchrun --nproc-per-node=K -m viz atlas`
(see viz.distributed). Interrupted and run again, it skips the units whose PNG is done for these settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import models
from viz.actmax import QUALITY, quality_settings
from viz.actmax.per_unit import unit_key, unit_pictures
from viz.jobs.atlas import atlas_units
from viz.jobs.atlas_site import is_done, write_index, write_unit
from viz.jobs.distributed import world

from .options import parse_channels, progress_bar


def register(commands, model_options) -> None:
    p = commands.add_parser("atlas", parents=[model_options],
                            help="render every unit of some layers to PNGs with an offline index.html")
    p.add_argument("--layer", action="append", help="visualizable layer; repeat for several (default: all)")
    p.add_argument("--channels", help="channels of each layer, e.g. 0-15 (default: all; cut to each layer)")
    p.add_argument("--preset", default="fast", choices=list(QUALITY),
                   help="quality (the app sidebar's; fast is its default, so the app's Layer atlas page reads it)")
    p.add_argument("--size", type=int, help="side of each picture in pixels (16-1024)")
    p.add_argument("--steps", type=int, help="optimization steps (1-10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (each unit's own seed derives from it)")
    p.add_argument("--field", action="store_true",
                   help="render each unit's receptive field only, enlarged: the landing's pictures, which it then "
                        "reads from the cache")
    p.add_argument("--batch", type=int, help="units per optimization (default: 8 on a CPU, a whole layer on a GPU)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the per-unit render cache")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(run=_atlas)


def _atlas(args) -> None:
    out = Path(args.out)
    with world(args.device) as here:
        model = models.load(args.model, weights=args.weights, device=here.device)
        channels = parse_channels(args.channels) if args.channels else None
        units = atlas_units(model, args.layer, channels)
        settings = quality_settings(args.preset, size=args.size, steps=args.steps, seed=args.seed, field=args.field)
        if args.batch is not None and args.batch < 1:
            raise models.UserError(f"batch {args.batch} is out of range; choose 1 or more units")
        out.mkdir(parents=True, exist_ok=True)
        keys = {unit: unit_key(model, unit, settings) for unit in units}
        todo = [unit for unit in here.share(units) if not is_done(out, *unit, keys[unit])]
        label = f"atlas rank {here.rank}/{here.size}" if here.size > 1 else "atlas"
        with progress_bar(label, "step") as update:
            cache = not args.no_cache
            for picture in unit_pictures(model, todo, settings, batch=args.batch, progress=update, cache=cache):
                write_unit(out, picture, keys[(picture.layer, picture.channel)])
        here.barrier()
        if here.leader:
            header = {"model": model.name, "weights": model.weights, "weights_id": model.weights_id,
                      "preset": args.preset, "settings": settings.as_dict(), "device": model.device.type,
                      "processes": here.size}
            record = write_index(out, header, units)
            print(f"wrote {len(record['units'])} units of {len(units)} to {out} (index.html, atlas.json)")
            if len(record["units"]) < len(units):
                print(f"warning: {len(units) - len(record['units'])} units have no picture", file=sys.stderr)

