"""The model registry: what a network is, apart from its architecture code.

An entry is a `ModelSpec` (data: weights source, input size, normalization, labels, visualizable layers with
their tier) attached to a small builder function by the `@register(...)` decorator. `load(name)` turns an
entry into a `LoadedModel`, the object every part of the engine takes; `from_module` wraps a user's own
`nn.Module` the same way. Beyond the registry, `load` and `list_models` also know the models of the server
owner's models files (`user_files`) and, by `timm/<name>`, any timm model (`timm_zoo`): both modules build on
this one, so they are imported where they are used.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .device import pick_device
from .errors import CheckpointError, UnknownLayerError, UnknownModelError, UserError, first_line
from .weights import PackageWeights, TorchvisionWeights, file_digest, read_state_dict

TIERS = ("edges", "contours", "parts", "objects")  # the Deep Learning book's Figure 1.2, bottom to top


@dataclass(frozen=True)
class Layer:
    """A layer worth visualizing: its path in `net.named_modules()`, its Figure 1.2 tier, its channel count."""

    name: str
    tier: str
    channels: int
    # The module whose output is this layer's value *before* the saturating rectifier (ReLU, ReLU6) that
    # ends the layer, e.g. "_bn0" for Lite0's "_relu0"; "" when no rectifier ends it (or none can be read).
    # Objectives read it by default (Lucid's "pre-ReLU"), so a unit cannot be satisfied by saturating.
    pre: str = ""

    def __post_init__(self):
        if self.tier not in TIERS:
            raise UserError(f"tier {self.tier!r} of layer {self.name!r} is not one of {', '.join(TIERS)}")


@dataclass(frozen=True)
class Normalizer:
    """Maps an image in [0,1] to what the network was trained on: (x - mean) / std per channel."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        mean, std = self._stats(x.device, x.dtype)
        return (x - mean) / std

    @functools.lru_cache(maxsize=16)
    def _stats(self, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and std as tensors on `device`, made once: no host-to-device copy per call (render steps)."""
        as_tensor = lambda v: torch.tensor(v, dtype=dtype, device=device).view(1, -1, 1, 1)  # noqa: E731
        return as_tensor(self.mean), as_tensor(self.std)


IMAGENET_NORMALIZER = Normalizer((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet class names, in torchvision's order (shipped with torchvision, no download)."""
    from torchvision.models import ResNet50_Weights

    return list(ResNet50_Weights.IMAGENET1K_V2.meta["categories"])


@dataclass(frozen=True)
class ModelSpec:
    """Everything about a registered model except its architecture code."""

    name: str
    build: Callable[[], nn.Module]  # the untrained architecture, in the key layout of its weights
    weights: PackageWeights | TorchvisionWeights  # where the default pretrained weights come from
    normalizer: Normalizer  # [0,1] image -> network input
    layers: tuple[Layer, ...]  # visualizable layers, input to output
    input_size: int = 224  # side of the square input the weights were trained at
    labels: Callable[[], list[str]] = imagenet_labels  # class names of the output units
    tier_notes: str = ""  # why the layers got their tiers
    after_load: Callable[[nn.Module], None] | None = None  # e.g. drop training-only heads


_REGISTRY: dict[str, ModelSpec] = {}


def register(**config) -> Callable[[Callable[[], nn.Module]], Callable[[], nn.Module]]:
    """Decorator: `@register(name=..., weights=..., ...)` on a builder adds it to the registry."""

    def decorate(build: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
        spec = ModelSpec(build=build, **config)
        if spec.name in _REGISTRY:
            raise ValueError(f"model {spec.name!r} is registered twice")
        _REGISTRY[spec.name] = spec
        return build

    return decorate


def registered() -> list[str]:
    """Names of the models registered in code (`zoo`), the embedded default first."""
    return list(_REGISTRY)


def list_models() -> list[str]:
    """Names of the registered models, the embedded default first, then those of the models files."""
    from .user_files import user_models

    return [*_REGISTRY, *user_models()]


def get_spec(name: str) -> ModelSpec:
    """The registry entry of `name`: a registered model, or `timm/<name>` (built from timm's own data)."""
    from .timm_zoo import TIMM_PREFIX, timm_spec
    from .user_files import user_models

    if name.startswith(TIMM_PREFIX):
        return timm_spec(name)
    if name in user_models():
        raise UserError(f"{name} comes from models file {user_models()[name].file}: it has no registry entry (its "
                        f"weights are what its callable loads); use models.load({name!r})")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(f"unknown model {name!r}; known models: {', '.join(list_models())}, "
                                f"{TIMM_PREFIX}<name>, or a models file's (--models-file)") from None


@dataclass(eq=False)
class LoadedModel:
    """A network in eval mode plus what the engine needs to feed it and to name its parts.

    `net` is the plain module (torchvision's own for torchvision models). Its parameters never need
    gradients here, so they are frozen; the object is shared read-only between threads.
    """

    net: nn.Module
    name: str
    normalizer: Callable[[torch.Tensor], torch.Tensor] | None
    layers: tuple[Layer, ...]
    weights_id: str  # exact identity of the weights, for cache keys and sidecars
    labels: list[str] | None = None
    input_size: int = 224
    weights: str = "none"  # "default", "none", or the checkpoint path given
    tier_notes: str = ""
    _by_name: dict[str, Layer] = field(init=False, repr=False)

    def __post_init__(self):
        self._by_name = {layer.name: layer for layer in self.layers}

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """[0,1] NCHW image batch -> network input, laid out channels-last (NHWC in memory).

        The layout is a speed lever on the CPU: Lite0's render step runs 1.4x faster on it and its forward 1.8x,
        AlexNet's and VGG16's forward 1.2x, ResNet-18's about as fast (docs/benchmarks.md). Values and shape are
        unchanged.
        """
        x = x if self.normalizer is None else self.normalizer(x)
        return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x

    @property
    def untrained(self) -> bool:
        """True for the random-init network (`weights="none"`), the baseline the pages and figures contrast."""
        return self.weights == "none"

    @property
    def device(self) -> torch.device:
        for p in self.net.parameters():
            return p.device
        return torch.device("cpu")

    def layer(self, name: str) -> Layer:
        """The visualizable layer called `name`; a ValueError lists the valid names otherwise."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownLayerError(
                f"{self.name} has no visualizable layer {name!r}; choose one of: {', '.join(self._by_name)}"
            ) from None

    def tier_layers(self, tier: str) -> list[Layer]:
        """The visualizable layers of one Figure 1.2 tier, input to output."""
        return [layer for layer in self.layers if layer.tier == tier]

    def pre_activation(self, name: str) -> str:
        """The module whose output is layer `name` before its rectifier ("" when there is none)."""
        layer = self._by_name.get(name)
        return layer.pre if layer is not None else ""


def _random_init(build: Callable[[], nn.Module], seed: int = 0) -> nn.Module:
    """Build an untrained network with a fixed seed, without touching the caller's global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def finish(net: nn.Module, device) -> nn.Module:
    """The network as every model holds it: eval mode, parameters frozen, on its device."""
    net.eval().requires_grad_(False)
    return net.to(pick_device(device))


def load_checkpoint(net: nn.Module, path: str | os.PathLike, name: str, state: dict | None = None) -> None:
    """Load the state dict in `path` (`state` when already read) into `net`, strictly, or say in one line why it
    does not fit model `name`."""
    state = read_state_dict(path) if state is None else state
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        missing = sorted(set(net.state_dict()) - set(state))
        unexpected = sorted(set(state) - set(net.state_dict()))
        detail = f"missing {missing[:3]}, unexpected {unexpected[:3]}" if missing or unexpected else "shape mismatch"
        raise CheckpointError(f"{Path(path).name} does not fit {name} ({detail}); pick the matching --model") from exc


def load(name: str = "efficientnet_lite0", weights: str | os.PathLike = "default", device=None) -> LoadedModel:
    """Build a model with `weights` = "default" (pretrained), "none" (random init) or a file path.

    A file path must hold a state dict for this architecture; it is read with `weights_only=True`. `name` is a
    registered model, a model of a models file (`user_files`) or `timm/<name>`.
    """
    from .user_files import load_user_model, user_models

    entry = user_models().get(name)
    if entry is not None:
        return load_user_model(entry, weights, device)
    spec = get_spec(name)
    net = _random_init(spec.build)
    prepared = False  # whether `after_load` has already shaped `net`
    if str(weights) == "none":
        weights_id = "random-init-seed0"
    else:
        path = spec.weights.fetch() if str(weights) == "default" else Path(weights)
        state = read_state_dict(path)
        if spec.after_load is not None and set(state) != set(net.state_dict()):
            # Saved from a loaded model (`model.net.state_dict()`): in the layout after `after_load`, e.g.
            # Lite0's batch norms folded into its convs, GoogLeNet without its training-only heads.
            shaped = _random_init(spec.build)
            spec.after_load(shaped)
            if set(state) == set(shaped.state_dict()):
                net, prepared = shaped, True
        load_checkpoint(net, path, name, state)
        weights_id = file_digest(path)
    if spec.after_load is not None and not prepared:
        spec.after_load(net)
    return LoadedModel(
        net=finish(net, device),
        name=name,
        normalizer=spec.normalizer,
        layers=spec.layers,
        labels=spec.labels(),
        input_size=spec.input_size,
        weights=str(weights),
        weights_id=weights_id,
        tier_notes=spec.tier_notes,
    )


VISUALIZABLE_TYPES = (nn.Conv2d, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Hardswish)


SATURATING_RECTIFIERS = (nn.ReLU, nn.ReLU6)  # rectifiers whose input `from_module` offers as "pre-ReLU"


def probe_layers(net: nn.Module, names: Sequence[str], input_size: int
                 ) -> tuple[dict[str, torch.Size], dict[str, str]]:
    """One forward on a blank image: each named layer's output shape (channels second), and for each layer that
    is a rectifier module the module whose output was that rectifier's input (the layer's pre-activation).

    The feeding module is the last one to return the very tensor the rectifier received; if that is a
    rectifier itself (an in-place chain) or nothing returned it (a functional step in between), none.
    """
    modules = dict(net.named_modules())
    found: dict[str, torch.Size] = {}
    produced: list[tuple[str, torch.Tensor]] = []  # (module, output) in completion order
    fed_by: dict[str, str] = {}

    def record(name: str, output) -> None:
        if name in wanted:
            found.setdefault(name, output.shape)
        if isinstance(output, torch.Tensor):
            produced.append((name, output))

    def feeding(name: str, inputs) -> None:
        source = next((n for n, out in reversed(produced) if out is inputs[0]), "")
        if name not in fed_by and source and not isinstance(modules[source], SATURATING_RECTIFIERS):
            fed_by[name] = source

    wanted = set(names)
    handles = [m.register_forward_hook(lambda m, i, o, n=n: record(n, o)) for n, m in modules.items() if n]
    handles += [modules[n].register_forward_pre_hook(lambda m, i, n=n: feeding(n, i))
                for n in names if isinstance(modules[n], SATURATING_RECTIFIERS)]
    try:
        first = next(net.parameters(), None)
        device, dtype = (first.device, first.dtype) if first is not None else (torch.device("cpu"), torch.float32)
        with torch.no_grad():
            net(torch.zeros(1, 3, input_size, input_size, device=device, dtype=dtype))
    except RuntimeError as exc:  # e.g. a CIFAR net's flatten-and-linear head at 224 px
        raise UserError(f"the network fails on a {input_size}-px input ({first_line(exc)}); give the size it was "
                        "trained at: models.from_module(net, input_size=...)") from exc
    finally:
        for h in handles:
            h.remove()
    return found, fed_by


def tier_by_depth(i: int, count: int) -> str:
    """The tier of the `i`-th of `count` layers when nothing better is known: the four tiers in equal shares."""
    return TIERS[min(3, 4 * i // count)]


def state_digest(net: nn.Module) -> str:
    """Identity of a user's module by its tensors, so cached results never outlive a change of weights."""
    h = hashlib.sha256()
    for key, tensor in net.state_dict().items():
        h.update(key.encode())
        h.update(tensor.detach().to("cpu").contiguous().numpy().tobytes())
    return "module-" + h.hexdigest()[:16]


def from_module(
    net: nn.Module,
    name: str = "custom",
    normalize: Callable[[torch.Tensor], torch.Tensor] | None = None,
    layers: Sequence[str | Layer] | None = None,
    labels: Sequence[str] | None = None,
    input_size: int = 224,
    device=None,
) -> LoadedModel:
    """Wrap any image network. `layers=None` takes every conv and activation module, tiers spread by depth.

    A layer given by name that is an `nn.ReLU`/`nn.ReLU6` module gets its pre-activation (`Layer.pre`) from
    one probe forward: the module whose output the rectifier receives. A `Layer` given whole keeps its own.

    The module is put in eval mode and its parameters are frozen (visualization never trains).
    """
    modules = dict(net.named_modules())
    net = finish(net, device)
    if layers is None:
        layers = [n for n, m in modules.items() if n and isinstance(m, VISUALIZABLE_TYPES)]
        if not layers:
            raise UserError(f"{name} has no conv or activation modules; pass layers=[...] by name")
    names = [layer.name if isinstance(layer, Layer) else layer for layer in layers]
    unknown = [n for n in names if n not in modules]
    if unknown:
        raise UserError(f"{name} has no module {unknown[0]!r}; module names: {', '.join(n for n in modules if n)}")
    shapes, fed_by = probe_layers(net, names, input_size)
    silent = [n for n in names if n not in shapes]
    if silent:
        raise UserError(f"layer {silent[0]!r} of {name} is never called in forward(); choose another layer")
    spread = [
        layer if isinstance(layer, Layer)
        else Layer(layer, tier_by_depth(i, len(names)), shapes[layer][1], pre=fed_by.get(layer, ""))
        for i, layer in enumerate(layers)
    ]
    return LoadedModel(
        net=net,
        name=name,
        normalizer=normalize,
        layers=tuple(spread),
        labels=list(labels) if labels is not None else None,
        input_size=input_size,
        weights="custom",
        weights_id=state_digest(net),
    )
