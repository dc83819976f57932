"""Quality of renders, judged as the network meets a photo: at its input size (224 px), small sizes to be fast.

One unit per tier of the embedded model. The edge unit gets more steps: its forward pass is one conv, and
sample photos with large flat areas saturate its ReLU6 easily, so a short render does not beat them yet.
"""

import pytest
import torch

import models
import viz
from viz.core.images import gallery_dir, image_files, to_batch
from viz.metrics.judge import judge

UNITS = [("_relu0", 5), ("_blocks.3", 7), ("_blocks.8", 20), ("_blocks.14", 11)]  # edges, contours, parts, objects


@pytest.fixture(scope="module")
def model(lite0):
    return lite0


STEPS = (256, 64, 64, 64)


@pytest.fixture(scope="module")
def rendering(model):
    """Images of the four units, each rendered with its own number of steps."""
    return torch.cat([viz.render(model, [u], size=64, steps=n, cache=False).images for u, n in zip(UNITS, STEPS)])


def test_units_cover_every_tier(model):
    assert [model.layer(layer).tier for layer, _ in UNITS] == list(models.TIERS)


@pytest.mark.slow
def test_each_render_excites_its_unit_more_than_every_sample_photo(model, rendering):
    photos = to_batch(image_files(gallery_dir()), model.input_size)
    rendered = judge(model, rendering, UNITS, jitters=2)
    for i, unit in enumerate(UNITS):
        best_photo = judge(model, photos, [unit] * len(photos), jitters=2).max()  # judged alike
        assert rendered[i] > best_photo, f"{unit}: render {rendered[i]:.2f} <= best photo {best_photo:.2f}"


def test_each_render_excites_its_own_channel_more_than_the_layers_others(model, rendering):
    shown = torch.nn.functional.interpolate(rendering, size=model.input_size, mode="bilinear")
    for i, (layer, channel) in enumerate(UNITS):
        means = viz.activations(model, shown[i : i + 1], layer)[layer][0].flatten(1).mean(dim=1)
        others = torch.cat([means[:channel], means[channel + 1 :]])
        assert means[channel] > others.mean(), f"{layer} channel {channel}"
