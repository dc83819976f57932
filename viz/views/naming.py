"""How far a unit's name can be trusted, and what names it when no simple stimulus does.

A probe name ("red-green boundary, 75°") is the best of a bank of synthetic stimuli, however weakly that best
drives the unit. Its *support* says how weakly: the unit's activation to the stimulus its name describes, as a
share of its activation at its strongest real patch in the image set shown (the first of its top examples).
Below `SUPPORT` (measured over Lite0's tier layers, docs/figure-1-2.md) the unit is not named after the
stimulus: no simple stimulus explains it, and it is named by its photos. From the parts tier up a unit is
also named by its images (`fires_on`): the classes the network predicts for the photos of its top examples,
or, for a dataset index built over a folder of class sub-folders (ImageFolder layout), those folders' names.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import torch

from models import TIERS, LoadedModel

from ..core.activations import classify
from ..core.digest import tensor_digest
from ..core.images import gallery_dir, image_files
from ..serving.cache import CacheChoice, model_key, store_for
from ..zf.topk import TopExamples

SUPPORT = 0.75  # below this share of its strongest real patch's activation a stimulus does not name a unit: the
# edges tier's 10th percentile over the gallery (docs/figure-1-2.md)
LABELS_SHOWN = 3  # classes named in "fires most on", the rest counted
UNEXPLAINED = "no simple stimulus explains it"
NAMED_BY_IMAGES = "parts"  # from this tier up a unit is also named by the classes of its top images


def support(response: float | None, found: TopExamples, channel: int) -> float | None:
    """The probe stimulus's activation as a share of the unit's strongest real patch's (None when unknown: no
    recorded response, or no photo drives the unit above zero)."""
    examples = found.examples(channel)
    if response is None or not examples or examples[0].value <= 0:
        return None
    return response / examples[0].value


def explained(share: float | None) -> bool:
    """Whether a stimulus with this support may name the unit (an unknown support keeps the probe's name)."""
    return share is None or share >= SUPPORT


def in_words(probe_words: str, share: float | None, fires_on: list[tuple[str, int]] | None, shown: int) -> str:
    """The unit's name as the pages print it: the probe's words and their support, or, below `SUPPORT`,
    "no simple stimulus explains it" and what its images say; then the classes it fires on."""
    images = f"; fires most on: {counts(fires_on, shown)}" if fires_on else ""
    if share is None:
        return probe_words + images
    strength = percent(share)
    if explained(share):
        return f"{probe_words} (drives it {strength} as much as its best photo patch){images}"
    by = images[2:] if images else "see its top photo patches"
    return f"{UNEXPLAINED} (its best stimulus, {probe_words}, drives it only {strength} as much as its best photo " \
           f"patch): {by}"


def short_words(probe_words: str, share: float | None) -> str:
    """The name in few words, for small captions (a "built from" input, the exported strip): the probe's words and
    the support, or, below `SUPPORT`, that no simple stimulus explains the unit and what came closest."""
    if share is None:
        return probe_words
    if explained(share):
        return f"{probe_words} · {percent(share)}"
    return f"{UNEXPLAINED} (best: {probe_words}, {percent(share)})"


def percent(share: float) -> str:
    """A share in whole percent, rounded down, so a support printed "75%" is never below a 75% threshold."""
    return f"{math.floor(100 * share + 1e-9):.0f}%"


def counts(fires_on: list[tuple[str, int]], shown: int) -> str:
    """"espresso 5, cup 2 of its top 9": the `LABELS_SHOWN` most frequent, then how many other classes."""
    named = ", ".join(f"{label} {n}" for label, n in fires_on[:LABELS_SHOWN])
    rest = len(fires_on) - LABELS_SHOWN
    return named + (f" (and {rest} other classes, 1 photo each)" if rest > 0 and fires_on[LABELS_SHOWN][1] == 1
                    else f" (and {rest} other classes)" if rest > 0 else "") + f" of its top {shown}"


def named_by_images(model: LoadedModel, layer: str) -> bool:
    """Whether `layer` is at the parts tier or above, where a unit is also named by its images."""
    return TIERS.index(model.layer(layer).tier) >= TIERS.index(NAMED_BY_IMAGES)


def folder_labels(sources: list[str], folder: Path | None) -> dict[str, str] | None:
    """{source: its class sub-folder's name} when every source lies one folder deep under `folder` and there is
    more than one such folder (an ImageFolder layout); None otherwise."""
    if folder is None:
        return None
    labels = {}
    for source in sources:
        try:
            parts = Path(source).relative_to(folder).parts
        except ValueError:
            return None
        if len(parts) != 2:
            return None
        labels[source] = parts[0]
    return labels if len(set(labels.values())) > 1 else None


def predicted_labels(model: LoadedModel, found: TopExamples, sources: list[str], images=None,
                     cache: CacheChoice = True) -> dict[str, str]:
    """{source: the class the network predicts for it} for the given sources of a sweep; cached by the files
    (or a tensor's pixels) and the model."""
    pictures = torch.stack([found.image(found.sources.index(s), images) for s in sources])
    store = store_for(cache, "hierarchy")
    key = {"stage": "predicted", **model_key(model), "pixels": tensor_digest(pictures)}
    labels = store.get_or_compute(key, lambda: {"labels": [top[0][0] for top in classify(model, pictures, top=1)]})
    return dict(zip(sources, labels["labels"]))


def fires_on(found: TopExamples, channel: int, labels: dict[str, str], k: int) -> list[tuple[str, int]]:
    """[(label, count)] over the unit's top `k` examples, most frequent first (ties: first seen)."""
    tally = Counter(labels[e.source] for e in found.examples(channel)[:k])
    return tally.most_common()


def gallery_size() -> int:
    return len(image_files(gallery_dir()))


def thin_evidence(image_sets: list[str], gallery: str) -> str:
    """A sentence for the page when some examples come from the bundled gallery: how few photos that is and how
    to index a folder instead ("" when none do)."""
    if gallery not in image_sets:
        return ""
    n = gallery_size()
    return (f"The top patches and the classes a unit fires on come from the {n} photos of {gallery}: {n} photos "
            "are few, so every unit's top examples are much the same photos in another order, and a unit's "
            "strongest photo patch (its support's yardstick) is only the best of those few. For stronger "
            "evidence index a folder of your own photos, e.g. one sub-folder per class: `python -m viz index "
            "FOLDER --out DIR` (into the app's index folder), then choose it as the sidebar's dataset index.")
