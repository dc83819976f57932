"""Any timm model by name: `timm/<name>` (e.g. `timm/resnet18`, `timm/convnext_tiny.fb_in1k`) is a registry entry.

The entry is built from timm's own data: the architecture from `timm.create_model(name, pretrained=False)`, input
size, mean and std from its `pretrained_cfg`, layers from its `feature_info` (the feature maps timm itself offers
as a backbone's outputs) laid out (N, C, H, W). Tiers follow the stride of each map, as Lite0's do: stride 4 or
less edges, 8 contours, 16 parts, 32 and more objects, then the classifier (objects). A model whose maps do not
reach every hidden tier that way (ConvMixer: stride 7 throughout) gets its maps' tiers by depth; one without
such maps (a vision transformer's tokens) is refused with a message.

Pretrained weights (`weights="default"`) are read only from timm's local cache (Hugging Face's hub cache, or
torch hub's for timm's older URLs); `python -m viz fetch timm/<name>` downloads them when online. Nothing here
downloads on `load`: in the app a name typed in the sidebar must not make the server fetch a file. Only names that
timm registers are accepted (no `hf-hub:` or `local-dir:` sources). timm is imported on first use (it takes seconds).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .errors import UnknownModelError, UserError, WeightsUnavailableError
from .registry import (IMAGENET_NORMALIZER, TIERS, Layer, ModelSpec, Normalizer, imagenet_labels, probe_layers,
                       tier_by_depth)

TIMM_PREFIX = "timm/"
HF_FILES = ("model.safetensors", "pytorch_model.bin")  # what timm looks for in a hub repository, in its order
# Largest network built by name (parameters): a name typed in the app's sidebar must not make a shared server
# allocate gigabytes (ConvNeXt-XXL: 846 M, 3.4 GB in float32). VIZ_TIMM_MAX_PARAMS raises it on a large machine.
MAX_PARAMS = 250_000_000


def _timm():
    try:
        import timm
    except ImportError:
        raise UserError("timm models need the timm package: pip install timm (it is in requirements.txt)") from None
    return timm


def tier_of_stride(reduction: int) -> str:
    """A feature map's tier from its stride (`feature_info`'s `reduction`)."""
    return "edges" if reduction <= 4 else "contours" if reduction <= 8 else "parts" if reduction <= 16 else "objects"


@dataclass(frozen=True)
class TimmWeights:
    """A timm model's pretrained weights in the local caches timm downloads into; `download()` fills them."""

    model_name: str  # "timm/<name>", for messages
    hf_hub_id: str  # e.g. "timm/resnet18.a1_in1k" ("" when timm has none)
    hf_filename: str  # the file timm's config names in that repository ("" for timm's usual ones)
    url: str  # timm's older download address ("" when none)

    def local_path(self) -> Path | None:
        if self.hf_hub_id:
            from huggingface_hub import try_to_load_from_cache

            repo, _, revision = self.hf_hub_id.partition("@")
            for filename in (self.hf_filename,) if self.hf_filename else HF_FILES:
                found = try_to_load_from_cache(repo, filename, revision=revision or None)
                if isinstance(found, str):
                    return Path(found)
        if self.url:
            path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(self.url)
            return path if path.is_file() else None
        return None

    def fetch(self) -> Path:
        path = self.local_path()
        if path is None:
            where = f"Hugging Face's cache (repository {self.hf_hub_id})" if self.hf_hub_id else "torch hub's cache"
            raise WeightsUnavailableError(
                f"pretrained weights for {self.model_name} are not in {where} on this machine; when online run: "
                f"python -m viz fetch {self.model_name} (or pass --weights none for the untrained network)"
            )
        return path

    def download(self) -> Path:
        """timm's own download into its cache (online), then the cached file."""
        try:
            _timm().create_model(self.model_name[len(TIMM_PREFIX):], pretrained=True)
        except Exception as exc:  # offline, no such weights, a server error: whatever it is, say it in one line
            raise WeightsUnavailableError(
                f"could not download the pretrained weights for {self.model_name} ({type(exc).__name__}); "
                "timm fetches them from huggingface.co: check the connection"
            ) from exc
        return self.fetch()


def _feature_maps(net: nn.Module) -> list[tuple[str, int, int]]:
    """(module name, channels, stride) of each feature map timm's `feature_info` names that is a module of `net`."""
    modules = dict(net.named_modules())
    info = getattr(net, "feature_info", None) or []
    return [(f["module"], int(f["num_chs"]), int(f["reduction"])) for f in info
            if isinstance(f, dict) and f.get("module") in modules]


