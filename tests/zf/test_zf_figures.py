"""Figure 2 (Zeiler & Fergus): per unit a 3x3 block of projections beside the 3x3 block of matching patches,
the audit's verdict in the title, both in the drawn figure and in the exported file."""

from __future__ import annotations

import pytest
import torch
from support.deconv_nets import chain_model, explicit_projection
from support.helpers import svg_text
from torch import nn

import models
from viz.core.export import figure_bytes
from viz.core.receptive_field import crop_field
from viz.zf.audit import deconv_audit
from viz.zf.display import DISPLAY_LABEL, DISPLAYS, blur_sigma, magnitude
from viz.zf.figures import figure2, unit_panel
from viz.zf.projection import to_display
from viz.zf.topk import top_examples

FIELD = 12  # the chain net's receptive field at "top": 3x3 <- 3x3 <- pool 2 <- 3x3
PAD = 2  # `tile`'s default gap between tiles


@pytest.fixture(scope="module")
def chain():
    return chain_model()


@pytest.fixture(scope="module")
def images():
    return torch.rand(12, 3, 16, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


@pytest.fixture(scope="module")
def found(chain, images):
    return top_examples(chain, images, "top", k=9, per_image=True)


def tile_at(block: torch.Tensor, i: int) -> torch.Tensor:
    """Tile i (row-major, 3 columns) of a 3x3 block of FIELD-px tiles."""
    r, c = divmod(i, 3)
    top, left = r * (FIELD + PAD), c * (FIELD + PAD)
    return block[:, top : top + FIELD, left : left + FIELD]


@pytest.mark.parametrize("display", DISPLAYS)
def test_a_unit_panel_is_its_projections_3x3_beside_its_patches_3x3(chain, images, found, display):
    channel = 1
    panel = unit_panel(chain, found, channel, "deconvnet", images, display=display, extent="neuron")
    side = 3 * FIELD + 2 * PAD
    gap = panel.shape[2] - 2 * side
    assert panel.shape == (3, side, 2 * side + gap) and gap >= 4
    assert (panel[:, :, side : side + gap] == 1).all()  # a white gap between the two blocks
    projections, patches = panel[:, :, :side], panel[:, :, side + gap :]
    examples = found.examples(channel)
    assert len(examples) == 9
    for i, e in enumerate(examples):
        picture = images[e.image : e.image + 1]
        # per_image: the example is the image's strongest position, the one explicit_projection seeds
        signal = explicit_projection(chain.net, picture, channel, "deconvnet")
        shown = (to_display(signal) if display == "signed" else magnitude(signal, blur_sigma(chain)))[0]
        torch.testing.assert_close(tile_at(projections, i), crop_field(shown, e.box, (FIELD, FIELD)), atol=1e-5, rtol=0)
        torch.testing.assert_close(tile_at(patches, i), crop_field(picture[0].float(), e.box, (FIELD, FIELD)))


def test_figure2_draws_one_panel_per_unit_with_caption_and_the_verdict_in_the_title(chain, images, found):
    channels = [0, 3]
    fig = figure2(chain, found, channels, images=images)
    drawn = [ax for ax in fig.axes if ax.get_images()]
    assert len(drawn) == 2
    for ax, c in zip(drawn, channels):
        expected = unit_panel(chain, found, c, "deconvnet", images)
        assert torch.allclose(torch.from_numpy(ax.get_images()[0].get_array().data).permute(2, 0, 1), expected)
        assert ax.get_title() == f"unit {c}  (top activation {found.examples(c)[0].value:.3g})"
    verdict = deconv_audit(chain, "top").summary()
    title = " ".join(fig._suptitle.get_text().split("\n"))
    assert verdict.startswith("exact") and verdict in title
    assert f"shown: {DISPLAY_LABEL['magnitude']}" in title  # what was done to the raw signal
    assert "sent down: the unit over the neuron's field" in title  # and what was projected
    neuron = unit_panel(chain, found, channels[0], "deconvnet", images, extent="neuron")
    assert (neuron - unit_panel(chain, found, channels[0], "deconvnet", images)).abs().amax() > 0.05


def batch_norm_model() -> models.LoadedModel:
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 5, 3, padding=1), nn.ReLU())
    return models.from_module(net, name="bn-net", layers=["2", "5"], input_size=16)


def test_an_exported_figure2_carries_the_approximate_verdict_and_its_reasons():
    model = batch_norm_model()
    pictures = torch.rand(9, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    found = top_examples(model, pictures, "5", k=9, per_image=True)
    verdict = deconv_audit(model, "5").summary()
    assert verdict.startswith("approximate") and "batch norm" in verdict
    svg = svg_text(figure_bytes(figure2(model, found, [0], images=pictures), ".svg", dpi=72))
    assert verdict in " ".join(svg)  # the title is wrapped at spaces over several lines
    assert "unit 0  (top activation" in " ".join(svg)
