"""Command `invariance`: Zeiler & Fergus's Figure 5 curves for a few photos under one transformation."""

from __future__ import annotations

from pathlib import Path

import models
from viz.core.export import check_output_path, save_figure
from viz.core.images import gallery_dir, load_image
from viz.zf.figures import invariance_layers, invariance_figure
from viz.zf.invariance_curves import KINDS, invariance

from .options import add_figure_options

SAMPLES = ("chelsea.png", "coffee.png", "rocket.jpg")  # photos shown when none are named


def register(commands, model_options) -> None:
    p = commands.add_parser(
        "invariance", parents=[model_options],
        help="Figure 5: distance of a low and a high layer, and the class probability, as a photo is transformed",
    )
    p.add_argument("images", nargs="*", help=f"photos (default: the gallery's {', '.join(SAMPLES)})")
    p.add_argument("--kind", default="rotate", choices=KINDS, help="transformation (default: rotate)")
    p.add_argument("--amounts", help="comma-separated amounts (default: -60..60 px, 0.6-1.8, 0-360 degrees)")
    p.add_argument("--layers", help="comma-separated layers (default: the first edges layer and the last feature layer)")
    add_figure_options(p)
    p.set_defaults(run=_invariance)


def _amounts(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise models.UserError(f"cannot read amounts {text!r}; write numbers separated by commas, e.g. 0,15,30") from None


def _invariance(args) -> None:
    check_output_path(args.out)
    model = models.load(args.model, weights=args.weights, device=args.device)
    layers = args.layers.split(",") if args.layers else invariance_layers(model)
    for name in layers:
        model.layer(name)
    paths = [Path(p) for p in args.images] or [gallery_dir() / name for name in SAMPLES]
    results = []
    for path in paths:
        result = invariance(model, load_image(path), args.kind, _amounts(args.amounts), layers)
        label = model.labels[result.target] if model.labels else result.target
        print(f"{path.name}: {label}, probability from {result.probability.min():.3f} to {result.probability.max():.3f}")
        results.append((path.stem, result))
    print(f"wrote {save_figure(invariance_figure(model, results, layers), args.out, dpi=args.dpi)}")
