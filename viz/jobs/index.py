"""The dataset index: every unit's top-k examples and statistics over a folder of any size, computed once.

The folder's images (recursive, sorted) are cut into chunks of `chunk` images; each chunk streams through
the network in batches, as far as the deepest layer asked for, and keeps per unit of every layer the top-k
with the pieces of `viz.zf.topk` (the same rules as `viz.top_examples`: one position per image unless
`per_image=False`, equal values to the first image) plus what the statistics need (per-image maxima, sums,
active positions). A finished chunk is saved at once under `DIR/parts/<identity>/`, so an interrupted run
continues where it stopped; the identity hashes the model, weights, the rule and every file's path, size
and modification time, so a change to any of them starts a new index instead of mixing two. The work folder
also records the arithmetic its chunks were computed at (device type, and on the CPU torch's intra-op thread
count, which changes the last bits of every sum): a resumed run computes at the recorded count, and on another
device type it starts afresh, so an index never mixes two roundings either (docs/index.md).

Under torchrun each rank takes every K-th chunk (by position), and the leader merges the chunks of all
ranks, gathered through the process group, in chunk order. Top-k of a union does not depend on how it was
split (`select_top` breaks ties by image), so the merged index equals the one-process one; within a chunk
the batches are the same whatever the rank count, and every rank computes at the leader's recorded thread
count, so the values are too.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from models import LoadedModel
from models.errors import UserError

from ..core.activations import activations
from ..core.checks import check_choice, check_whole
from ..core.files import write_atomic
from ..core.hooks import resolve_modules
from ..core.images import FIT_MODES
from ..core.progress import Progress
from ..core.receptive_field import field_map
from ..core.threads import intra_op_threads, torch_threads
from ..probing.tiers import choose_tiers, whole_field_layers
from ..zf.index import BINS, HEADER, PARTS, read_header
from ..zf.topk import MAX_K, RunningTopK, files_identity, list_sources, prefetched, read_batch
from .distributed import World
from .index_store import check_folder, write_index

CHUNK = 512  # images per saved piece of work: what an interruption can lose, and the unit of sharding
ARITHMETIC = "arithmetic.json"  # in the work folder: the device type and thread count its chunks were computed at


@dataclass(frozen=True)
class Rule:
    """What decides an index besides the model and the images."""

    layers: tuple[str, ...]  # layers whose units are indexed
    k: int  # examples kept per unit
    per_image: bool  # one position per image (the strongest) or any positions
    fit: str  # how images are made square (viz.core.images.fit_square)
    chunk: int  # images per chunk (decides the resume files)


@dataclass(frozen=True)
class IndexRun:
    """What a call to `build_index` did, for the command's last line."""

    files: int  # image files found
    images: int  # of which read (0 on ranks other than the leader)
    skipped: list  # (path, reason) of unreadable files (leader only)
    computed: int  # images this process swept now
    resumed: int  # images of this process found done by an earlier run
    seconds: float
    up_to_date: bool  # the folder already held this very index
    note: str | None = None  # one line when saved work was resumed at another thread count or dropped (why)


def default_layers(model: LoadedModel) -> list[str]:
    """Each tier's layer of Figure 1.2: the Unit card's defaults and the layers the landing shows (chosen by the
    probe, `choose_tiers`), in the network's order."""
    wanted = {*whole_field_layers(model).values(), *choose_tiers(model).layers.values()}
    return [layer.name for layer in model.layers if layer.name in wanted]


def _identity(model: LoadedModel, files: Sequence[Path], rule: Rule) -> str:
    parts = dict(model=model.name, weights=model.weights_id, input_size=model.input_size, rule=asdict(rule),
                 files=files_identity(files))
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _arithmetic(model: LoadedModel) -> dict:
    """What decides an index's last bits besides its identity: on the CPU torch's kernels split their sums by
    the intra-op thread count (docs/reproducibility.md); a GPU's arithmetic does not follow that count."""
    return {"device": model.device.type, "threads": intra_op_threads() if model.device.type == "cpu" else None}


