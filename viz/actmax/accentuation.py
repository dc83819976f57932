"""Feature accentuation (Hamblin et al. 2024): the student's photo, with what one unit responds to exaggerated.

Activation maximization seeded by a photo. The picture starts as the photo (Fourier parameterization
started at the photo, `fourier_image(start=...)`) and climbs the unit's objective under the robustness
transforms and a random window (72% of the side, as `standard` renders: the cost of a render), while a
penalty keeps the network's earliest features (the model's first visualizable layer, read on the
untransformed picture) close to the photo's. The objective is divided by the unit's scale on the photo (its
strongest activation there), so one `penalty` suits every unit: a relative feature distance of 1 costs as
much as raising the unit by its own peak.

How close the result stays is measured in pixels, independently of the penalty: `closeness` is the Pearson
correlation of the result's and the photo's grey levels (1: the same picture, whatever its brightness and
contrast). `accentuate_units` does several units of one photo in one batch.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.checks import check_choice, check_image, check_whole
from ..core.digest import tensor_digest
from ..core.hooks import Capture
from ..core.images import fit_square, load_image
from ..core.progress import Progress
from ..core.streams import UnitStreams, unit_seeds
from ..core.transforms import TRANSFORM_SETS, RandomCrop, compose
from ..serving.cache import CacheChoice, store_for
from .param import fourier_image, from_valid_rgb
from .rendering import cache_parts, unit_objective, unit_scores, window_side
from .settings import STEPS_RANGE, quality_settings


@dataclass(frozen=True)
class AccentSettings:
    steps: int = 64  # optimization steps
    lr: float = 0.05  # Adam's learning rate on the Fourier coefficients (the render loop's `standard` uses 0.08)
    penalty: float = 1.0  # weight of the early-feature distance to the photo (module docstring)
    seed: int = 0  # seeds the random start and the transforms
    transforms: str = "standard"  # robustness set applied each step: "standard" or "none"
    window: float = 0.72  # fraction of the side the unit is read on each step (a random crop), as `standard` renders

    def __post_init__(self):
        check_whole(self.steps, 1, STEPS_RANGE[1], "steps")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 10):
            raise UserError(f"learning rate {self.lr} is out of range; choose a number in (0, 10]")
        if not (math.isfinite(self.penalty) and 0 <= self.penalty <= 1000):
            raise UserError(f"penalty {self.penalty} is out of range; choose 0-1000")
        if not 0.25 <= self.window <= 1:
            raise UserError(f"window {self.window} is out of range; choose a fraction in 0.25-1")
        check_choice(self.transforms, tuple(TRANSFORM_SETS), "transform set")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def quality_steps(quality: str) -> int:
    """An accentuation's steps at an app quality level: half its renders' (at least 1). It starts from the photo,
    not from noise: at `fast`, 32 steps raise the landing's units 2.5-10x where 64 raise them 3-12x (docs/natural.md),
    in half the time."""
    return max(1, quality_settings(quality).steps // 2)


@dataclass
class Accentuation:
    """What `accentuate` returns."""

    image: torch.Tensor  # (3,S,S) in [0,1]: the photo with the unit accentuated, S the model's input size
    photo: torch.Tensor  # (3,S,S): the photo as the network saw it
    before: float  # the unit's objective (pre-rectifier channel mean) on the photo
    after: float  # and on the result, both at the model's input size, untransformed
    closeness: float  # Pearson correlation of grey levels, result vs photo (module docstring)
    history: torch.Tensor  # (steps,) the unit's objective under the step's transforms
    objective: str  # repr of the objective, for captions
    settings: AccentSettings

    @property
    def gain(self) -> float:
        """after / before, where the unit was active on the photo (else nan)."""
        return self.after / self.before if self.before > 0 else float("nan")


def closeness(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson correlation of the grey levels of two (3,H,W) pictures of the same size."""
    x, y = a.mean(dim=0).flatten().double(), b.mean(dim=0).flatten().double()
    x, y = x - x.mean(), y - y.mean()
    return float((x @ y) / (x.norm() * y.norm()).clamp_min(1e-12))


