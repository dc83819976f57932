"""Command `hierarchy`: the Deep Learning book's Figure 1.2 for one photo, the app's landing strip as a file."""

from __future__ import annotations

import models
from viz.views import evidence, hierarchy
from viz.actmax import QUALITY
from viz.core.export import check_output_path, save_figure
from viz.core.images import load_image

from .options import add_figure_options


def register(commands, model_options) -> None:
    p = commands.add_parser(
        "hierarchy", parents=[model_options],
        help="Figure 1.2 for a photo: per tier the units that matter, named by their probe (render, best stimulus, "
             "top patches, projection, map), then the class",
    )
    p.add_argument("image", help="the photo")
    p.add_argument("--quality", default="fast", choices=list(QUALITY), help="render quality (default: fast)")
    p.add_argument("--by", default="contribution", choices=hierarchy.CHOOSE_BY,
                   help="choose units by their contribution to the predicted class (default) or their activation")
    p.add_argument("--steps", type=int, help="override the quality level's optimization steps")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the result caches")
    add_figure_options(p)
    p.set_defaults(run=_hierarchy)


def _hierarchy(args) -> None:
    out = check_output_path(args.out)
    model = models.load(args.model, weights=args.weights, device=args.device)
    cache = not args.no_cache
    found = hierarchy.choose_units(model, load_image(args.image), by=args.by, cache=cache)
    views = hierarchy.unit_views(model, found, cache=cache)
    renders = {tier: hierarchy.tier_renders(model, found, tier, args.quality, cache=cache, steps=args.steps) for tier in found.units}
    named = evidence.evidence(model, [(u.layer, u.channel) for units in found.units.values() for u in units],
                              cache=cache)
    save_figure(hierarchy.hierarchy_figure(model, found, views, renders, named), out, args.dpi)
    label, probability = found.predictions[0]
    print(f"wrote {out} ({label} {probability:.2f}; units by {args.by})")
