"""How strongly a picture drives its unit the way the network meets a photo: shown at the model's input
size, optionally under random shifts of up to 10% of the side and zooms of 0.8-1.2, averaged. A picture that only works on one exact pixel grid does not pass.

Used by the quality tests and the benchmark, so the engine and a reference are judged the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from models import LoadedModel

from ..actmax.objectives import OUTPUT
from ..actmax.rendering import Unit, run_to_layers, unit_objective, unit_scores
from ..core.hooks import Capture
from ..core.transforms import Jitter, RandomScale, Resize, compose

JUDGE_SHIFT = 0.10  # largest shift, as a fraction of the view's side (22 px at 224): a photo is framed loosely
JUDGE_SCALES = tuple(round(0.8 + 0.05 * i, 2) for i in range(9))  # zooms 0.8-1.2: an object is near or far


def judge_jitter(view: int) -> tuple:
    """The random shift and zoom of one jittered judgement at a `view`-pixel side."""
    shift = round(JUDGE_SHIFT * view)
    return Jitter(2 * shift + 1), RandomScale(JUDGE_SCALES)


@torch.no_grad()
def judge(
    model: LoadedModel,
    images: torch.Tensor,
    units: Sequence[Unit],
    jitters: int = 0,
    seed: int = 0,
    view_size: int | None = None,
    pre_relu: bool = True,
) -> torch.Tensor:
    """(N,) score of image i under unit i at the view size; with `jitters` > 0 the mean over that many draws.

    `pre_relu` reads each unit where a render reads it by default (before its layer's saturating rectifier).
    """
    objectives = [unit_objective(model, u) for u in units]
    view = view_size or model.input_size
    layers = list(dict.fromkeys(layer for o in objectives for layer in o.layers))
    wants_output = OUTPUT in layers
    images = images.to(model.device).float()
    resize = [Resize(view)] if images.shape[-1] != view else []
    generator = torch.Generator(device=model.device).manual_seed(seed)
    draws = [compose(resize)] + [compose(resize + list(judge_jitter(view)))] * jitters
    hooked = [layer for layer in layers if layer != OUTPUT]
    with Capture(model, hooked, stop=not wants_output, pre_relu=pre_relu) as capture:
        scores = [
            unit_scores(objectives, run_to_layers(capture, model.normalize(draw(images, generator)), wants_output))
            for draw in draws
        ]
    return torch.stack(scores[1:] if jitters else scores).mean(dim=0).cpu()