def _settle_arithmetic(work: Path, here: dict) -> tuple[dict, str | None]:
    """The arithmetic this run computes at, and a line saying why when it is not this process's own.

    Saved chunks were computed at the recorded arithmetic. On the same device type the run takes the recorded
    thread count, so the saved work is kept and matches; on another device type, or when the record is
    missing or unreadable, the saved chunks are dropped and the run starts afresh at its own arithmetic."""
    recorded, chunks = _recorded_arithmetic(work), sorted(work.glob("chunk-*.npz"))
    valid = (isinstance(recorded, dict) and recorded.get("device") == here["device"]
             and (recorded.get("threads") is None if here["threads"] is None
                  else isinstance(recorded.get("threads"), int) and recorded["threads"] >= 1))
    if chunks and valid:
        if recorded == here:
            return here, None
        return recorded, (f"resumed at the torch thread count its saved chunks were computed at ({recorded['threads']}; "
                          f"this process has {here['threads']}), so the index holds one arithmetic")
    note = None
    if chunks:
        why = (f"were computed on {recorded['device']}, this run is on {here['device']}"
               if isinstance(recorded, dict) and recorded.get("device") not in (None, here["device"])
               else "do not say what thread count computed them")
        note = f"started afresh, dropping {len(chunks)} saved chunk(s): they {why}"
    _start_afresh(work, here)
    return here, note


def _recorded_arithmetic(work: Path):
    try:
        return json.loads((work / ARITHMETIC).read_text())
    except (OSError, ValueError):
        return None


def _start_afresh(work: Path, arithmetic: dict) -> None:
    """Drop the saved chunks and record the arithmetic the new ones will be computed at."""
    for chunk in work.glob("chunk-*.npz"):
        chunk.unlink(missing_ok=True)
    write_atomic(work / ARITHMETIC, json.dumps(arithmetic).encode())


def _sweep_chunk(model: LoadedModel, files: Sequence[Path], first: int, rule: Rule, batch_size: int,
                 step: Callable[[int], None], mapper=map) -> dict:
    """One chunk (`files`, numbered from `first`): per layer its top-k candidates and statistics' pieces.

    `step(n)` is called after each batch with the chunk's files done so far."""
    starts = range(0, len(files), batch_size)
    running = {layer: RunningTopK(rule.k, rule.per_image) for layer in rule.layers}
    part: dict[str, np.ndarray] = {}
    read, skipped, maxima, sums, active, counts, maps = [], [], {}, {}, {}, {}, {}

    def load(n: int):
        return read_batch(files[starts[n]:starts[n] + batch_size], model.input_size, rule.fit, mapper)

    for start, (batch, got, bad) in zip(starts, prefetched(load, len(starts))):
        skipped += bad
        if batch is None:
            step(start + len(files[start:start + batch_size]))
            continue
        numbers = torch.tensor([first + start + i for i in got])
        read += numbers.tolist()
        acts = activations(model, batch, rule.layers)
        for layer, act in acts.items():
            flat = act.detach().float().reshape(*act.shape[:2], -1)
            running[layer].add(act, numbers)
            maxima.setdefault(layer, []).append(flat.amax(dim=2).cpu())
            sums[layer] = sums.get(layer, 0) + flat.sum(dim=(0, 2)).cpu().double()  # MPS has no float64
            active[layer] = active.get(layer, 0) + (flat > 0).sum(dim=(0, 2)).cpu()
            counts[layer] = counts.get(layer, 0) + flat.shape[0] * flat.shape[2]
            maps[layer] = list(act.shape[2:])
        step(start + len(files[start:start + batch_size]))
    part["read"] = np.array(read, dtype=np.int64)
    part["skipped"] = np.array([f"{path}\t{why}" for path, why in skipped], dtype=str)
    for n, layer in enumerate(rule.layers):
        if layer in maps:
            top = running[layer]
            part.update({f"{n}.values": top.values.cpu().numpy(), f"{n}.images": top.images.cpu().numpy(),
                         f"{n}.positions": top.positions.cpu().numpy(),
                         f"{n}.maxima": torch.cat(maxima[layer]).numpy(), f"{n}.sum": sums[layer].numpy(),
                         f"{n}.active": active[layer].numpy(), f"{n}.count": np.array(counts[layer]),
                         f"{n}.map": np.array(maps[layer], dtype=np.int64)})
    return part


