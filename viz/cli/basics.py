"""Commands about models themselves: `models`, `layers`, `fetch`, `classify`."""

from __future__ import annotations

import models
from viz.core.activations import classify
from viz.core.images import load_image, to_batch


def register(commands, model_options) -> None:
    p = commands.add_parser("models", help="list the registered models and whether their weights are on disk")
    p.set_defaults(run=_models)

    p = commands.add_parser("layers", help="list a model's visualizable layers with tier and channel count")
    p.add_argument("model", nargs="?", default="efficientnet_lite0")
    p.set_defaults(run=_layers)

    p = commands.add_parser("fetch", help="download a model's pretrained weights into the local cache (online)")
    p.add_argument("model")
    p.set_defaults(run=_fetch)

    p = commands.add_parser("classify", parents=[model_options], help="top-k ImageNet classes of an image")
    p.add_argument("image")
    p.add_argument("--top", type=int, default=5, help="how many classes to print (1-1000)")
    p.set_defaults(run=_classify)


def _models(args) -> None:
    for name in models.list_models():
        source = models.get_spec(name).weights
        path = source.local_path()
        status = f"offline-ready ({path.name})" if path else f"not downloaded: python -m viz fetch {name}"
        print(f"{name:20s} {status}")


def _layers(args) -> None:
    spec = models.get_spec(args.model)
    print(f"{'layer':16s} {'tier':9s} channels")
    for layer in spec.layers:
        print(f"{layer.name:16s} {layer.tier:9s} {layer.channels}")
    if spec.tier_notes:
        print(f"\ntiers: {spec.tier_notes}")


def _fetch(args) -> None:
    path = models.get_spec(args.model).weights.fetch()
    print(f"{args.model}: weights at {path}")


def _classify(args) -> None:
    if not 1 <= args.top <= 1000:
        raise models.UserError(f"--top {args.top} is out of range; choose 1-1000")
    model = models.load(args.model, weights=args.weights, device=args.device)
    batch = to_batch([load_image(args.image)], model.input_size)
    for label, p in classify(model, batch, top=args.top)[0]:
        print(f"{p:7.3f}  {label}")
