"""Throughput of the top-k sweep against plain truncated inference, same model, layer and batch size.

    python benchmarks/topk_sweep.py [--model efficientnet_lite0] [--layers _relu0 _blocks.4 _relu_head]
                                    [--images 64] [--batch-size 32] [--repeats 3] [--device auto]

Both sides get the same in-memory images (gallery photos, random crops, at the model's input size) and stop
the forward pass at the layer; the sweep also keeps the per-channel top-9 and the disk cache is off. Runs
alternate (plain, sweep, plain, ...) so that load from other processes hits both alike; the median of the
repeats is reported (the fastest, the run least disturbed by other load, is printed too). A third
figure, the sweep over image files (decoding included, next batch decoded on a worker thread), shows what a
real folder costs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the repository's packages

import models  # noqa: E402
from viz.core.activations import activations  # noqa: E402
from viz.core.images import fit_square, gallery_dir, image_files, load_image, to_pil  # noqa: E402
from viz.serving.cache import DiskCache  # noqa: E402
from viz.zf.topk import top_examples  # noqa: E402


def sample_images(count: int, size: int) -> torch.Tensor:
    """`count` random square crops of the gallery photos, resized to `size`."""
    generator = torch.Generator().manual_seed(0)
    photos = [load_image(p) for p in image_files(gallery_dir())]
    out = []
    for i in range(count):
        photo = photos[i % len(photos)]
        side = min(photo.shape[1:]) // 2 + int(torch.randint(0, min(photo.shape[1:]) // 2, (1,), generator=generator))
        top = int(torch.randint(0, photo.shape[1] - side + 1, (1,), generator=generator))
        left = int(torch.randint(0, photo.shape[2] - side + 1, (1,), generator=generator))
        out.append(fit_square(photo[:, top : top + side, left : left + side], size))
    return torch.stack(out)


def plain(model, images, layer, batch_size):
    for start in range(0, len(images), batch_size):
        activations(model, images[start : start + batch_size], layer)


def sweep(model, source, layer, batch_size):
    top_examples(model, source, layer, k=9, batch_size=batch_size, cache=DiskCache("bench", enabled=False))


def timed(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--layers", nargs="+", default=["_relu0", "_blocks.4", "_relu_head"])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    model = models.load(args.model, device=args.device)
    images = sample_images(args.images, model.input_size)
    threads = torch.get_num_threads()
    print(f"{args.model} on {model.device}, {threads} CPU threads, {args.images} images, batch {args.batch_size}")
    with tempfile.TemporaryDirectory() as folder:
        for i, image in enumerate(images):
            to_pil(image).save(Path(folder) / f"{i:04d}.png")
        print("images/s, median (best) of the repeats")
        print(f"{'layer':12s} {'plain':>14s} {'sweep':>14s} {'ratio':>11s} {'files':>14s}")
        for layer in args.layers:
            plain(model, images[: args.batch_size], layer, args.batch_size)  # warm-up
            sweep(model, images[: args.batch_size], layer, args.batch_size)
            plain_s, sweep_s, files_s = [], [], []
            for _ in range(args.repeats):
                plain_s.append(timed(lambda: plain(model, images, layer, args.batch_size)))
                sweep_s.append(timed(lambda: sweep(model, images, layer, args.batch_size)))
                files_s.append(timed(lambda: sweep(model, folder, layer, args.batch_size)))
            median = [args.images / statistics.median(s) for s in (plain_s, sweep_s, files_s)]
            best = [args.images / min(s) for s in (plain_s, sweep_s, files_s)]
            cells = [f"{m:6.1f} ({b:5.1f})" for m, b in zip(median, best)]
            ratio = f"{median[1] / median[0]:4.2f} ({best[1] / best[0]:4.2f})"
            print(f"{layer:12s} {cells[0]:>14s} {cells[1]:>14s} {ratio:>11s} {cells[2]:>14s}")


if __name__ == "__main__":
    main()
