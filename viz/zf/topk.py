"""Dataset examples: for every channel of a layer, the k strongest activations over a set of real images.

One streaming pass in batches: each batch runs the network only as far as the layer, and per channel a
running top-k of (value, image, position) is merged with the batch's candidates by `torch.topk` on their
concatenation. Memory is bounded by k x channels plus one batch, whatever the number of images; images are
kept by reference (their path, or their index in a given tensor), never in memory. The next batch is
decoded on a worker thread while the current one runs.

With `per_image=True` each image contributes at most once per channel (its strongest position), so the k
examples are k different photos rather than k neighbouring positions of one.

Unreadable files are skipped, counted and reported in `TopExamples.skipped`; they never abort the sweep.
Sweeps over files are cached on disk (key: model, weights, layer, settings, and each file's path, size
and modification time); sweeps over a tensor are not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.activations import activations
from ..serving.cache import DiskCache
from ..core.checks import check_channel
from ..core.hooks import resolve_modules
from ..core.images import FIT_MODES, IMAGE_SUFFIXES, ImageError, fit_square, gallery_dir, image_files, load_image
from ..core.receptive_field import Box, FieldMap, field_map

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Example:
    """One of a channel's strongest activations."""

    value: float
    image: int  # index into TopExamples.sources
    source: str  # the file's path, or "tensor[i]"
    position: tuple[int, int] | None  # (y, x) in the layer's map; None for a flat (N, C) layer
    box: Box  # the unit's receptive field in the image at the model's input size


@dataclass
class TopExamples:
    """Per channel the k strongest activations of `layer`; see `examples(channel)`."""

    layer: str
    k: int
    per_image: bool
    input_size: int
    fit: str  # how images were made square, see viz.images.fit_square
    sources: list[str]  # the images that were read, by reference
    values: torch.Tensor  # (C, k) float, -inf where fewer than k candidates existed
    images: torch.Tensor  # (C, k) index into sources
    positions: torch.Tensor  # (C, k) flat index into the layer's map
    map_size: tuple[int, ...]  # (H, W) of the layer's map, () for a flat layer
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) of unreadable files
    fields: FieldMap | None = None  # receptive fields of the layer's units, for the boxes

    @property
    def channels(self) -> int:
        return self.values.shape[0]

    def examples(self, channel: int) -> list[Example]:
        check_channel(channel, self.channels)
        found = []
        for value, image, flat in zip(self.values[channel], self.images[channel], self.positions[channel]):
            if value == float("-inf"):
                continue
            position = divmod(int(flat), self.map_size[1]) if len(self.map_size) == 2 else None
            box = self.fields.box(*position) if position else Box(0, 0, self.input_size, self.input_size)
            found.append(Example(float(value), int(image), self.sources[int(image)], position, box))
        return found

    def image(self, index: int, images: torch.Tensor | None = None) -> torch.Tensor:
        """Source image `index` as the network saw it: (3, S, S) in [0,1]; a tensor sweep needs `images`."""
        source = self.sources[index]
        if source.startswith("tensor["):
            if images is None:
                raise UserError("this sweep ran over a tensor; pass the same images to get them back")
            return fit_square(images[index], self.input_size, self.fit)
        return fit_square(load_image(source), self.input_size, self.fit)

    def skipped_message(self) -> str:
        """One line for the user; empty when every file was read."""
        if not self.skipped:
            return ""
        names = ", ".join(f"{Path(path).name} ({why})" for path, why in self.skipped[:3])
        more = f" and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
        return f"skipped {len(self.skipped)} unreadable file(s): {names}{more}"


