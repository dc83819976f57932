"""The render loop: one optimization renders many units at once, image i of the batch driven by unit i.

Each step: build the images from the parameters, apply the random transforms (one fused resampling that
also shows the picture at the model's input scale and crops the window the network sees), run the network
only as far as the deepest layer the objectives read, and take one optimizer step on each image's own
score (objectives are maximized). A layer that ends in a saturating rectifier is read before it by default
(`pre_relu`, Lucid's convention): a ReLU6 unit could otherwise be satisfied by any picture that saturates it.
The model is only read: hooks live in this call's `HookScope`s, so a shared model can serve several threads at
once and no hook survives the call, even when it raises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.checks import check_channel
from ..core.hooks import Capture
from ..core.progress import Progress
from ..core.rectifiers import RectifierRule
from ..core.streams import UnitStreams, unit_seeds
from ..core.threads import intra_op_threads
from ..core.transforms import TRANSFORM_SETS, RandomCrop, Resize, compose
from ..serving.cache import CacheChoice, model_key, store_for
from . import objectives as obj
from .compiled import compile_mode, compiled_forward, is_out_of_memory
from .field import FieldPlan, as_seen, paste, plan_fields
from .param import PARAMETERIZATIONS
from .regularizers import ImagePrior, total_variation
from .settings import RenderSettings, resolve

Unit = tuple | obj.Objective


@dataclass
class Rendering:
    """What `render` returns; unpacks as `images, history = render(...)`."""

    images: torch.Tensor  # (N,3,H,W) in [0,1], on the CPU
    history: torch.Tensor  # (steps, N): each image's objective at each step
    objectives: list[str]  # repr of each image's objective, e.g. for captions
    settings: RenderSettings
    fields: tuple | None = None  # field renders: per image, the input box (viz.zf Box) the picture covers
    transparency: torch.Tensor | None = None  # (N,1,H,W) in [0,1] where settings.transparency: see `opacity`

    def __iter__(self):
        return iter((self.images, self.history))


def unit_objective(model: LoadedModel, unit: Unit) -> obj.Objective:
    """`(layer, channel)` -> Channel, `(layer, channel, y, x)` -> Neuron; objectives pass through."""
    if isinstance(unit, obj.Objective):
        return unit
    if not isinstance(unit, tuple) or len(unit) not in (2, 4):
        raise UserError(f"a unit is (layer, channel), (layer, channel, y, x) or an objective, not {unit!r}")
    layer = model.layer(unit[0])
    check_channel(unit[1], layer.channels, layer.name)
    return obj.Channel(*unit) if len(unit) == 2 else obj.Neuron(*unit)


def run_to_layers(capture: Capture, x: torch.Tensor, wants_output: bool) -> dict[str, torch.Tensor]:
    """The captured layers' outputs for input `x`, plus the network's output under OUTPUT if wanted."""
    acts = capture.run(x)
    return {**acts, obj.OUTPUT: capture.output} if wants_output else acts


def unit_scores(objectives: Sequence[obj.Objective], acts: dict[str, torch.Tensor]) -> torch.Tensor:
    """(N,) score of image i under objective i; an objective that couples the batch sees all of it.

    Each layer is split into per-image views once: autograd then gathers their gradients in one
    concatenation, where slicing per objective would build a zero-filled full-batch gradient for each.
    """
    pieces = {k: v.split(1) for k, v in acts.items()}
    scores = []
    for i, o in enumerate(objectives):
        if o.couples_batch:
            scores.append(o({k: acts[k] for k in o.layers})[i])
        else:
            scores.append(o({k: pieces[k][i] for k in o.layers})[0])
    return torch.stack(scores)


def window_side(view: int, window: float) -> int:
    """Side of the random window the network sees: the nearest 8k+1 pixels to `window` of the view.

    Odd sides that stay odd through three stride-2 layers (137 -> 69 -> 35 -> 18) let TensorFlow-"same" convs
    (Lite0's) pad evenly inside the conv instead of copying a padded input: a Lite0 step to `_blocks.8` took
    10-20% less time at 137 px than at 136 (docs/benchmarks.md). Any other network takes the side as it is.
    """
    return max(17, round((view * window - 1) / 8) * 8 + 1)


def _view(settings: RenderSettings, model: LoadedModel, local: bool, fields: FieldPlan | None = None) -> Callable:
    """The transforms of one step: robustness set, shown at the view size, cropped to the window.

    A field render instead pastes each transformed picture into its unit's receptive field on the canvas.
    """
    steps = list(TRANSFORM_SETS[settings.transforms])
    if fields is not None:
        steps.append(lambda images: paste(images, fields.boxes, fields.canvas))
        return compose(steps)
    view = settings.view_size or model.input_size
    if view != settings.size:
        steps.append(Resize(view))
    if settings.window < 1 and not local:
        steps.append(RandomCrop(window_side(view, settings.window)))
    return compose(steps)


def _precision(device: torch.device, settings: RenderSettings) -> Callable[[], contextlib.AbstractContextManager]:
    """A factory of the forward pass's precision context: bf16 autocast on CUDA GPUs that support it."""
    if settings.mixed_precision and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext


@dataclass
class _Problem:
    """What the step loop changes and how: parameters, the image they make, the optimizer, the image prior."""

    params: list[torch.Tensor]
    image_fn: Callable[[], torch.Tensor]
    optimizer: torch.optim.Optimizer
    prior: ImagePrior | None


def _problem(n: int, settings: RenderSettings, generator: UnitStreams, device: torch.device) -> _Problem:
    make = PARAMETERIZATIONS[settings.param]
    options = {"squash": settings.squash} if settings.param == "pixel" else {}
    params, image_fn = make(n, settings.size, generator=generator, device=device,
                            decorrelate=settings.decorrelate, **options)
    optimizer_class = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "nadam": torch.optim.NAdam}[settings.optimizer]
    prior = None if settings.squash else ImagePrior(
        settings.decay, settings.blur_every, settings.blur_sigma,
        settings.norm_percentile, settings.contribution_percentile,
    )
    return _Problem(params, image_fn, optimizer_class(params, lr=settings.lr), prior)


