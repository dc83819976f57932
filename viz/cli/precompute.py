"""Command `precompute`: fill the cache a classroom's app will read (see viz.precompute)."""

from __future__ import annotations

import models
from viz.atlas import QUALITIES
from viz.precompute import classroom_tasks

from .options import progress_bar


def register(commands, model_options) -> None:
    p = commands.add_parser("precompute", parents=[model_options],
                            help="fill the cache for a classroom: gallery sweeps and the default atlas layer")
    p.add_argument("--preset", default="quick", choices=list(QUALITIES),
                   help="quality of the atlas pictures (the Layer atlas page's choice; quick is its default)")
    p.set_defaults(run=_precompute)


def _precompute(args) -> None:
    model = models.load(args.model, weights=args.weights, device=args.device)
    tasks = classroom_tasks(model, args.preset)
    computed = 0
    for number, task in enumerate(tasks, 1):
        with progress_bar(f"[{number}/{len(tasks)}] {task.name}", "step") as update:
            done = task.run(update)
        computed += done
        print(f"[{number}/{len(tasks)}] {task.name}: {'computed ' + str(done) if done else 'already cached'}")
    print(f"precompute: {computed} entries computed, {len(tasks)} tasks" +
          ("" if computed else " (everything was cached already)"))