def _list_sources(images_or_folder) -> list[Path] | torch.Tensor:
    if images_or_folder is None:
        images_or_folder = gallery_dir()
    if isinstance(images_or_folder, torch.Tensor):
        if images_or_folder.dim() != 4 or images_or_folder.shape[1] != 3 or len(images_or_folder) == 0:
            raise UserError(f"images must be a non-empty (N,3,H,W) tensor, got {tuple(images_or_folder.shape)}")
        return images_or_folder
    if isinstance(images_or_folder, (str, os.PathLike)):
        files = image_files(images_or_folder)
        if not files:
            raise UserError(f"no images in {images_or_folder} (looked for {', '.join(IMAGE_SUFFIXES)})")
        return files
    files = [Path(p) for p in images_or_folder]
    if not files:
        raise UserError("the list of images is empty")
    return files


def _read_batch(paths: Sequence[Path], size: int, fit: str) -> tuple[torch.Tensor | None, list[str], list]:
    """Decode, resize and stack; unreadable files go to the third list with the reason."""
    tensors, read, skipped = [], [], []
    for path in paths:
        try:
            tensors.append(fit_square(load_image(path), size, fit))
            read.append(str(path))
        except ImageError as exc:
            skipped.append((str(path), str(exc)))
    return (torch.stack(tensors) if tensors else None), read, skipped


def _tensor_batch(images: torch.Tensor, start: int, size: int, fit: str) -> tuple[torch.Tensor, list[str], list]:
    chunk = images[start:]
    if chunk.shape[-2:] != (size, size):
        chunk = torch.stack([fit_square(im, size, fit) for im in chunk])
    return chunk, [f"tensor[{start + i}]" for i in range(len(chunk))], []


