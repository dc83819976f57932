"""Commands about models themselves: `models`, `layers`, `fetch`, `classify`."""

from __future__ import annotations

import importlib.metadata

import models
from viz.core.activations import classify
from viz.core.checks import check_whole
from viz.core.images import load_image, to_batch

from .options import add_models_file_option

TOP_RANGE = (1, 1000)  # classify --top: classes printed


def register(commands, model_options) -> None:
    p = commands.add_parser("models", help="list the models and whether their weights are on disk")
    add_models_file_option(p)
    p.set_defaults(run=_models)

    p = commands.add_parser("layers", help="list a model's visualizable layers with tier and channel count")
    p.add_argument("model", nargs="?", default="efficientnet_lite0")
    add_models_file_option(p)
    p.set_defaults(run=_layers)

    p = commands.add_parser("fetch", help="download a model's pretrained weights into the local cache (online)")
    p.add_argument("model", help="a registered model or timm/NAME")
    p.set_defaults(run=_fetch)

    p = commands.add_parser("classify", parents=[model_options], help="top-k ImageNet classes of an image")
    p.add_argument("image")
    p.add_argument("--top", type=int, default=5, help=f"how many classes to print ({TOP_RANGE[0]}-{TOP_RANGE[1]})")
    p.set_defaults(run=_classify)


def _timm_version() -> str:
    try:
        return importlib.metadata.version("timm")
    except importlib.metadata.PackageNotFoundError:
        return ""


def _models(args) -> None:
    for name in models.list_models():
        entry = models.user_models().get(name)
        if entry is not None:
            print(f"{name:20s} from {entry.file}")
            continue
        path = models.get_spec(name).weights.local_path()
        status = f"offline-ready ({path.name})" if path else f"not downloaded: python -m viz fetch {name}"
        print(f"{name:20s} {status}")
    timm = _timm_version()
    print(f"{'timm/NAME':20s} " + (f"any timm {timm} model, e.g. timm/resnet18" if timm else "needs: pip install timm"))


def _layers(args) -> None:
    if args.model in models.user_models():  # known only once built
        model = models.load(args.model, device="cpu")
        layers, notes = model.layers, model.tier_notes or "spread by depth (models.from_module)"
    else:
        spec = models.get_spec(args.model)
        layers, notes = spec.layers, spec.tier_notes
    width = max(16, *(len(layer.name) + 1 for layer in layers))
    print(f"{'layer':{width}s} {'tier':9s} channels")
    for layer in layers:
        print(f"{layer.name:{width}s} {layer.tier:9s} {layer.channels}")
    if notes:
        print(f"\ntiers: {notes}")


def _fetch(args) -> None:
    path = models.get_spec(args.model).weights.download()
    print(f"{args.model}: weights at {path}")


def _classify(args) -> None:
    check_whole(args.top, *TOP_RANGE, "--top")
    model = models.load(args.model, weights=args.weights, device=args.device)
    batch = to_batch([load_image(args.image)], model.input_size)
    for label, p in classify(model, batch, top=args.top)[0]:
        print(f"{p:7.3f}  {label}")
