"""Command `precompute`: fill the cache a classroom's app will read (see viz.precompute)."""

from __future__ import annotations

import models
from viz.actmax import QUALITY
from viz.jobs.index import IndexRun
from viz.jobs.precompute import classroom_tasks
from viz.serving.cache import entry_count

from .options import progress_bar


def register(commands, model_options) -> None:
    p = commands.add_parser("precompute", parents=[model_options],
                            help="fill the cache for a classroom: landing and tour per gallery photo, sweeps, atlas")
    p.add_argument("--preset", default="fast", choices=list(QUALITY),
                   help="quality of the pictures (the app sidebar's Quality; fast is its default)")
    p.set_defaults(run=_precompute)


def _precompute(args) -> None:
    model = models.load(args.model, weights=args.weights, device=args.device)
    tasks = classroom_tasks(model, args.preset)
    added = 0
    for number, task in enumerate(tasks, 1):
        before = entry_count()
        with progress_bar(f"[{number}/{len(tasks)}] {task.name}", "step") as update:
            result = task.run(update)
        new = entry_count() - before
        if isinstance(result, IndexRun):  # an index is files of its own, not cache entries
            new = 0 if result.up_to_date else 1
        added += new
        print(f"[{number}/{len(tasks)}] {task.name}: {f'computed {new} entries' if new else 'already cached'}")
    print(f"precompute: {added} entries computed for {len(tasks)} tasks" +
          ("" if added else " (everything was cached already)"))