class _RunningTopK:
    """Per channel the k largest (value, image, position) seen so far.

    Once a channel has k entries, an image whose maximum for it does not beat the k-th cannot contribute,
    so only the surviving (image, channel) maps get a top-k of their own: after the first batches that is
    a small fraction, which matters for large maps (a 112x112 layer spends as long in `topk` as in its
    forward pass otherwise).
    """

    def __init__(self, k: int, per_image: bool):
        self.k, self.per_image = k, per_image
        self.values = self.images = self.positions = None

    def _batch_topk(self, flat: torch.Tensor, take: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(values, positions), each (B, C, take), of every map; -inf for maps that cannot contribute."""
        if self.values is None or self.values.shape[1] < self.k or take == 1:
            return flat.topk(take, dim=2)
        live = flat.amax(dim=2) > self.values[:, -1]  # (B, C)
        if live.float().mean() > 0.5:
            return flat.topk(take, dim=2)
        values = torch.full((*flat.shape[:2], take), float("-inf"), device=flat.device)
        positions = torch.zeros((*flat.shape[:2], take), dtype=torch.long, device=flat.device)
        if live.any():
            values[live], positions[live] = flat[live].topk(take, dim=1)
        return values, positions

    def add(self, act: torch.Tensor, first_image: int) -> None:
        batch, channels = act.shape[:2]
        flat = act.detach().float().reshape(batch, channels, -1)
        take = 1 if self.per_image else min(self.k, flat.shape[2])
        values, positions = self._batch_topk(flat, take)  # (B, C, take)
        image = torch.arange(first_image, first_image + batch, device=act.device).view(batch, 1, 1)
        candidates = [t.permute(1, 0, 2).reshape(channels, -1) for t in (values, image.expand_as(values), positions)]
        if self.values is not None:
            kept = (self.values, self.images, self.positions)
            candidates = [torch.cat([old, new], dim=1) for old, new in zip(kept, candidates)]
        values, order = candidates[0].topk(min(self.k, candidates[0].shape[1]), dim=1)
        self.values = values
        self.images = candidates[1].gather(1, order)
        self.positions = candidates[2].gather(1, order)

    def padded(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(values, images, positions), each (C, k) on the CPU; missing entries have value -inf."""
        missing = self.k - self.values.shape[1]

        def pad(t: torch.Tensor, fill: float) -> torch.Tensor:
            return torch.cat([t, torch.full((t.shape[0], missing), fill, dtype=t.dtype, device=t.device)], 1).cpu()

        return pad(self.values, float("-inf")), pad(self.images, 0), pad(self.positions, 0)


def _sweep(model, sources, layer, k, per_image, batch_size, fit, progress) -> dict:
    size = model.input_size
    total = len(sources)
    running = _RunningTopK(k, per_image)
    names: list[str] = []
    skipped: list[tuple[str, str]] = []
    map_size: tuple[int, ...] = ()
    starts = range(0, total, batch_size)

    def load(start: int):
        if isinstance(sources, torch.Tensor):
            return _tensor_batch(sources[: start + batch_size], start, size, fit)
        return _read_batch(sources[start : start + batch_size], size, fit)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(load, starts[0])
        for n, start in enumerate(starts):
            batch, read, bad = pending.result()
            if n + 1 < len(starts):
                pending = pool.submit(load, starts[n + 1])
            skipped += bad
            if batch is not None:
                act = activations(model, batch, layer)[layer]
                map_size = tuple(act.shape[2:])
                running.add(act, len(names))
                names += read
            if progress is not None:
                progress(min(start + batch_size, total), total)
    if not names:
        raise UserError(f"none of the {total} files could be read; first problem: {skipped[0][1]}")
    values, images, positions = running.padded()
    return dict(
        values=values, images=images, positions=positions, map_size=list(map_size), sources=names, skipped=skipped
    )


def files_identity(files: Sequence[Path]) -> list:
    """What decides a file's pixels, cheaply: path, size, modification time (a vanished file is unreadable)."""
    out = []
    for path in files:
        try:
            stat = path.stat()
            out.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
        except OSError:
            out.append((str(path), None, None))
    return out


def top_examples(
    model: LoadedModel,
    images_or_folder: str | os.PathLike | Sequence | torch.Tensor | None,
    layer: str,
    k: int = 9,
    per_image: bool = False,
    batch_size: int = 32,
    fit: str = "squash",
    progress: Progress | None = None,
    cache: DiskCache | None = None,
) -> TopExamples:
    """Per channel of `layer`, the k strongest activations over a folder, a list of files or a tensor.

    `images_or_folder=None` sweeps the bundled gallery. Images are made square at the model's input size
    (`fit`, see `viz.images.fit_square`). `progress(done, total)` is called after each batch. The result is
    cached on disk for file sweeps (`cache=DiskCache("topk", enabled=False)` turns that off).
    """
    if not 1 <= int(k) <= 1000:
        raise UserError(f"k={k} is out of range; choose 1-1000")
    if int(batch_size) < 1:
        raise UserError(f"batch size {batch_size} must be at least 1")
    if fit not in FIT_MODES:
        raise UserError(f"unknown fit mode {fit!r}; choose one of {', '.join(FIT_MODES)}")
    resolve_modules(model, [layer])  # an unknown layer fails before any file is read
    sources = _list_sources(images_or_folder)
    settings = dict(layer=layer, k=int(k), per_image=bool(per_image), input_size=model.input_size, fit=fit)

    swept = []

    def compute() -> dict:
        swept.append(True)
        return _sweep(model, sources, layer, int(k), bool(per_image), int(batch_size), fit, progress)

    if isinstance(sources, torch.Tensor):
        found = compute()
    else:
        cache = cache if cache is not None else DiskCache("topk")
        parts = dict(model=model.name, weights=model.weights_id, files=files_identity(sources), **settings)
        found = cache.get_or_compute(parts, compute)
        if progress is not None and not swept:  # answered from the cache
            progress(len(sources), len(sources))
    return TopExamples(
        **settings,
        sources=list(found["sources"]),
        values=found["values"],
        images=found["images"],
        positions=found["positions"],
        map_size=tuple(found["map_size"]),
        skipped=[tuple(s) for s in found["skipped"]],
        fields=field_map(model, layer) if len(found["map_size"]) == 2 else None,
    )
