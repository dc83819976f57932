"""Project one unit's activation back to pixel space: Zeiler & Fergus's deconvnet and its two relatives.

For each image the strongest activation of a channel (or the one at a given position) is kept, every other
activation of the layer is zeroed, and that signal is sent down to the network's input:

- "deconvnet": Zeiler & Fergus (2014). At every rectifier the signal going down is rectified, max-pooling
  routes it through the switches recorded on the way up, filters are applied transposed.
- "guided": Springenberg et al. (2015). As deconvnet, and also masked where the rectifier was off going up.
- "gradient": Simonyan et al. (2014). Plain backpropagation.

Max-pool switches and transposed filters are exactly what autograd does; only the rectifiers need another
backward, which `RectifierRule` supplies for every `nn.ReLU` and `nn.ReLU6` module (in-place or not, called
once or several times per forward). Not covered: rectifiers applied functionally in a module's `forward`
(`F.relu`, `torch.relu`, `clamp`; torchvision's GoogLeNet does this in its conv blocks) keep their plain
gradient, so deconvnet and guided projections through them are approximations. `project` warns when the model
has such rectifiers; `viz.deconv_audit` lists them with every other inexact step.

Why not captum's `NeuronDeconvolution` / `NeuronGuidedBackprop`: they hook `nn.ReLU` modules only (ReLU6 and
reused modules come out wrong, see tests/test_deconv_projection.py), run the whole network, take one neuron
index for the whole batch, and their hooks act on every thread's forward pass while registered; the model
here is shared. On networks where captum is right, the results are equal (tested).

What is sent down (`extent`):
- "neuron": Zeiler & Fergus's choice, the one activation (the strongest, or the one at `position`).
- "field": the unit's activations at every position whose receptive field is centred inside that neuron's
  field, each weighted by its value (the window's strongest = 1): the unit's feature wherever it occurs in
  the patch the neuron sees. One neuron of a network of small kernels (EfficientNet's 3x3 depthwise
  convolutions) is driven mostly by the few pixels at its field's centre (its effective field is far smaller
  than its field), so its projection is a blob there whatever the patch holds; the field's projection
  follows the patch's own lines and contours, the picture Zeiler & Fergus's Figure 2 shows for their
  large-kernel network (edge agreement 0.15 -> 0.32 on Lite0's Top-9 view, docs/projections.md).

The projection is the signal that reaches the network's input, i.e. in normalized input space, before the
[0,1] -> network normalization; it is signed and has no natural scale. `to_display` maps it to [0,1].

SmoothGrad (Smilkov et al. 2017): `samples=n` averages the projection over n copies of each image with
Gaussian noise of standard deviation `noise` times the image's own range added in [0,1] space (captum's
`NoiseTunnel(..., nt_type="smoothgrad")`, which draws the same noise from the same seed: tested equal where
captum is right). The unit stays the one chosen on the clean image, so the copies all project the same unit;
single projections of low units on a real photo are speckled, and the average keeps what the copies share,
the patch's own edges (measured by `edge_agreement`, README).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.activations import peak_positions
from ..core.checks import check_channel, check_choice, check_images, check_position
from ..core.hooks import Capture
from ..core.receptive_field import field_map
from ..core.rectifiers import RectifierRule
from .audit import deconv_audit

METHODS = ("deconvnet", "guided", "gradient")
EXTENTS = ("neuron", "field")
EXTENT_NOTE = {  # what was sent down, for a figure's title and the app's help
    "field": "the unit over the neuron's field (its activations at every position centred in that field, "
    "weighted by their values), so the picture follows the patch's lines rather than the neuron's small centre",
    "neuron": "the one strongest neuron alone (Zeiler & Fergus); in a network of small kernels it is driven "
    "mostly by the centre of its field, so its projection is a blob there",
}
MAX_SAMPLES = 256  # SmoothGrad copies per image at most
SMOOTH_BATCH = 64  # noisy copies per forward/backward pass

Position = tuple[int, int]


def _positions(position: Position | Sequence[Position] | None, n: int) -> list[Position] | None:
    """None, one (y, x) for every image, or one (y, x) per image -> a list of n positions (or None)."""
    if position is None:
        return None
    try:
        if len(position) == 2 and all(isinstance(v, int) for v in position):
            return [(int(position[0]), int(position[1]))] * n
        listed = [(int(y), int(x)) for y, x in position]
    except (TypeError, ValueError):
        raise UserError(f"position must be (y, x) or one (y, x) per image, got {position!r}") from None
    if len(listed) != n:
        raise UserError(f"got {len(listed)} positions for {n} images; give one (y, x) per image or a single one")
    return listed


def unit_seed(activation: torch.Tensor, channel: int, positions: list[Position] | None,
              windows: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """The layer's signal with every activation zeroed except, per image, the chosen one of `channel` (set to 1).

    The chosen one is the strongest of the channel's map, or the one at the image's position. `windows`
    (`field_windows`: which rows are around each row, which columns around each column) widens each image's
    seed to the channel's positive activations around the chosen one, scaled so the strongest of them is 1.
    """
    n, channels = activation.shape[:2]
    check_channel(channel, channels)
    maps = activation.detach()[:, channel].reshape(n, -1)
    spatial = activation.shape[2:]
    if positions is None:
        flat = maps.argmax(dim=1)
    else:
        if len(spatial) != 2:
            raise UserError(f"this layer's output has shape {tuple(activation.shape[1:])}; a position needs a 2-D map")
        height, width = spatial
        for position in positions:
            check_position(position, height, width)
        flat = torch.tensor([y * width + x for y, x in positions], device=activation.device)
    rows = torch.arange(n, device=activation.device)
    seed = torch.zeros_like(activation).reshape(n, channels, -1)
    seed[rows, channel, flat] = 1.0
    if windows is not None:
        around_rows, around_cols = (w.to(activation.device) for w in windows)
        ys, xs = flat // spatial[1], flat % spatial[1]
        spread = maps.clamp(min=0) * (around_rows[ys][:, :, None] & around_cols[xs][:, None, :]).reshape(n, -1)
        peak = spread.amax(dim=1, keepdim=True)
        seed[:, channel] = torch.where(peak > 0, spread / peak.clamp(min=1e-30), seed[:, channel])
    return seed.reshape(activation.shape)


def field_windows(model: LoadedModel, layer: str, map_size: tuple[int, ...],
                  input_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """((H, H), (W, W)) bool: [i, j] says whether row (column) j's field centre lies inside row (column) i's
    field; position (y, x)'s window for the "field" extent is rows[y] x cols[x]. The fields are measured for a
    square input."""
    if len(map_size) != 2:
        raise UserError(f"this layer's output has shape {map_size}; extent 'field' needs a 2-D map")
    fields = field_map(model, layer, input_size)
    if (len(fields.rows), len(fields.cols)) != tuple(map_size):
        raise UserError(f"{layer}'s {map_size[0]}x{map_size[1]} map does not match its fields measured for a "
                        f"{input_size}-px input; extent 'field' needs square images of one size")

    def inside(spans) -> torch.Tensor:  # (n, n): span j's centre within span i
        bounds = torch.tensor(spans, dtype=torch.float64)
        centres = bounds.mean(dim=1)
        return (centres[None] >= bounds[:, :1]) & (centres[None] < bounds[:, 1:])

    return inside(fields.rows), inside(fields.cols)


def project(
    model: LoadedModel,
    images: torch.Tensor,
    layer: str,
    channel: int,
    method: str = "deconvnet",
    position: Position | Sequence[Position] | None = None,
    samples: int = 0,
    noise: float = 0.15,
    seed: int = 0,
    extent: str = "neuron",
) -> torch.Tensor:
    """Signed (N,3,H,W) projections of one unit per image down to pixel space, all images in one batch.

    `images` are (N,3,H,W) in [0,1]; `layer` is a module name of `model.net`; `position` is None (each image's
    strongest activation of `channel`), one (y, x) for all images, or one (y, x) per image. The forward pass
    stops at `layer`. Warns (UserWarning) when the network has rectifiers no hook can reach.
    `samples` > 0: SmoothGrad, the mean over that many noisy copies (noise: std as a fraction of each image's
    range; seed: of the noise), see the module docstring. `extent`: "neuron" (the one activation) or "field" (the
    unit's activations over that neuron's field, weighted by their values; module docstring).
    """
    check_choice(method, METHODS, "projection method")
    check_choice(extent, EXTENTS, "projection extent")
    if isinstance(samples, bool) or not isinstance(samples, int) or not 0 <= samples <= MAX_SAMPLES:
        raise UserError(f"samples {samples!r} is out of range; choose 0 (one projection) to {MAX_SAMPLES}")
    if not 0 < noise <= 1:
        raise UserError(f"noise {noise!r} is out of range; choose a fraction of the image's range in (0, 1]")
    batch = check_images(images, single=True).to(model.device)
    positions = _positions(position, len(batch))
    if not samples:
        return _project(model, batch, layer, int(channel), method, positions, extent)
    if positions is None:
        positions = _clean_peaks(model, batch, layer, int(channel))
    noisy = noisy_copies(batch, samples, noise, seed)
    repeated = None if positions is None else [p for p in positions for _ in range(samples)]
    total = torch.zeros_like(batch)
    for start in range(0, len(noisy), SMOOTH_BATCH):
        chunk = slice(start, start + SMOOTH_BATCH)
        signal = _project(model, noisy[chunk], layer, int(channel), method, repeated and repeated[chunk], extent)
        owners = torch.arange(start, start + len(signal), device=batch.device) // samples
        total.index_add_(0, owners, signal)
    return total / samples


def noisy_copies(batch: torch.Tensor, samples: int, noise: float, seed: int) -> torch.Tensor:
    """(N * samples, 3, H, W): each image `samples` times in a row plus Gaussian noise of std `noise` x its range.

    The layout and the draw are captum NoiseTunnel's (`repeat_interleave`, one `torch.normal` call), so the
    same seed gives the same noise.
    """
    spread = (batch.flatten(1).amax(dim=1) - batch.flatten(1).amin(dim=1)).clamp(min=1e-6) * noise
    std = spread.float().view(-1, 1, 1, 1).expand(batch.shape).repeat_interleave(samples, dim=0).contiguous()
    generator = torch.Generator(device=batch.device).manual_seed(seed)
    return batch.repeat_interleave(samples, dim=0) + torch.normal(0.0, std, generator=generator).to(batch.dtype)


@torch.no_grad()
def _clean_peaks(model: LoadedModel, batch: torch.Tensor, layer: str, channel: int) -> list[Position] | None:
    """Each image's strongest (y, x) of the channel on the clean image (None for a layer without a 2-D map)."""
    with Capture(model, [layer], stop=True) as capture:
        activation = capture.run(model.normalize(batch))[layer]
    if activation.dim() != 4:
        return None
    return peak_positions(activation[:, check_channel(channel, activation.shape[1])])


