"""Command `circuit`: a unit and the units of an earlier layer it is built from, as a figure plus sidecar."""

from __future__ import annotations

from pathlib import Path

import models
from viz.actmax import QUALITY, quality_settings
from viz.core import sidecar
from viz.core.export import check_output_path, save_figure
from viz.core.figures import outline
from viz.core.images import fit_square, load_image
from viz.core.receptive_field import field_map
from viz.views.figures import circuit_figure
from viz.views.unit_circuit import circuit, field_pictures

from .options import add_figure_options


def register(commands, model_options) -> None:
    p = commands.add_parser(
        "circuit", parents=[model_options],
        help="which units of an earlier layer a unit is built from (gradient x activation), with their pictures",
    )
    p.add_argument("image", nargs="?", help="a photo to measure on (default: the unit's own field render)")
    p.add_argument("--layer", required=True, help="the unit's layer (see `layers`)")
    p.add_argument("--channel", required=True, type=int, help="the unit's channel")
    p.add_argument("--source", required=True, help="an earlier visualizable layer its inputs come from")
    p.add_argument("--k", type=int, default=3, help="inputs shown of each sign (default: 3)")
    p.add_argument("--quality", default="fast", choices=list(QUALITY), help="render quality (default: fast)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the render cache")
    add_figure_options(p)
    p.set_defaults(run=_circuit)


def _circuit(args) -> None:
    out = check_output_path(args.out)
    model = models.load(args.model, weights=args.weights, device=args.device)
    cache = not args.no_cache
    image = load_image(args.image) if args.image else None
    found = circuit(model, args.layer, args.channel, args.source, image, k=args.k, quality=args.quality, cache=cache)
    unit = field_pictures(model, args.layer, [args.channel], args.quality, cache)[0]
    inputs = field_pictures(model, args.source, [c for c, _ in found.inputs], args.quality, cache)
    photo = None
    if image is not None:
        photo = outline(fit_square(image, model.input_size).float(), field_map(model, args.layer).box(*found.position))
    on = Path(args.image).name if args.image else "its own render"
    title = (f"{model.name} ({'untrained' if model.weights == 'none' else 'trained'}): {args.layer} unit "
             f"{args.channel} built from {args.source}, gradient x activation on {on}")
    save_figure(circuit_figure(found, unit, inputs, title, photo), out, args.dpi)
    path = sidecar.write(out, {
        "command": "circuit",
        "model": model.name,
        "weights": model.weights,
        "weights_id": model.weights_id,
        "layer": args.layer,
        "channel": args.channel,
        "source": args.source,
        "image": args.image,
        "k": args.k,
        "quality": args.quality,
        "settings": quality_settings(args.quality, field=True).as_dict(),
        "position": list(found.position),
        "value": found.value,
        "inputs": [[c, v] for c, v in found.inputs],
        "shares": [[c, found.share(v)] for c, v in found.inputs],
        "device": str(model.device),
    })
    strongest = ", ".join(f"{c} ({100 * found.share(v):+.0f}%)" for c, v in found.inputs)
    print(f"wrote {out} and {path.name}: {args.source} units {strongest}")
