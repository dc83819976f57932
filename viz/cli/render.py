"""Commands `render` (activation maximization to a captioned figure plus sidecar), `reproduce`, and
`accentuate` (a photo with one unit accentuated, figure plus sidecar), and `spectrum` (the natural magnitude
spectrum of the `natural` preset, from a folder of photos)."""

from __future__ import annotations

from pathlib import Path

import models
from viz.actmax import PRESETS, RenderSettings, render
from viz.actmax.accentuation import AccentSettings, accentuate
from viz.actmax.figures import accentuation_figure, render_figure
from viz.actmax.natural import SPECTRUM_SIZE, natural_spectrum, save_spectrum
from viz.actmax.settings import COMPILE, resolve
from viz.core import sidecar
from viz.core.export import check_output_path, save_figure
from viz.core.threads import intra_op_threads, torch_threads

from .options import add_figure_options, add_models_file_option, parse_channels, progress_bar


def register(commands, model_options) -> None:
    p = commands.add_parser(
        "render", parents=[model_options], help="activation maximization: what each unit of a layer wants to see"
    )
    p.add_argument("--layer", required=True, help="visualizable layer (see `layers`)")
    p.add_argument("--channels", default="0-7", help="channels to render, e.g. 0-15 or 3,7,9-11")
    p.add_argument("--preset", default="standard", choices=list(PRESETS), help="settings preset (README)")
    p.add_argument("--size", type=int, help="side of each picture in pixels (16-1024)")
    p.add_argument("--steps", type=int, help="optimization steps (1-10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same picture)")
    p.add_argument("--columns", type=int, help="panels per row of the figure")
    p.add_argument("--neuron", action="store_true", help="render each channel's centre neuron, not the whole channel")
    p.add_argument("--field", action="store_true",
                   help="render only the centre neuron's receptive field, enlarged to --size (implies --neuron)")
    p.add_argument("--post-relu", action="store_true",
                   help="read units after their layer's rectifier (default: before it where it saturates; README)")
    p.add_argument("--compile", choices=COMPILE, help="torch.compile the step: off, auto (default: where measured "
                   "faster), on, or on CUDA reduce-overhead / max-autotune (docs/benchmarks.md, Compiled step)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the render cache")
    add_figure_options(p)
    p.set_defaults(run=_render)

    p = commands.add_parser("reproduce", help="write a figure again from its JSON sidecar")
    p.add_argument("sidecar", help="the .json file written beside a figure")
    p.add_argument("--out", help="where to write it (default: the recorded name, beside the sidecar)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the render cache")
    p.add_argument("--device", help="where to render (default: the recorded device; pixels may differ elsewhere)")
    add_models_file_option(p)  # a figure of a models file's network
    p.set_defaults(run=_reproduce)

    p = commands.add_parser("accentuate", parents=[model_options],
                            help="feature accentuation: a photo with what one unit responds to exaggerated")
    p.add_argument("image", help="the photo (PNG, JPEG, ...)")
    p.add_argument("--layer", required=True, help="visualizable layer (see `layers`)")
    p.add_argument("--channel", type=int, required=True, help="the unit (channel) to accentuate")
    p.add_argument("--steps", type=int, default=AccentSettings.steps, help="optimization steps")
    p.add_argument("--penalty", type=float, default=AccentSettings.penalty,
                   help="how strongly the picture is held to the photo's early features (docs/natural.md)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same picture)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    add_figure_options(p)
    p.set_defaults(run=_accentuate)

    p = commands.add_parser("spectrum", help="the natural preset's magnitude spectrum, from a folder of photos")
    p.add_argument("folder", nargs="?", help="photos to average (default: the bundled gallery)")
    p.add_argument("--size", type=int, default=SPECTRUM_SIZE, help="side of the pictures it describes")
    p.add_argument("--out", required=True, help="the .npy file to write (the shipped one: viz/actmax/natural_spectrum.npy)")
    p.set_defaults(run=_spectrum)


def render_files(model, layer: str, channels: list[int], settings: RenderSettings, out: Path, dpi: int,
                 columns: int | None, cache: bool, record: dict, neuron: bool = False) -> Path:
    """Render, write the figure and its sidecar; returns the sidecar path. `neuron`: centre neurons."""
    units = [(layer, c, None, None) if neuron or settings.field else (layer, c) for c in channels]
    with progress_bar("render", "step") as update:
        rendering = render(model, units, settings=settings, progress=update, cache=cache)
    save_figure(render_figure(model, rendering, [layer] * len(channels), columns), out, dpi)
    return sidecar.write(out, {
        "command": "render",
        "model": model.name,
        "weights": model.weights,
        "weights_id": model.weights_id,
        "layer": layer,
        "tier": model.layer(layer).tier,
        "channels": channels,
        "units": rendering.objectives,
        "settings": settings.as_dict(),
        "dpi": dpi,
        "columns": columns,
        "neuron": neuron,
        "device": str(model.device),
        "threads": intra_op_threads() if model.device.type == "cpu" else None,
        **record,
    })


def _render(args) -> None:
    out = check_output_path(args.out)
    model = models.load(args.model, weights=args.weights, device=args.device)
    channels = parse_channels(args.channels, model.layer(args.layer).channels)
    settings = resolve(args.preset, size=args.size, steps=args.steps, seed=args.seed, field=args.field or None,
                       pre_relu=not args.post_relu, compile=args.compile)
    path = render_files(model, args.layer, channels, settings, out, args.dpi, args.columns, not args.no_cache,
                        {"preset": args.preset}, neuron=args.neuron)
    print(f"wrote {out} and {path.name}")


def _reproduce(args) -> None:
    source = Path(args.sidecar)
    record = sidecar.read(source, ("model", "weights", "weights_id", "layer", "channels", "settings", "dpi"))
    if record["command"] != "render":
        raise models.UserError(f"{source.name} records a {record['command']!r} figure; only render is reproducible")
    out = check_output_path(args.out or source.parent / record["figure"])
    model = models.load(record["model"], weights=record["weights"], device=args.device or record.get("device", "cpu"))
    if model.weights_id != record["weights_id"]:
        raise models.UserError(
            f"the weights of {model.name} here ({model.weights_id}) are not the recorded ones ({record['weights_id']}); "
            "install the recorded weights to reproduce this figure"
        )
    try:
        # Sidecars written before `pre_relu` existed read every layer after its rectifier, and before `compile`
        # existed ran the eager step.
        settings = RenderSettings(**{"pre_relu": False, "compile": "off", **record["settings"]})
    except TypeError as exc:
        raise models.UserError(f"{source.name} has settings this version does not know ({exc})") from None
    # The recorded intra-op thread count: on the CPU a render's pixels depend on it.
    threads = record.get("threads") if model.device.type == "cpu" else None
    with torch_threads(threads):
        path = render_files(model, record["layer"], list(record["channels"]), settings, out, record["dpi"],
                            record.get("columns"), not args.no_cache, {"preset": record.get("preset")},
                            neuron=record.get("neuron", False))
    print(f"wrote {out} and {path.name}")


def _accentuate(args) -> None:
    out = check_output_path(args.out)
    model = models.load(args.model, weights=args.weights, device=args.device)
    settings = AccentSettings(steps=args.steps, penalty=args.penalty, seed=args.seed)
    with progress_bar("accentuate", "step") as update:
        found = accentuate(model, args.image, args.layer, args.channel, settings=settings, progress=update,
                           cache=not args.no_cache)
    save_figure(accentuation_figure(model, found, args.layer, Path(args.image).name), out, args.dpi)
    path = sidecar.write(out, {
        "command": "accentuate", "model": model.name, "weights": model.weights, "weights_id": model.weights_id,
        "image": str(Path(args.image).resolve()), "layer": args.layer, "channel": args.channel,
        "unit": found.objective, "settings": settings.as_dict(), "before": found.before, "after": found.after,
        "closeness": found.closeness, "dpi": args.dpi, "device": str(model.device),
        "threads": intra_op_threads() if model.device.type == "cpu" else None,
    })
    print(f"unit {args.channel} of {args.layer}: {found.before:.3g} on the photo, {found.after:.3g} accentuated; "
          f"closeness {found.closeness:.2f}")
    print(f"wrote {out} and {path.name}")


def _spectrum(args) -> None:
    if not args.out.endswith(".npy"):
        raise models.UserError(f"{args.out}: a spectrum is written as a .npy file; give --out NAME.npy")
    if not 16 <= args.size <= 1024:
        raise models.UserError(f"size {args.size} is out of range; choose 16-1024")
    save_spectrum(natural_spectrum(args.folder, args.size), args.out)
    print(f"wrote {args.out}")
