"""How strongly a picture drives its unit the way the network meets a photo (DESIGN.md, "Performance
stance"): shown at the model's input size, optionally under small random shifts and zooms, averaged.

Used by the quality tests and the benchmark, so the engine and a reference are judged the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from models import LoadedModel

from ..hooks import Capture
from .objectives import OUTPUT
from .render import Unit, run_to_layers, unit_objective, unit_scores
from .transforms import Jitter, RandomScale, Resize, compose

# Shifts of -4..4 px and zooms of 0.95-1.05 at the model's input size: small changes a photo also undergoes.
JUDGE_JITTER = (Jitter(9), RandomScale((0.95, 0.975, 1.0, 1.025, 1.05)))


@torch.no_grad()
def judge(
    model: LoadedModel,
    images: torch.Tensor,
    units: Sequence[Unit],
    jitters: int = 0,
    seed: int = 0,
    view_size: int | None = None,
) -> torch.Tensor:
    """(N,) score of image i under unit i at the view size; with `jitters` > 0 the mean over that many draws."""
    objectives = [unit_objective(model, u) for u in units]
    view = view_size or model.input_size
    layers = list(dict.fromkeys(layer for o in objectives for layer in o.layers))
    wants_output = OUTPUT in layers
    images = images.to(model.device).float()
    resize = [Resize(view)] if images.shape[-1] != view else []
    generator = torch.Generator(device=model.device).manual_seed(seed)
    draws = [compose(resize)] + [compose(resize + list(JUDGE_JITTER))] * jitters
    with Capture(model, [layer for layer in layers if layer != OUTPUT], stop=not wants_output) as capture:
        scores = [
            unit_scores(objectives, run_to_layers(capture, model.normalize(draw(images, generator)), wants_output))
            for draw in draws
        ]
    return torch.stack(scores[1:] if jitters else scores).mean(dim=0).cpu()
