"""Command `hierarchy`: the Deep Learning book's Figure 1.2 for one photo, the app's landing strip as a file.

With `--index DIR` the top patches of the layers a dataset index covers come from it (as on the landing with an
index chosen in the sidebar), the others from the gallery; the figure's footnote and the sidecar say which.
"""

from __future__ import annotations

import models
from viz.actmax import QUALITY
from viz.core import sidecar
from viz.core.export import check_output_path, save_figure
from viz.core.images import load_image
from viz.probing.tiers import choose_tiers
from viz.views import evidence, figures, hierarchy
from viz.zf.index import Index

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
    p.add_argument("--index", help="dataset index folder (`python -m viz index`): the top patches of the layers it "
                                   "covers come from it, the others from the gallery")
    add_figure_options(p)
    p.set_defaults(run=_hierarchy)


def _hierarchy(args) -> None:
    out = check_output_path(args.out)
    index = Index(args.index) if args.index else None  # a bad folder fails before any work
    model = models.load(args.model, weights=args.weights, device=args.device)
    if index is not None:
        check_covers(index, model)
    cache = not args.no_cache
    found = hierarchy.choose_units(model, load_image(args.image), by=args.by, cache=cache)
    views = hierarchy.unit_views(model, found, cache=cache)
    renders = {tier: hierarchy.tier_renders(model, found, tier, args.quality, cache=cache, steps=args.steps)
               for tier in found.units}
    named = evidence.evidence(model, [(u.layer, u.channel) for units in found.units.values() for u in units],
                              index=index, cache=cache)
    circuits = hierarchy.tier_circuits(model, found, cache=cache)
    pictures = hierarchy.input_pictures(model, circuits, args.quality, cache=cache, steps=args.steps)
    save_figure(figures.hierarchy_figure(model, found, views, renders, named, circuits, pictures), out, args.dpi)
    path = sidecar.write(out, strip_record(model, found, named, circuits, args, index))
    label, probability = found.predictions[0]
    read = [layer for where, layers in evidence.by_image_set(named).items() if where != evidence.GALLERY
            for layer in layers]
    from_index = f"; top patches of {', '.join(read)} from index {index.name!r}" if read else ""
    print(f"wrote {out} and {path.name} ({label} {probability:.2f}; units by {args.by}{from_index})")


def check_covers(index: Index, model) -> None:
    """Refuse an index that covers none of the strip's layers (another model or weights, other layers)."""
    layers = list(dict.fromkeys(choose_tiers(model).layers.values()))
    if not index.covers_any(model, layers):
        raise models.UserError(
            f"the index in {index.folder} covers none of the strip's layers ({', '.join(layers)} of {model.name}, "
            f"weights {model.weights}): it holds {index.holdings()}")


def strip_record(model, found, named: dict, circuits: dict, args, index: Index | None = None) -> dict:
    """The sidecar of the strip: per tier the layer shown and why, the units, named as the strip names them (the
    probe's words and their `support`; from the parts tier up the classes of their top images, `fires_on`), with
    their inputs as drawn, and which image set each unit's top patches come from."""
    tiers = []  # a list, bottom to top (the sidecar's keys are sorted)
    for tier, units in found.units.items():
        tiers.append({"tier": tier, "reason": found.reasons.get(tier), "units": []})
        for unit in units:
            shown = named[(unit.layer, unit.channel)]
            entry = {"layer": unit.layer, "channel": unit.channel, "tag": shown.tag, "orientation": shown.orientation,
                     "words": shown.words, "probe_words": shown.probe_words, "support": shown.support,
                     "explained": shown.explained, "position": list(unit.position), "score": unit.score,
                     "patches": shown.image_set, "examples": shown.examples}
            if shown.fires_on is not None:
                entry["fires_on"] = [[label, count] for label, count in shown.fires_on]
            built = circuits.get((unit.layer, unit.channel))
            if built is not None:
                entry["source"] = built.source
                entry["inputs"] = [[c, v] for c, v in built.inputs if v > 0]
                entry["inhibitory"] = [[c, v] for c, v in built.inputs if v < 0]
            tiers[-1]["units"].append(entry)
    return {"command": "hierarchy", "model": model.name, "weights": model.weights, "weights_id": model.weights_id,
            "image": args.image, "by": args.by, "quality": args.quality, "steps": args.steps,
            "predictions": [[label, p] for label, p in found.predictions], "tiers": tiers, "dpi": args.dpi,
            "index": None if index is None else {"folder": str(index.folder.absolute()),
                                                 "identity": index.header["identity"]}}
