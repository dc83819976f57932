"""Every setting of a render in one dataclass, and the named presets.

The same object feeds the render loop, the on-disk cache key and the figure sidecar, so a render can be
reproduced from what is written down. Bad values raise `UserError` saying what is accepted.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

from models.errors import UserError

from ..core.checks import check_choice, check_whole
from ..core.transforms import TRANSFORM_SETS
from .param import PARAMETERIZATIONS

SIZE_RANGE = (16, 1024)
STEPS_RANGE = (1, 10000)
OPTIMIZERS = ("adam", "sgd", "nadam")
COMPILE = ("off", "auto", "on", "reduce-overhead", "max-autotune")


@dataclass(frozen=True)
class RenderSettings:
    size: int = 128  # side of the rendered picture in pixels (Lucid's default)
    steps: int = 512  # optimization steps (Lucid's default)
    seed: int = 0  # seeds the random start and every random transform
    param: str = "fourier"  # "fourier": 1/f-scaled spectrum; "pixel": one value per pixel; "maco": phase only
    decorrelate: bool = True  # optimize colour in ImageNet's decorrelated basis
    squash: bool = True  # sigmoid to [0,1]; False: the parameters are the pixels, clamped (classic preset)
    optimizer: str = "adam"  # "adam", "sgd" (plain gradient ascent) or "nadam" (MACO's)
    lr: float = 0.05  # learning rate (Lucid's Adam 0.05)
    transforms: str = "standard"  # robustness set: "standard" (Lucid's) or "none"
    view_size: int = 0  # side at which the network sees the picture; 0: the model's input size
    window: float = 1.0  # fraction of the view the network sees per step (a random crop); 1: the whole view
    redirect_steps: int = 16  # first steps with Lucid's redirected rectifier gradient (silent units wake up)
    tv: float = 0.0  # weight of the total-variation penalty
    decay: float = 0.0  # classic: L2 decay of the pixels towards grey, per step
    blur_every: int = 0  # classic: Gaussian blur once every this many steps (0: never)
    blur_sigma: float = 0.0  # classic: blur radius in pixels
    norm_percentile: float = 0.0  # classic: grey out pixels with a colour norm below this percentile
    contribution_percentile: float = 0.0  # classic: grey out pixels contributing less than this percentile
    mixed_precision: bool = True  # bf16 autocast on CUDA GPUs that support it (ignored elsewhere)
    transparency: bool = False  # also return where the objective took its gradient (MACO's transparency map)
    field: bool = False  # the picture is only the unit's receptive field, enlarged (viz/actmax/field.py)
    pre_relu: bool = True  # read units before the saturating rectifier ending their layer (Layer.pre), if any
    # torch.compile of the step's forward and backward (viz/actmax/compiled.py): "off", "auto" (where measured
    # faster: nowhere yet), "on" (inductor's default mode), or on CUDA "reduce-overhead" (CUDA graphs), "max-autotune"
    compile: str = "auto"

    def __post_init__(self):
        check_whole(self.size, *SIZE_RANGE, "size")
        check_whole(self.steps, *STEPS_RANGE, "steps")
        check_whole(self.redirect_steps, 0, STEPS_RANGE[1], "redirect steps")
        check_whole(self.blur_every, 0, STEPS_RANGE[1], "blur every")
        check_choice(self.param, tuple(PARAMETERIZATIONS), "parameterization")
        check_choice(self.optimizer, OPTIMIZERS, "optimizer")
        check_choice(self.compile, COMPILE, "compile setting")
        check_choice(self.transforms, tuple(TRANSFORM_SETS), "transform set")
        if self.view_size and not SIZE_RANGE[0] <= self.view_size <= SIZE_RANGE[1]:
            raise UserError(f"view size {self.view_size} is out of range; choose 0 (model's) or {_span(SIZE_RANGE)}")
        if not (0.25 <= self.window <= 1):
            raise UserError(f"window {self.window} is out of range; choose a fraction in 0.25-1")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 1e4):
            raise UserError(f"learning rate {self.lr} is out of range; choose a number in (0, 10000]")
        for name in ("tv", "decay", "blur_sigma"):
            if not (math.isfinite(getattr(self, name)) and 0 <= getattr(self, name) <= 100):
                raise UserError(f"{name} {getattr(self, name)} is out of range; choose 0-100")
        for name in ("norm_percentile", "contribution_percentile"):
            if not 0 <= getattr(self, name) < 100:
                raise UserError(f"{name} {getattr(self, name)} is out of range; choose 0 (off) to under 100")
        if self.transparency and self.field:
            raise UserError("a transparency map is for whole renders; choose field=False or transparency=False")
        if not self.squash and self.param != "pixel":
            raise UserError("squash=False needs param='pixel' (its parameters are then the pixels)")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _span(bounds: tuple[int, int]) -> str:
    return f"{bounds[0]}-{bounds[1]}"


# Yosinski et al. 2015 used lr 100 in Caffe's 0-255 input space. In [0,1] space the gradient is 255 times
# larger and a step must be 255 times smaller, so the literal rescaling is lr 100 / 255**2 (about 0.0015).
# On Lite0 that step leaves the pixels almost where they start (std 0.0015 after 40 steps): its unit
# gradients are far smaller than CaffeNet's. A sweep over 0.0015, 1, 10 and 100 on two units (64 px,
# 40 steps) raised the objective most at 10, so the preset keeps their other values and uses that.
CLASSIC_LR = 10.0

# MACO's phase learning rate: Horama's NAdam 1.0. On four _blocks.7 units at `fast` (64 steps, 96 px) it raised
# the objective 0-5% more than 0.2 did.
NATURAL_LR = 1.0

# Plain gradient ascent: one value per pixel, no prior, no transforms (Simonyan et al. 2014's starting point).
PLAIN_ASCENT = dict(param="pixel", decorrelate=False, squash=False, optimizer="sgd", lr=CLASSIC_LR, transforms="none")
# Yosinski et al. 2015, the regularization of most of their figures: plain gradient ascent on pixels with L2
# decay 1e-4 and a Gaussian blur of radius 1.0 every 4 steps (the "classic" preset; the Unit page's comparison).
YOSINSKI = dict(PLAIN_ASCENT, decay=1e-4, blur_every=4, blur_sigma=1.0)

PRESETS = {
    # Lucid's recipe (Fourier, decorrelated colour, Adam, standard transforms, 512 steps, 128 px), shown to the
    # network at its input size; each step the network sees a random window of 72% of the view's side (161 of
    # 224 px, half the pixels), which is what makes it fast, with Adam at 0.08 instead of 0.05. Against Lucent
    # (benchmarks/actmax_vs_lucent.py, docs/benchmarks.md) a 60% window was faster (3.6x) but fell short of 1.1x
    # its judged activation at 128 steps; 72% passed at 128 and 512 steps on four sets of units (2.7-2.9x).
    "standard": RenderSettings(window=0.72, lr=0.08),
    # Lucid's recipe exactly: the network sees the whole view each step.
    "lucid": RenderSettings(),
    # Yosinski et al. 2015 at the size and steps of most of their figures: 1000 steps, full-size image.
    "classic": RenderSettings(size=224, steps=1000, **YOSINSKI),
    # MACO (Fel et al. 2023): only the phase is optimized, the magnitude is natural photos' (viz/actmax/natural.py),
    # with the transparency map. NAdam as in the reference code (Horama); view, window and transforms as
    # `standard`, so it costs the same per step. Learning rate: NATURAL_LR.
    "natural": RenderSettings(param="maco", optimizer="nadam", lr=NATURAL_LR, window=0.72, transparency=True),
}


def resolve(preset: str = "standard", base: RenderSettings | None = None, **overrides) -> RenderSettings:
    """`base` (else the named preset) with the given fields changed; `None` values keep its own."""
    if base is None:
        check_choice(preset, tuple(PRESETS), "preset")
        base = PRESETS[preset]
    fields = {f.name for f in dataclasses.fields(RenderSettings)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise TypeError(f"unknown render setting {unknown[0]!r}; settings are: {', '.join(sorted(fields))}")
    return dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class Quality:
    """A speed/quality level of the app and the landing, mapped onto a named preset."""

    preset: str  # the RenderSettings preset it starts from
    steps: int  # optimization steps
    size: int  # side of the returned picture in pixels


# The app's quality choice. "fast" aims at pictures within seconds on a 2-core CPU for the landing's field
# renders (small canvases); "best" is Lucid's recipe exactly, at its step count.
QUALITY = {
    "fast": Quality("standard", steps=64, size=96),
    "balanced": Quality("standard", steps=192, size=128),
    "best": Quality("lucid", steps=512, size=128),
}


MAX_STEPS_VARIABLE = "VIZ_MAX_STEPS"  # caps every quality level's steps: a quick look on a slow machine, the app tests


def quality_settings(quality: str = "fast", preset: str | None = None, **overrides) -> RenderSettings:
    """The RenderSettings of a quality level (`fast`, `balanced`, `best`), with any field changed.

    `preset` replaces the level's own (e.g. `natural`), keeping the level's steps and size.
    $VIZ_MAX_STEPS, when set, caps the level's steps (read at each call; an explicit `steps` is kept).
    """
    check_choice(quality, tuple(QUALITY), "quality")
    level = QUALITY[quality]
    given = {name: value for name, value in overrides.items() if value is not None}
    return resolve(preset or level.preset, **{"steps": min(level.steps, _max_steps()), "size": level.size, **given})


def _max_steps() -> int:
    value = os.environ.get(MAX_STEPS_VARIABLE, "").strip()
    if not value:
        return STEPS_RANGE[1]
    if not value.isdigit() or not STEPS_RANGE[0] <= int(value) <= STEPS_RANGE[1]:
        raise UserError(f"{MAX_STEPS_VARIABLE}={value!r}: give a whole number of steps in {_span(STEPS_RANGE)}")
    return int(value)