def accentuate(
    model: LoadedModel, image, layer: str, channel: int, *, settings: AccentSettings | None = None,
    progress: Progress | None = None, cache: CacheChoice = True, **overrides,
) -> Accentuation:
    """The photo `image` (a (3,H,W) tensor in [0,1] or anything `load_image` reads) with unit `channel` of
    `layer` accentuated; see the module docstring. Keywords override fields of `AccentSettings`.
    A bad image, layer or channel is a `UserError`.
    """
    return accentuate_units(model, image, [(layer, channel)], settings=settings, progress=progress, cache=cache,
                            **overrides)[0]


def accentuate_units(
    model: LoadedModel, image, units: list[tuple[str, int]], *, settings: AccentSettings | None = None,
    progress: Progress | None = None, cache: CacheChoice = True, **overrides,
) -> list[Accentuation]:
    """`accentuate` for several `(layer, channel)` units of one photo, in one batch (one picture per unit)."""
    settings = dataclasses.replace(settings or AccentSettings(), **overrides)
    if not units:
        raise UserError("nothing to accentuate: give at least one unit, e.g. [('_blocks.7', 0)]")
    objectives = [unit_objective(model, tuple(unit)) for unit in units]
    photo = image if isinstance(image, torch.Tensor) else load_image(image)
    photo = fit_square(check_image(photo, "the photo").float(), model.input_size)
    store = store_for(cache, "accents")
    key = cache_parts(model, objectives, settings, photo=tensor_digest(photo))
    found = store.get_or_compute(key, lambda: _optimize(model, objectives, photo, settings, progress))
    return [Accentuation(found["images"][i], photo, float(found["before"][i]), float(found["after"][i]),
                         closeness(found["images"][i], photo), found["history"][:, i], repr(o), settings)
            for i, o in enumerate(objectives)]


def _optimize(model: LoadedModel, objectives: list, photo: torch.Tensor, settings: AccentSettings,
              progress: Progress | None) -> dict:
    device, size, n = model.device, model.input_size, len(objectives)
    early = model.layers[0].name
    layers = list(dict.fromkeys(layer for o in objectives for layer in o.layers))
    generator = UnitStreams(unit_seeds(settings.seed, [repr(o) for o in objectives]), device)
    seed = photo[None].to(device).expand(n, -1, -1, -1)
    params, image_fn = fourier_image(n, size, generator=generator, device=device, start=from_valid_rgb(seed))
    optimizer = torch.optim.Adam(params, lr=settings.lr)
    crop = [RandomCrop(window_side(size, settings.window))] if settings.window < 1 else []
    transform = compose([*TRANSFORM_SETS[settings.transforms], *crop])

    def units(x: torch.Tensor) -> tuple[torch.Tensor, dict]:
        with Capture(model, layers, pre_relu=True) as capture:
            acts = capture.run(model.normalize(x))
        return unit_scores(objectives, acts), acts

    def features(x: torch.Tensor) -> torch.Tensor:
        """The early layer only: the pass stops there, so the penalty costs a stem's forward."""
        with Capture(model, [early], pre_relu=True) as capture:
            return capture.run(model.normalize(x))[early]

    with torch.no_grad():
        before, acts = units(seed)
        reference = features(seed[:1])
        peaks = torch.stack([acts[o.layer][i, o.channel].max() for i, o in enumerate(objectives)])
    scale = torch.maximum(peaks, before.abs()).clamp_min(1e-3)
    history = []
    for step in range(settings.steps):
        picture = image_fn()
        scores = units(transform(picture, generator))[0]
        distance = (features(picture) - reference).square().flatten(1).mean(dim=1) / reference.square().mean()
        optimizer.zero_grad(set_to_none=True)
        (settings.penalty * distance - scores / scale).sum().backward()
        optimizer.step()
        history.append(scores.detach())
        if progress is not None:
            progress(step + 1, settings.steps)
    with torch.no_grad():
        result = image_fn().float().clamp(0, 1)
        after = units(result)[0]
    return {"images": result.cpu(), "before": before.cpu(), "after": after.cpu(),
            "history": torch.stack(history).float().cpu()}
