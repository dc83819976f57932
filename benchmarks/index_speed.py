"""Speed and size of the dataset index: images/s of `python -m viz index` for 1 and K processes, bytes per 1,000
images, the projected time for 50,000 images (the ImageNet validation set), and how fast the Unit card opens
on an indexed layer.

    python benchmarks/index_speed.py [--images 96] [--processes 1,2] [--device cpu|cuda] [--batch-size 32]
                                     [--layers A,B] [--model efficientnet_lite0] [--workers 1] [--unit-card]

The images are random crops of the gallery photos saved as JPEGs of about ImageNet's size (500x375), so
decoding costs what it would on the real set. Each process count runs the real command (torchrun for K > 1,
gloo on CPUs), with the CPU's threads split evenly between the processes; images/s is the command's own
figure (index.json's `built.seconds`: decoding, forward passes, merge and writing; model loading and process
start-up excluded), and the wall time of the whole command is printed beside it. `--unit-card` then opens
the Unit page on an indexed layer through Streamlit's AppTest twice and reports the second (warm) run.
Prints the load average: on a shared machine the figures depend on it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from viz.core.images import gallery_dir, image_files, load_image, to_pil  # noqa: E402

SIZE = (375, 500)  # (height, width): a typical ImageNet validation photo


def make_folder(folder: Path, count: int) -> None:
    generator = torch.Generator().manual_seed(0)
    photos = [load_image(p) for p in image_files(gallery_dir())]
    for i in range(count):
        photo = photos[i % len(photos)]
        h, w = photo.shape[1:]
        side = min(h, w) // 2 + int(torch.randint(0, min(h, w) // 2, (1,), generator=generator))
        top = int(torch.randint(0, h - side + 1, (1,), generator=generator))
        left = int(torch.randint(0, w - side + 1, (1,), generator=generator))
        crop = torch.nn.functional.interpolate(photo[None, :, top:top + side, left:left + side], size=SIZE,
                                               mode="bilinear", antialias=True, align_corners=False)[0]
        to_pil(crop.clamp(0, 1)).save(folder / f"{i:05d}.jpg", quality=90)


def run_index(folder: Path, out: Path, processes: int, args) -> dict:
    threads = max(1, (os.cpu_count() or 1) // processes) if args.device == "cpu" else None
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    launcher = ([sys.executable, "-m", "viz"] if processes == 1 else
                [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
                 "-m", "viz"])
    command = [*launcher, "index", str(folder), "--out", str(out), "--model", args.model, "--device", args.device,
               "--batch-size", str(args.batch_size), "--chunk", str(args.chunk), "--workers", str(args.workers)]
    if args.layers:
        command += ["--layers", args.layers]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"viz index failed with {processes} process(es):\n{result.stderr[-3000:]}")
    header = json.loads((out / "index.json").read_text())
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    maxima = sum(p.stat().st_size for p in out.rglob("maxima.npy"))
    return dict(header=header, wall=wall, threads=threads, size=size, maxima=maxima)


def unit_card_seconds(root: Path, name: str, layer: str) -> tuple[float, float]:
    """(first, second) run of the Unit page on `layer` of index `name`, through AppTest in this process."""
    from streamlit.testing.v1 import AppTest

    os.environ["VIZ_INDEX_DIR"] = str(root)
    times = []
    for _ in range(2):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
        at.query_params.update({"layer": layer, "unit": "0", "index": name})
        start = time.perf_counter()
        at.switch_page("ui/pages/unit.py").run()
        times.append(time.perf_counter() - start)
        if at.exception or not any(c.startswith("top-") for e in at.image for c in e.captions):
            sys.exit(f"the Unit page did not show the index's top examples: {at.exception}")
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--processes", default="1,2", help="process counts to compare, e.g. 1,2")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (one process per GPU)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--chunk", type=int, default=32, help="images per chunk (small: every process gets work)")
    parser.add_argument("--layers", help="comma-separated layers (default: each tier's layer)")
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--workers", type=int, default=1, help="decoding threads per process")
    parser.add_argument("--unit-card", action="store_true", help="also time the Unit page on an indexed layer")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder, root = Path(tmp) / "photos", Path(tmp) / "indexes"
        folder.mkdir()
        make_folder(folder, args.images)
        device = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"{os.cpu_count()} CPU cores"
        print(f"viz index: {args.images} JPEGs of {SIZE[1]}x{SIZE[0]}, {args.model} on {args.device} ({device}), "
              f"batch {args.batch_size}, chunk {args.chunk}, {args.workers} decoding thread(s)")
        for processes in (int(p) for p in args.processes.split(",")):
            found = run_index(folder, root / f"p{processes}", processes, args)
            header = found["header"]
            speed = header["images"] / header["built"]["seconds"]
            per_image = found["maxima"] / header["images"]
            fixed = found["size"] - found["maxima"]
            threads = f" x {found['threads']} threads" if found["threads"] else ""
            print(f"{processes} process(es){threads}: "
                  f"{speed:.1f} images/s ({header['built']['seconds']:.1f} s; whole command {found['wall']:.1f} s), "
                  f"50,000 images in {50_000 / speed / 3600:.2f} h; layers {', '.join(header['layers'])}")
            print(f"  size {found['size'] / 1e6:.2f} MB: {fixed / 1e3:.0f} kB of top-k and fields, "
                  f"{per_image:.0f} B per image of per-image maxima -> "
                  f"{(fixed + 1000 * per_image) / 1e6:.2f} MB per 1,000 images, "
                  f"{(fixed + 50_000 * per_image) / 1e6:.1f} MB for 50,000")
        if args.unit_card:
            name = f"p{args.processes.split(',')[0]}"
            layer = json.loads((root / name / "index.json").read_text())["layers"]
            first, warm = unit_card_seconds(root, name, next(iter(layer)))
            print(f"Unit card on an indexed layer ({next(iter(layer))}): first open {first:.2f} s, warm {warm:.2f} s")
    print("load:", open("/proc/loadavg").read().strip() if os.path.exists("/proc/loadavg") else "unknown")


if __name__ == "__main__":
    main()
