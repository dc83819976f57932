"""The measurement behind `viz.views.naming.SUPPORT`: how strongly each unit's named probe stimulus drives it, as a
share of its strongest patch in an image set, layer by layer (docs/figure-1-2.md).

    python benchmarks/support_threshold.py [--layers _blocks.1,_blocks.4,_blocks.7,_blocks.8] [--images FOLDER]

Per layer: the number of units, the 5/10/25/50/75/90% quantiles of their support, and how many fall below the
threshold; then the weakest units with their probe names.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the repository's packages

import models  # noqa: E402
import viz  # noqa: E402
from viz.views import naming  # noqa: E402

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--weights", default="default")
    parser.add_argument("--layers", default="_blocks.1,_blocks.4,_blocks.7,_blocks.8")
    parser.add_argument("--images", help="image folder (default: the bundled gallery)")
    parser.add_argument("--weakest", type=int, default=3, help="weakest units listed per layer")
    args = parser.parse_args()
    model = models.load(args.model, weights=args.weights, device="cpu")
    layers = args.layers.split(",")
    verdicts = viz.probe(model, layers)
    print(f"{model.name} ({args.weights}), images: {args.images or 'the bundled gallery'}, "
          f"threshold {naming.SUPPORT}")
    print(f"{'layer':<12}{'units':>6}" + "".join(f"{100 * q:>6.0f}%" for q in QUANTILES) + f"{'below':>7}")
    for layer in layers:
        found = viz.top_examples(model, args.images, layer, k=9, per_image=True)
        rows = [(naming.support(verdicts[layer].unit(c).response, found, c), c) for c in range(found.channels)]
        known = sorted((s, c) for s, c in rows if s is not None)
        shares = torch.tensor([s for s, _ in known])
        below = sum(not naming.explained(s) for s, _ in known)
        print(f"{layer:<12}{len(known):>6}" + "".join(f"{float(shares.quantile(q)):>7.2f}" for q in QUANTILES)
              + f"{below:>7}")
        for share, channel in known[:args.weakest]:
            print(f"    unit {channel}: {share:.2f}, {verdicts[layer].unit(channel).words}")


if __name__ == "__main__":
    main()