def _load_part(path: Path) -> dict | None:
    """A saved chunk, or None when missing, unreadable or incomplete (then it is computed again; never fatal).

    `_save_part` writes a part whole (a temporary file beside it, renamed over the name), so a run killed while
    saving leaves only its hidden temporary file, never a partial part under the name; a part damaged
    otherwise (cut short by a full disk, a machine crash or a half copy) fails to load here."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            part = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # a cut zip is a BadZipFile, not an OSError
        part = None
    if part is None or not {"read", "skipped"} <= part.keys():
        path.unlink(missing_ok=True)
        return None
    return part


def _save_part(path: Path, part: dict) -> None:
    """The chunk's arrays as one .npz, written atomically (`write_atomic`)."""
    buffer = io.BytesIO()
    np.savez(buffer, **part)
    write_atomic(path, buffer.getvalue())


def _merge(model: LoadedModel, parts: list[dict], rule: Rule, files: Sequence[Path], folder: Path) -> tuple:
    """All chunks, in chunk order -> (sources, skipped, {layer: arrays}) of the finished index."""
    read = np.concatenate([p["read"] for p in parts])
    skipped = [tuple(s.split("\t", 1)) for p in parts for s in p["skipped"].tolist()]
    if len(read) == 0:
        raise UserError(f"none of the {len(files)} files could be read; first problem: {skipped[0][1]}")
    renumber = np.zeros(len(files), dtype=np.int64)
    renumber[read] = np.arange(len(read))  # file number -> number among the images read
    layers = {}
    for n, layer in enumerate(rule.layers):
        done = [p for p in parts if f"{n}.values" in p]
        top = RunningTopK(rule.k, rule.per_image)
        for p in done:
            top.merge(*(torch.from_numpy(p[f"{n}.{key}"]) for key in ("values", "images", "positions")))
        values, images, positions = top.padded()
        maxima = np.concatenate([p[f"{n}.maxima"] for p in done])
        count = sum(int(p[f"{n}.count"]) for p in done)
        histogram, edges = zip(*(np.histogram(maxima[:, c], bins=BINS) for c in range(maxima.shape[1])))
        map_size = [int(v) for v in done[0][f"{n}.map"]]
        arrays = {
            "values": values.numpy().astype(np.float32), "images": renumber[images.numpy()],
            "positions": positions.numpy().astype(np.int64), "maxima": maxima.astype(np.float16),
            "mean": sum(p[f"{n}.sum"] for p in done) / count, "active": sum(p[f"{n}.active"] for p in done) / count,
            "histogram": np.stack(histogram).astype(np.int64), "edges": np.stack(edges).astype(np.float32),
        }
        if len(map_size) == 2:
            fields = field_map(model, layer)
            arrays["field"] = {"rows": fields.rows, "cols": fields.cols, "input_size": fields.input_size}
        layers[layer] = (arrays, map_size)
    sources = [Path(os.path.relpath(files[i], folder)).as_posix() for i in read]
    return sources, [list(s) for s in skipped], layers


