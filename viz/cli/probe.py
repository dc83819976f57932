"""Command `probe`: tag every unit with synthetic stimuli and plot the share of each tag per layer,
trained beside untrained (Figure 1.2 measured)."""

from __future__ import annotations

import models
from viz.core.export import check_output_path, save_figure
from viz.probing.figures import shares_figure
from viz.probing.tagging import TAGS, probe

from .options import add_figure_options, progress_bar


def register(commands, model_options) -> None:
    p = commands.add_parser(
        "probe", parents=[model_options],
        help="tag units (edge, colour, curve, other) with synthetic stimuli; share per layer, trained vs untrained",
    )
    p.add_argument("--layers", help="comma-separated layers (default: every visualizable layer)")
    p.add_argument("--no-cache", action="store_true", help="recompute instead of reading the disk cache")
    add_figure_options(p)
    p.set_defaults(run=_probe)


def _probe(args) -> None:
    check_output_path(args.out)
    panels = []
    for weights in (args.weights, "none"):
        model = models.load(args.model, weights=weights, device=args.device)
        names = args.layers.split(",") if args.layers else [layer.name for layer in model.layers]
        for name in names:
            model.layer(name)  # an unknown name fails here, with the list of valid ones
        with progress_bar(f"probe {model.name} ({weights})", "stimulus") as update:
            found = probe(model, names, progress=update, cache=not args.no_cache)
        label = f"{model.name} ({'untrained' if model.untrained else weights})"
        panels.append((label, found))
        print(f"\n{label}\n| layer | tier | " + " | ".join(TAGS) + " |\n|---|---|" + "---|" * len(TAGS))
        for name, layer_probe in found.items():
            shares = layer_probe.shares()
            print(f"| {name} | {model.layer(name).tier} | " + " | ".join(f"{shares[t]:.2f}" for t in TAGS) + " |")
    tiers = {layer.name: layer.tier for layer in model.layers}
    print(f"wrote {save_figure(shares_figure(panels, tiers), args.out, dpi=args.dpi)}")