def _forward(model: LoadedModel, capture: Capture, wants_output: bool, settings: RenderSettings | None) -> Callable:
    """x -> {layer: output} for one phase: compiled where `settings.compile` asks (None: the eager step)."""
    def plain(x: torch.Tensor) -> dict[str, torch.Tensor]:
        return run_to_layers(capture, x, wants_output)

    mode = compile_mode(settings.compile, model.device) if settings is not None else None
    if mode is None:
        return plain
    return compiled_forward(model, (*capture.modules, wants_output, settings.pre_relu), plain, mode)


def _optimize(
    model: LoadedModel, objectives: list[obj.Objective], settings: RenderSettings, progress: Progress | None,
    fields: FieldPlan | None = None,
) -> dict:
    device = model.device
    generator = UnitStreams(unit_seeds(settings.seed, [repr(o) for o in objectives]), device)
    problem = _problem(len(objectives), settings, generator, device)
    layers = list(dict.fromkeys(layer for o in objectives for layer in o.layers))
    wants_output = obj.OUTPUT in layers
    hooked = [layer for layer in layers if layer != obj.OUTPUT]
    transform = _view(settings, model, any(o.local for o in objectives), fields)
    precision = _precision(device, settings)
    redirect = min(settings.redirect_steps, settings.steps)
    history, step, attribution = [], 0, None
    for rule, count in (("redirect", redirect), ("gradient", settings.steps - redirect)):
        with RectifierRule(model, rule), Capture(
            model, hooked, stop=not wants_output, pre_relu=settings.pre_relu
        ) as capture:
            forward = _forward(model, capture, wants_output, settings if rule == "gradient" else None)
            for _ in range(count):
                image = problem.image_fn()
                if settings.transparency:
                    image.retain_grad()
                x = model.normalize(transform(image, generator))
                with precision():
                    scores = unit_scores(objectives, forward(x))
                if settings.tv:
                    scores = scores - settings.tv * total_variation(image)
                problem.optimizer.zero_grad(set_to_none=True)
                (-scores.sum()).backward()
                if settings.transparency:
                    attribution = image.grad.abs() if attribution is None else attribution + image.grad.abs()
                problem.optimizer.step()
                if problem.prior is not None:
                    problem.prior(problem.params[0].data, problem.params[0].grad, step)
                history.append(scores.detach())
                step += 1
                if progress is not None:
                    progress(step, settings.steps)
    with torch.no_grad():
        images = problem.image_fn().float().clamp(0, 1).cpu()
    found = {"images": images, "history": torch.stack(history).float().cpu()}
    if attribution is not None:
        found["transparency"] = opacity(attribution.float().cpu())
    return found