def build_index(
    model: LoadedModel,
    folder: str | os.PathLike,
    out: str | os.PathLike,
    layers: Sequence[str] | None = None,
    k: int = 9,
    per_image: bool = True,
    fit: str = "squash",
    batch_size: int = 32,
    chunk: int = CHUNK,
    world: World | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> IndexRun:
    """Index `folder` into `out` (see the module docstring); resumes a matching unfinished index there.

    `layers` default to each tier's layer. `world` is this process's place under torchrun (one process
    when None). `progress(done, total)` counts this process's images, after each batch. `workers` threads
    decode images (more than one where the device outruns a single decoding thread: a GPU).
    """
    check_whole(k, 1, MAX_K, "k")
    if min(int(batch_size), int(chunk), int(workers)) < 1:
        raise UserError(f"batch size {batch_size}, chunk {chunk} and workers {workers} must each be at least 1")
    check_choice(fit, FIT_MODES, "fit mode")
    world = world or World(0, 1, str(model.device))
    layers = list(dict.fromkeys(layers or default_layers(model)))
    resolve_modules(model, layers)  # an unknown layer fails before any file is read
    folder = Path(folder).absolute()
    files = list_sources(folder)
    rule = Rule(tuple(layers), int(k), bool(per_image), fit, int(chunk))
    identity = _identity(model, files, rule)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file; --out names a folder")
    out.mkdir(parents=True, exist_ok=True)
    check_folder(out)
    started = time.perf_counter()
    if (out / HEADER).is_file() and read_header(out).get("identity") == identity:
        return IndexRun(len(files), 0, [], 0, 0, 0.0, True)
    work = out / PARTS / identity
    if world.leader:  # unfinished work of other settings or contents would never be used: a new index starts
        for stale in (out / PARTS).glob("*") if (out / PARTS).is_dir() else []:
            if stale != work:
                shutil.rmtree(stale, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        arithmetic, note = _settle_arithmetic(work, _arithmetic(model))
    arithmetic, note = world.broadcast((arithmetic, note) if world.leader else None)
    work.mkdir(parents=True, exist_ok=True)  # another node's first look at a folder that is not shared
    if not world.leader and _recorded_arithmetic(work) != arithmetic:  # a node whose folder is not shared
        _start_afresh(work, arithmetic)
    world.barrier()

    numbers = world.share(range(0, len(files), rule.chunk))
    total = sum(len(files[s:s + rule.chunk]) for s in numbers)
    parts, done, computed, resumed = [], 0, 0, 0
    with ThreadPoolExecutor(int(workers)) as decoders, torch_threads(arithmetic["threads"]):
        mapper = decoders.map if int(workers) > 1 else map
        for start in numbers:
            chunk_files = files[start:start + rule.chunk]
            path = work / f"chunk-{start // rule.chunk:06d}.npz"
            part = _load_part(path)
            if part is None:
                def step(n: int, base=done) -> None:
                    if progress is not None:
                        progress(base + n, total)

                part = _sweep_chunk(model, chunk_files, start, rule, int(batch_size), step, mapper)
                _save_part(path, part)
                computed += len(chunk_files)
            else:
                resumed += len(chunk_files)
                if progress is not None:
                    progress(done + len(chunk_files), total)
            parts.append((start, part))
            done += len(chunk_files)
    gathered = world.gather(parts)
    if not world.leader:
        return IndexRun(len(files), 0, [], computed, resumed, time.perf_counter() - started, False, note)
    ordered = [part for _, part in sorted((item for rank in gathered for item in rank), key=lambda item: item[0])]
    sources, skipped, merged = _merge(model, ordered, rule, files, folder)
    seconds = time.perf_counter() - started
    tiers = {layer.name: layer.tier for layer in model.layers}
    header = dict(
        model=model.name, weights=model.weights, weights_id=model.weights_id, input_size=model.input_size,
        folder=str(folder), identity=identity, k=rule.k, per_image=rule.per_image, fit=rule.fit, chunk=rule.chunk,
        files=len(files), images=len(sources), skipped=len(skipped),
        layers={layer: {"tier": tiers.get(layer), "channels": int(arrays["values"].shape[0]), "map_size": map_size}
                for layer, (arrays, map_size) in merged.items()},
        built={"processes": world.size, "device": str(model.device), "threads": arithmetic["threads"],
               "seconds": round(seconds, 2)},
    )
    write_index(out, header, sources, skipped, {layer: arrays for layer, (arrays, _) in merged.items()})
    shutil.rmtree(out / PARTS, ignore_errors=True)
    return IndexRun(len(files), len(sources), [tuple(s) for s in skipped], computed, resumed, seconds, False, note)
