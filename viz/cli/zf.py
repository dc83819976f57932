"""Zeiler–Fergus commands: `deconv` (Figure 2), `occlusion` (Figure 7), `filters` (first-layer filters)."""

from __future__ import annotations

import sys

import models
from viz.core.export import check_output_path, save_figure
from viz.core.images import load_image, to_batch
from viz.zf.figures import figure2, filters_figure, occlusion_figure, projection_note
from viz.zf.occlusion_maps import occlusion
from viz.zf.display import DISPLAYS
from viz.zf.projection import EXTENTS, METHODS
from viz.zf.topk import top_examples

from .options import add_figure_options, parse_channels, progress_bar


def register(commands, model_options) -> None:
    p = commands.add_parser(
        "deconv",
        parents=[model_options],
        help="Figure 2: per unit, its top-9 projections beside the image patches that excite it most",
    )
    p.add_argument("--layer", required=True, help="layer name (see `layers MODEL`)")
    p.add_argument("--channels", default="0-8", help="units to show, e.g. 0-8 or 3,7,9-11")
    p.add_argument("--images", default=None, help="folder of images to search (default: the bundled gallery)")
    p.add_argument("--method", default="deconvnet", choices=METHODS, help="projection rule (default: deconvnet)")
    p.add_argument("--k", type=int, default=9, help="examples per unit (default 9, shown 3 per row)")
    p.add_argument("--any-position", action="store_true", help="allow several examples from one image")
    p.add_argument("--smooth", type=int, default=0, metavar="N",
                   help="SmoothGrad: average each projection over N noisy copies (the app uses 16; default 0: off)")
    p.add_argument("--extent", default="field", choices=EXTENTS,
                   help="send down the unit over the neuron's field (default, legible) or the one neuron (the paper)")
    p.add_argument("--display", default="magnitude", choices=DISPLAYS,
                   help="draw the projection's strength (default) or its raw signed colours")
    p.add_argument("--batch-size", type=int, default=32, help="images per forward pass in the sweep")
    p.add_argument("--no-cache", action="store_true", help="recompute the sweep instead of reading the disk cache")
    add_figure_options(p)
    p.set_defaults(run=_deconv)

    p = commands.add_parser(
        "occlusion", parents=[model_options], help="Figure 7: slide a grey square, map the class probability"
    )
    p.add_argument("image")
    p.add_argument("--window", type=int, default=None, help="side of the grey square in px (default: input side / 4)")
    p.add_argument("--stride", type=int, default=None, help="step between squares (default: half the window)")
    p.add_argument("--target", type=int, default=None, help="class index (default: the top prediction)")
    p.add_argument("--layer", default=None, help="also map this layer's feature map")
    p.add_argument("--channel", type=int, default=None, help="feature map (default: the clean image's strongest)")
    add_figure_options(p)
    p.set_defaults(run=_occlusion)

    p = commands.add_parser("filters", parents=[model_options], help="first-layer filters, trained beside untrained")
    add_figure_options(p)
    p.set_defaults(run=_filters)


def _deconv(args) -> None:
    check_output_path(args.out)
    model = models.load(args.model, weights=args.weights, device=args.device)
    known = {layer.name: layer.channels for layer in model.layers}
    parse_channels(args.channels, limit=known.get(args.layer))  # fail before the sweep where we can
    with progress_bar(f"top-{args.k} sweep of {args.layer}", "img") as update:
        found = top_examples(
            model,
            args.images,
            args.layer,
            k=args.k,
            per_image=not args.any_position,
            batch_size=args.batch_size,
            progress=update,
            cache=not args.no_cache,
        )
    channels = parse_channels(args.channels, limit=found.channels)
    if found.skipped:
        print(found.skipped_message(), file=sys.stderr)
    print(f"{args.method} projection through {args.layer}: {projection_note(model, args.layer, args.method)}")
    figure = figure2(model, found, channels, method=args.method, samples=args.smooth, display=args.display,
                     extent=args.extent)
    path = save_figure(figure, args.out, dpi=args.dpi)
    print(f"wrote {path}")


def _occlusion(args) -> None:
    check_output_path(args.out)
    model = models.load(args.model, weights=args.weights, device=args.device)
    image = to_batch([load_image(args.image)], model.input_size)[0]
    with progress_bar("occlusion", "img") as update:
        maps = occlusion(
            model, image, window=args.window, stride=args.stride, target=args.target,
            layer=args.layer, channel=args.channel, progress=update,
        )
    if maps.probability is not None:
        label = model.labels[maps.target] if model.labels else maps.target
        lowest = float(maps.probability.min())
        print(f"{label}: clean {maps.clean_probability:.3f}, lowest with the square {lowest:.3f}")
    path = save_figure(occlusion_figure(model, image, maps), args.out, dpi=args.dpi)
    print(f"wrote {path}")


def _filters(args) -> None:
    check_output_path(args.out)
    trained = models.load(args.model, weights=args.weights, device=args.device)
    untrained = models.load(args.model, weights="none", device=args.device)
    fig = filters_figure([(trained, f"{args.model} ({args.weights})"), (untrained, f"{args.model} (untrained)")])
    print(f"wrote {save_figure(fig, args.out, dpi=args.dpi)}")