def opacity(attribution: torch.Tensor, percentile: float = 80.0) -> torch.Tensor:
    """(N,3,H,W) summed |d objective / d pixel| -> (N,1,H,W) opacity in [0,1], MACO's transparency map.

    As the MACO paper draws it: the colour mean, clipped at the image's `percentile` (the pixels the objective
    leaned on most are fully opaque) and scaled by that clip. A picture with no gradient at all is transparent.
    """
    mean = attribution.mean(dim=1, keepdim=True)
    clip = torch.quantile(mean.flatten(1), percentile / 100, dim=1).view(-1, 1, 1, 1)
    return (mean / clip.clamp_min(torch.finfo(mean.dtype).tiny)).clamp(0, 1)


def _optimize_splitting(model, objectives, settings, progress, fields=None) -> dict:
    """Render the batch; on out-of-memory render its halves one after the other instead."""
    try:
        return _optimize(model, objectives, settings, progress, fields)
    except RuntimeError as exc:
        if not is_out_of_memory(exc):
            raise
        if len(objectives) == 1:
            raise UserError(f"one {settings.size}-px render does not fit in {model.device}'s memory; "
                            "choose a smaller size or --device cpu") from exc
    if model.device.type == "cuda":
        torch.cuda.empty_cache()
    half = len(objectives) // 2
    parts = (None, None) if fields is None else (fields.part(0, half), fields.part(half, len(objectives)))
    first = _optimize_splitting(model, objectives[:half], settings, progress, parts[0])
    second = _optimize_splitting(model, objectives[half:], settings, progress, parts[1])
    return {key: torch.cat([first[key], second[key]], dim=1 if key == "history" else 0) for key in first}


def cache_parts(model: LoadedModel, objectives: Sequence[obj.Objective], settings: RenderSettings, **more) -> dict:
    """Everything that decides a render's pictures, for the disk cache's key (the cache adds the code version)."""
    return {
        **model_key(model),
        "objectives": [repr(o) for o in objectives],
        "settings": settings.as_dict(),
        "torch": torch.__version__,
        # On the CPU the kernels split their sums by thread: the pixels depend on the count (docs/reproducibility.md).
        "threads": intra_op_threads() if model.device.type == "cpu" else None,
        **more,
    }


def render(
    model: LoadedModel,
    units: Sequence[Unit],
    *,
    size: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    preset: str = "standard",
    settings: RenderSettings | None = None,
    progress: Progress | None = None,
    cache: CacheChoice = True,
    **overrides,
) -> Rendering:
    """Render one picture per unit, all in one batch; see the module docstring and `RenderSettings`.

    `settings` (a full RenderSettings) wins over `preset`; `size`, `steps`, `seed` and any other
    RenderSettings field given as a keyword override it. `cache=True` uses the default on-disk cache,
    `False` none. The same seed on the same device gives the same pictures. `field=True` renders only each
    unit's receptive field, enlarged to `size` (units `(layer, c)` or `(layer, c, y, x)`, y/x None for the
    centre; see `viz.actmax.field`); `Rendering.fields` then holds the input box each picture covers.
    """
    if isinstance(units, obj.Objective) or (isinstance(units, tuple) and units and isinstance(units[0], str)):
        units = [units]  # a single unit
    if not units:
        raise UserError("nothing to render: give at least one unit, e.g. [('_blocks.8', 0)]")
    settings = resolve(preset, base=settings, size=size, steps=steps, seed=seed, **overrides)
    fields = plan_fields(model, units) if settings.field else None
    objectives = list(fields.objectives) if fields else [unit_objective(model, u) for u in units]
    store = store_for(cache, "renders")
    key = cache_parts(model, objectives, settings, **({"canvas": fields.canvas} if fields else {}))

    def compute() -> dict:
        return _optimize_splitting(model, objectives, settings, progress, fields)

    result = store.get_or_compute(key, compute)
    images = as_seen(result["images"], fields.boxes, settings.size) if fields else result["images"]
    return Rendering(images, result["history"], [repr(o) for o in objectives], settings,
                     fields.boxes if fields else None, result.get("transparency"))

