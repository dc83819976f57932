"""Dataset examples: for every channel of a layer, the k strongest activations over a set of real images.

One streaming pass in batches: each batch runs the network only as far as the layer, and per channel a
running top-k of (value, image, position) is merged with the batch's candidates by `torch.topk` on their
concatenation. Memory is bounded by k x channels plus one batch, whatever the number of images; images are
kept by reference (their path, or their index in a given tensor), never in memory. The next batch is
decoded on a worker thread while the current one runs.

With `per_image=True` each image contributes at most once per channel (its strongest position), so the k
examples are k different photos rather than k neighbouring positions of one. Equal values go to the image
that comes first (`select_top`), so the same candidates give the same top-k however they were batched; the
dataset index (`viz.jobs.index`) builds on the same pieces.

Unreadable files are skipped, counted and reported in `TopExamples.skipped`; they never abort the sweep.
Sweeps over files are cached on disk (key: model, weights, layer, settings, and each file's path, size
and modification time); sweeps over a tensor are not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch

from models import LoadedModel
from models.errors import UserError

from ..core.activations import activations, unravel
from ..core.checks import check_channel, check_choice, check_images, check_whole
from ..core.hooks import resolve_modules
from ..core.images import FIT_MODES, IMAGE_SUFFIXES, ImageError, fit_square, gallery_dir, image_files, load_image
from ..core.progress import Progress
from ..core.receptive_field import Box, FieldMap, field_map
from ..serving.cache import CacheChoice, model_key, store_for

# When more than this share of a batch's maps can still enter some unit's top-k, one dense top-k over all of
# them beats picking out the live ones first.
DENSE_SHARE = 0.5
MAX_K = 1000  # examples kept per channel at most (a sweep's and a dataset index's k)


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
            position = unravel(flat, self.map_size[1]) if len(self.map_size) == 2 else None
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
        return skipped_message(self.skipped)


def skipped_message(skipped: Sequence[tuple[str, str]]) -> str:
    """One line for the user about unreadable files, (path, reason) each; empty when there are none."""
    if not skipped:
        return ""
    names = ", ".join(f"{Path(path).name} ({why})" for path, why in skipped[:3])
    more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    return f"skipped {len(skipped)} unreadable file(s): {names}{more}"


def list_sources(images_or_folder) -> list[Path] | torch.Tensor:
    if images_or_folder is None:
        images_or_folder = gallery_dir()
    if isinstance(images_or_folder, torch.Tensor):
        return check_images(images_or_folder)
    if isinstance(images_or_folder, (str, os.PathLike)):
        files = image_files(images_or_folder)
        if not files:
            raise UserError(f"no images in {images_or_folder} (looked for {', '.join(IMAGE_SUFFIXES)})")
        return files
    files = [Path(p) for p in images_or_folder]
    if not files:
        raise UserError("the list of images is empty")
    return files


def read_batch(paths: Sequence[Path], size: int, fit: str, mapper=map) -> tuple[torch.Tensor | None, list[int], list]:
    """Decode, resize and stack; returns the batch, the positions in `paths` that were read, and the
    unreadable files as (path, reason). `mapper` (e.g. a thread pool's `map`) may decode files in parallel."""

    def read(path: Path) -> torch.Tensor | str:
        try:
            return fit_square(load_image(path), size, fit)
        except ImageError as exc:
            return str(exc)

    tensors, done, skipped = [], [], []
    for i, (path, image) in enumerate(zip(paths, mapper(read, paths))):
        if isinstance(image, str):
            skipped.append((str(path), image))
        else:
            tensors.append(image)
            done.append(i)
    return (torch.stack(tensors) if tensors else None), done, skipped


def prefetched(load: Callable[[int], object], count: int) -> Iterator:
    """`load(0)`, ..., `load(count - 1)` in order, each decoded on a worker thread while the caller uses the
    previous one (image decoding overlaps the forward pass)."""
    if count == 0:
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(load, 0)
        for n in range(count):
            result = pending.result()
            if n + 1 < count:
                pending = pool.submit(load, n + 1)
            yield result


def _tensor_batch(images: torch.Tensor, start: int, size: int, fit: str) -> tuple[torch.Tensor, list[int], list]:
    chunk = images[start:]
    if chunk.shape[-2:] != (size, size):
        chunk = torch.stack([fit_square(im, size, fit) for im in chunk])
    return chunk, list(range(len(chunk))), []


def select_top(values: torch.Tensor, images: torch.Tensor, positions: torch.Tensor,
               k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per row the k best candidates of (C, M) values, images, positions; equal values go to the lower image.

    Candidates of one image keep their relative order, so the choice among ties depends only on the images,
    not on how they were split into batches, chunks or ranks: any grouping of the same candidates gives the
    same top-k (what lets a sharded index equal the one-process sweep).
    """
    by_image = images.argsort(dim=1, stable=True)
    values, images, positions = (t.gather(1, by_image) for t in (values, images, positions))
    order = values.argsort(dim=1, descending=True, stable=True)[:, :k]
    return values.gather(1, order), images.gather(1, order), positions.gather(1, order)


class RunningTopK:
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
        if live.float().mean() > DENSE_SHARE:
            return flat.topk(take, dim=2)
        values = torch.full((*flat.shape[:2], take), float("-inf"), device=flat.device)
        positions = torch.zeros((*flat.shape[:2], take), dtype=torch.long, device=flat.device)
        if live.any():
            values[live], positions[live] = flat[live].topk(take, dim=1)
        return values, positions

    def add(self, act: torch.Tensor, images: torch.Tensor) -> None:
        """Take in a batch's (B, C, ...) activations; `images` (B,) are their image numbers, in rising order."""
        batch, channels = act.shape[:2]
        flat = act.detach().float().reshape(batch, channels, -1)
        take = 1 if self.per_image else min(self.k, flat.shape[2])
        values, positions = self._batch_topk(flat, take)  # (B, C, take)
        image = images.to(act.device).view(batch, 1, 1)
        self.merge(*(t.permute(1, 0, 2).reshape(channels, -1) for t in (values, image.expand_as(values), positions)))

    def merge(self, values: torch.Tensor, images: torch.Tensor, positions: torch.Tensor) -> None:
        """Take in (C, M) candidates: another batch's, or another sweep's kept top-k."""
        candidates = (values, images, positions)
        if self.values is not None:
            kept = (self.values, self.images, self.positions)
            candidates = [torch.cat([old, new.to(old.device)], dim=1) for old, new in zip(kept, candidates)]
        self.values, self.images, self.positions = select_top(*candidates, self.k)

    def padded(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(values, images, positions), each (C, k) on the CPU; missing entries have value -inf."""
        missing = self.k - self.values.shape[1]

        def pad(t: torch.Tensor, fill: float) -> torch.Tensor:
            return torch.cat([t, torch.full((t.shape[0], missing), fill, dtype=t.dtype, device=t.device)], 1).cpu()

        return pad(self.values, float("-inf")), pad(self.images, 0), pad(self.positions, 0)


def _sweep(model, sources, layer, k, per_image, batch_size, fit, progress) -> dict:
    size = model.input_size
    total = len(sources)
    running = RunningTopK(k, per_image)
    names: list[str] = []
    skipped: list[tuple[str, str]] = []
    map_size: tuple[int, ...] = ()
    starts = range(0, total, batch_size)

    def load(n: int):
        start = starts[n]
        if isinstance(sources, torch.Tensor):
            batch, read, bad = _tensor_batch(sources[: start + batch_size], start, size, fit)
            return batch, [f"tensor[{start + i}]" for i in read], bad
        batch, read, bad = read_batch(sources[start : start + batch_size], size, fit)
        return batch, [str(sources[start + i]) for i in read], bad

    for start, (batch, read, bad) in zip(starts, prefetched(load, len(starts))):
        skipped += bad
        if batch is not None:
            act = activations(model, batch, layer)[layer]
            map_size = tuple(act.shape[2:])
            running.add(act, torch.arange(len(names), len(names) + len(read)))
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
    cache: CacheChoice = True,
) -> TopExamples:
    """Per channel of `layer`, the k strongest activations over a folder, a list of files or a tensor.

    `images_or_folder=None` sweeps the bundled gallery. Images are made square at the model's input size
    (`fit`, see `viz.images.fit_square`). `progress(done, total)` is called after each batch. The result is
    cached on disk for file sweeps (`cache=False` turns that off).
    """
    check_whole(k, 1, MAX_K, "k")
    if int(batch_size) < 1:
        raise UserError(f"batch size {batch_size} must be at least 1")
    check_choice(fit, FIT_MODES, "fit mode")
    resolve_modules(model, [layer])  # an unknown layer fails before any file is read
    sources = list_sources(images_or_folder)
    settings = dict(layer=layer, k=int(k), per_image=bool(per_image), input_size=model.input_size, fit=fit)

    swept = []

    def compute() -> dict:
        swept.append(True)
        return _sweep(model, sources, layer, int(k), bool(per_image), int(batch_size), fit, progress)

    if isinstance(sources, torch.Tensor):
        found = compute()
    else:
        parts = {**model_key(model), "files": files_identity(sources), **settings}
        found = store_for(cache, "topk").get_or_compute(parts, compute)
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
