"""Command `index`: every unit's top-k examples and statistics over a folder of any size (see viz.jobs.index).

Runs as it is on one process, or sharded with PyTorch's launcher: `torchrun --nproc-per-node=K -m viz index`
(see viz.jobs.distributed). Interrupted and run again with the same settings, it continues where it stopped.
"""

from __future__ import annotations

import sys

import models
from viz.jobs.distributed import world
from viz.jobs.index import CHUNK, build_index, default_layers
from viz.zf.topk import skipped_message

from .options import progress_bar


def register(commands, model_options) -> None:
    p = commands.add_parser("index", parents=[model_options],
                            help="index a folder of images: every unit's top-k examples and statistics, resumable")
    p.add_argument("folder", help="folder of images (searched recursively)")
    p.add_argument("--out", required=True, help="index folder (new or empty, or an earlier index to continue)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--layers", help="comma-separated layers, e.g. _blocks.1,_blocks.4")
    which.add_argument("--tiers", action="store_true", help="each tier's layer of Figure 1.2 (the default)")
    p.add_argument("--k", type=int, default=9, help="examples kept per unit (1-1000)")
    p.add_argument("--any-position", action="store_true",
                   help="let one image give several of a unit's examples (default: its strongest position only)")
    p.add_argument("--fit", default="squash", choices=["squash", "crop"], help="how images are made square")
    p.add_argument("--batch-size", type=int, default=32, help="images per forward pass")
    p.add_argument("--chunk", type=int, default=CHUNK,
                   help="images per saved piece of work (what an interruption can lose; the unit of sharding)")
    p.add_argument("--workers", type=int, default=1,
                   help="threads decoding images (on a GPU 4-8 keep it fed; on a CPU the forward pass needs the cores)")
    p.set_defaults(run=_index)


def _index(args) -> None:
    with world(args.device) as here:
        model = models.load(args.model, weights=args.weights, device=here.device)
        layers = [name.strip() for name in args.layers.split(",") if name.strip()] if args.layers else None
        label = f"index rank {here.rank}/{here.size}" if here.size > 1 else "index"
        with progress_bar(label, "image") as update:
            run = build_index(model, args.folder, args.out, layers=layers, k=args.k, per_image=not args.any_position,
                              fit=args.fit, batch_size=args.batch_size, chunk=args.chunk, world=here, progress=update,
                              workers=args.workers)
        if not here.leader:
            return
        if run.up_to_date:
            print(f"{args.out} already holds this index of {run.files} files; nothing to do")
            return
        if run.note:
            print(run.note)
        names = ", ".join(layers or default_layers(model))
        resumed = f", {run.resumed} found done by an earlier run" if run.resumed else ""
        speed = f", {run.files / run.seconds:.1f} files/s" if not run.resumed and run.seconds else ""
        print(f"indexed {run.images} images of {run.files} files ({names}) in {run.seconds:.1f} s{speed}"
              f"{resumed} -> {args.out}")
        if run.skipped:
            print(f"{skipped_message(run.skipped)} (all listed in {args.out}/skipped.json)", file=sys.stderr)
