"""How concentrated are a unit's inputs? Trained vs untrained Lite0 over the gallery (see docs/circuits.md).

For every gallery photo and each network (trained, untrained), the landing's contour and part units (the 3 per
tier that contribute most to the predicted class) are measured against the tier below (`viz.circuit` on the
photo, gradient x activation at the unit's strongest neuron). Concentration = the share of the unit's positive
contribution carried by its top 3 inputs; if every input contributed alike it would be 3 / (inputs with a
positive contribution). `--all-units` also measures every unit of both layers at its strongest neuron.

    python benchmarks/circuit_concentration.py [--all-units] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
import viz  # noqa: E402
from viz.circuits import Circuit, contributions, make_circuit  # noqa: E402
from viz.core.images import fit_square, gallery_dir, image_files  # noqa: E402
from viz.probing.tiers import whole_field_layers  # noqa: E402
from viz.views import hierarchy  # noqa: E402

TOP = 3


def concentration_and_uniform(found: Circuit) -> tuple[float, float]:
    """(share of the positive total in the top 3 (`Circuit.concentration`), the same share if the positive
    inputs were equal)."""
    count = int((found.contributions > 0).sum())
    return found.concentration(TOP), min(1.0, TOP / count) if count else 0.0


def landing_circuits(model, photo) -> dict[str, list[Circuit]]:
    found = hierarchy.choose_units(model, photo, cache=False)
    circuits = hierarchy.tier_circuits(model, found, cache=False)
    by_layer: dict[str, list[Circuit]] = {}
    for (layer, _), found_circuit in circuits.items():
        by_layer.setdefault(layer, []).append(found_circuit)
    return by_layer


def all_circuits(model, photo) -> dict[str, list[Circuit]]:
    layers = whole_field_layers(model)
    square = fit_square(photo, model.input_size).float()
    circuits = {}
    for below, above in (("edges", "contours"), ("contours", "parts")):
        layer = layers[above]
        channels = list(range(model.layer(layer).channels))
        found = []
        for start in range(0, len(channels), 16):
            chunk = channels[start:start + 16]
            images = square[None].expand(len(chunk), -1, -1, -1)
            rows, positions, values = contributions(model, images, layer, layers[below], [(c, None) for c in chunk])
            found += [make_circuit(layer, c, layers[below], position, row, float(value), TOP)
                      for c, row, position, value in zip(chunk, rows, positions, values)]
        circuits[layer] = found
    return circuits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all-units", action="store_true", help="also every unit of both layers")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    photos = image_files(gallery_dir())
    print(f"efficientnet_lite0 on {args.device}, {len(photos)} gallery photos, concentration = top-{TOP} share "
          "of the positive contribution (uniform: the same share if the positive inputs were equal)")
    kinds = [("landing units", landing_circuits)] + ([("all units", all_circuits)] if args.all_units else [])
    print("| units | layer (from) | trained: median (mean) | uniform | untrained: median (mean) | uniform | n |")
    print("|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for label, collect in kinds:
        table: dict[str, dict[str, list[tuple[float, float]]]] = {}
        for weights in ("default", "none"):
            model = models.load("efficientnet_lite0", weights=weights, device=args.device)
            for path in photos:
                for layer, found in collect(model, viz.load_image(path)).items():
                    table.setdefault(layer, {}).setdefault(weights, []).extend(map(concentration_and_uniform, found))
        source = {v: whole_field_layers(model)[b] for b, v in (("edges", "contours"), ("contours", "parts"))}
        for layer, by in table.items():
            cells = []
            for weights in ("default", "none"):
                shares = [s for s, _ in by[weights]]
                uniform = [u for _, u in by[weights]]
                cells += [f"{statistics.median(shares):.2f} ({statistics.mean(shares):.2f})",
                          f"{statistics.median(uniform):.2f}"]
            tier = [t for t, name in whole_field_layers(model).items() if name == layer][0]
            print(f"| {label} | {layer} {tier} (from {source[tier]}) | " + " | ".join(cells) +
                  f" | {len(by['default'])} |")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