def _classifier(net: nn.Module) -> str:
    """The name of the classifier module (its outputs are the classes), or "" when it has none."""
    head = net.get_classifier() if hasattr(net, "get_classifier") else None
    if not isinstance(head, nn.Module) or not any(True for _ in head.parameters()):
        return ""
    return next((name for name, module in net.named_modules() if module is head), "")


def _layers(name: str, net: nn.Module, input_size: int) -> tuple[tuple[Layer, ...], str]:
    """The visualizable layers with their tiers, and the note that says how the tiers were given.

    Only maps laid out (N, C, H, W) are kept, as the engine reads them: a vision transformer's blocks give
    token sequences (N, tokens, C) and a Swin's stages (N, H, W, C), so they have none.
    """
    head = _classifier(net)
    info = _feature_maps(net)
    shapes, fed_by = probe_layers(net, [module for module, _, _ in info] + ([head] if head else []), input_size)
    maps = [(module, stride) for module, channels, stride in info
            if module in shapes and len(shapes[module]) == 4 and shapes[module][1] == channels]
    if not maps:
        raise UserError(f"{name} has no (N, C, H, W) feature maps in timm's feature_info (a transformer?); this tool "
                        "shows convolutional networks: wrap it with models.from_module(net, layers=[...]) in a models file")
    tiers = [tier_of_stride(stride) for _, stride in maps]
    note = "From timm's feature_info, by stride: 4 or less edges, 8 contours, 16 parts, 32 and more objects."
    if not set(TIERS[:3]) <= set(tiers):  # edges, contours, parts: the hidden tiers
        tiers = [tier_by_depth(i, len(maps)) for i in range(len(maps))]
        note = "From timm's feature_info; its strides do not separate the tiers, so they are spread by depth."
    layers = [Layer(module, tier, shapes[module][1], pre=fed_by.get(module, "")) for (module, _), tier in zip(maps, tiers)]
    if head in shapes and len(shapes[head]) == 2:
        layers.append(Layer(head, "objects", shapes[head][1]))
        note += f" The classifier `{head}` is objects."
    return tuple(layers), note + " Pre-ReLU: a rectifier module is read at the module that feeds it."


def _labels(net: nn.Module, classes: int):
    """The class names of the output: ImageNet-1k's (torchvision's list, as the other models), or timm's own
    list for another ImageNet subset, or none."""
    if classes == 1000:
        return imagenet_labels
    from timm.data import ImageNetInfo, infer_imagenet_subset

    subset = infer_imagenet_subset(net)
    if not subset:
        return lambda: None
    info = ImageNetInfo(subset)
    return lambda: [info.index_to_description(i) for i in range(classes)]


def _check_size(name: str, build) -> None:
    """Refuse a network over the parameter cap, counted on the meta device (no memory, a fraction of a second)."""
    limit = int(os.environ.get("VIZ_TIMM_MAX_PARAMS") or MAX_PARAMS)
    with torch.device("meta"):
        count = sum(p.numel() for p in build().parameters())
    if count > limit:
        raise UserError(f"{name} has {count / 1e6:.0f} M parameters, over this server's limit of {limit / 1e6:.0f} M "
                        "(VIZ_TIMM_MAX_PARAMS, set by whoever runs it); pick a smaller model")


@functools.lru_cache(maxsize=32)
def timm_spec(name: str) -> ModelSpec:
    """The registry entry of `timm/<arch>[.tag]` (built once per process: one untrained build and one probe)."""
    timm = _timm()
    arch = name[len(TIMM_PREFIX):]
    if not timm.is_model(arch):
        raise UnknownModelError(f"timm has no model {arch!r}; see its names with python -c "
                                "\"import timm; print(timm.list_models('*resnet*'))\"")
    build = functools.partial(timm.create_model, arch, pretrained=False)
    _check_size(name, build)
    with torch.random.fork_rng(devices=[]):
        net = build().eval()
    cfg = net.pretrained_cfg
    input_size = int(cfg.get("input_size", (3, 224, 224))[-1])
    layers, note = _layers(name, net, input_size)
    return ModelSpec(
        name=name,
        build=build,
        weights=TimmWeights(name, cfg.get("hf_hub_id") or "", cfg.get("hf_hub_filename") or "", cfg.get("url") or ""),
        normalizer=Normalizer(tuple(cfg.get("mean", IMAGENET_NORMALIZER.mean)),
                              tuple(cfg.get("std", IMAGENET_NORMALIZER.std))),
        layers=layers,
        input_size=input_size,
        labels=_labels(net, int(getattr(net, "num_classes", 0) or 0)),
        tier_notes=note,
    )