def _project(model, batch, layer, channel, method, positions, extent) -> torch.Tensor:
    x = model.normalize(batch).detach().requires_grad_(True)
    with torch.enable_grad(), RectifierRule(model, method), Capture(model, [layer], stop=True) as capture:
        activation = capture.run(x)[layer]
        if not activation.requires_grad:
            raise UserError(f"layer {layer!r} does not depend on the input image; pick another layer")
        windows = None
        if extent == "field":
            if batch.shape[-2] != batch.shape[-1]:
                raise UserError(f"extent 'field' needs square images; got {batch.shape[-2]}x{batch.shape[-1]}")
            windows = field_windows(model, layer, tuple(activation.shape[2:]), batch.shape[-1])
        seed = unit_seed(activation, channel, positions, windows)
        (signal,) = torch.autograd.grad(activation, x, grad_outputs=seed)
    if method != "gradient":
        _warn_if_unhookable(model, layer)
    return signal.detach()


def _warn_if_unhookable(model: LoadedModel, layer: str) -> None:
    audit = deconv_audit(model, layer)
    if audit.unhookable:
        names = ", ".join(step.name for step in audit.unhookable[:3])
        warnings.warn(
            f"{model.name} applies {len(audit.unhookable)} rectifier(s) functionally ({names}, ...); no hook can "
            f"change their backward, so the projection through them is the plain gradient (approximate)",
            UserWarning,
            stacklevel=4,  # the caller of project()
        )


def to_display(projection: torch.Tensor, percentile: float = 99.5) -> torch.Tensor:
    """Signed projections (N,3,H,W) -> [0,1] for viewing: zero is mid-grey, each image scaled on its own.

    The paper's contrast normalization: per image, the `percentile` of |value| maps to full black/white and
    the rarer, stronger values are clipped, so a few extreme pixels cannot leave the rest invisible.
    An all-zero projection stays uniformly grey.
    """
    batch = check_images(projection, single=True, name="projections").detach().float()
    magnitude = batch.abs().flatten(1)
    scale = torch.quantile(magnitude, percentile / 100.0, dim=1)
    scale = torch.where(scale > 0, scale, magnitude.amax(dim=1)).clamp(min=1e-12)
    return (0.5 + 0.5 * batch / scale.view(-1, 1, 1, 1)).clamp(0, 1)
