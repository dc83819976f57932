"""Figure drawing and export: mosaics, the format by extension, the same bytes each time, captions in every format."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
import torch
from PIL import Image
from support.helpers import pdf_text, svg_text

from models.errors import UserError
from viz.actmax import objectives as O
from viz.actmax.figures import render_figure
from viz.actmax.rendering import Rendering
from viz.actmax.settings import PRESETS
from viz.core.export import FORMATS, figure_bytes, save_figure
from viz.core.figures import HEAT_OPACITY, colorize, grid_figure, heat_overlay, outline, tile
from viz.core.receptive_field import Box


def test_outline_draws_only_the_boxs_border_and_the_heat_overlay_mixes_at_its_opacity():
    image = torch.zeros(3, 10, 12)
    box = Box(2, 3, 8, 9)
    drawn = outline(image, box, colour=(1.0, 0.5, 0.0), width=1)
    border = torch.zeros(10, 12, dtype=torch.bool)
    border[2, 3:9] = border[7, 3:9] = border[2:8, 3] = border[2:8, 8] = True
    assert torch.equal(drawn[0] == 1.0, border) and torch.equal(drawn[1] == 0.5, border)
    assert image.abs().sum() == 0  # a copy: the photo itself is not drawn on
    amap = torch.arange(6.0).view(2, 3)  # a map at half the photo's size: upsampled
    photo = torch.rand(3, 4, 6, generator=torch.Generator().manual_seed(0))
    upsampled = torch.nn.functional.interpolate(amap[None, None], size=(4, 6), mode="bilinear",
                                                align_corners=False)[0, 0]
    expected = (1 - HEAT_OPACITY) * photo + HEAT_OPACITY * colorize(upsampled, vmin=0.0, cmap="inferno")
    torch.testing.assert_close(heat_overlay(photo, amap), expected)
    torch.testing.assert_close(heat_overlay(photo, amap, box=Box(0, 0, 4, 6)), outline(expected, Box(0, 0, 4, 6)))


def test_tile_places_images_row_major():
    images = torch.stack([torch.full((3, 2, 2), float(i) / 4) for i in range(5)])
    mosaic = tile(images, columns=3, pad=1, fill=1.0)
    assert mosaic.shape == (3, 5, 8)
    assert mosaic[0, 0, 0] == 0.0 and mosaic[0, 0, 3] == 0.25 and mosaic[0, 3, 3] == 1.0
    assert mosaic[0, 3, 0] == 0.75 and mosaic[0, 2, 0] == 1.0  # padding row


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_figures_are_written_in_the_format_of_their_extension(tmp_path, suffix, magic):
    fig = grid_figure([torch.rand(3, 8, 8) for _ in range(3)], ["a", "b", "c"], title="t")
    path = save_figure(fig, tmp_path / f"grid{suffix}", dpi=72)
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"grid{suffix}"]  # no temporary file left


def test_bad_export_requests_are_refused(tmp_path):
    with pytest.raises(UserError, match=".png, .svg, .pdf"):
        save_figure(grid_figure([torch.rand(3, 4, 4)]), tmp_path / "grid.gif")
    with pytest.raises(UserError, match="dpi 5"):
        save_figure(grid_figure([torch.rand(3, 4, 4)]), tmp_path / "grid.png", dpi=5)
    with pytest.raises(UserError, match="does not exist"):
        save_figure(grid_figure([torch.rand(3, 4, 4)]), tmp_path / "missing" / "grid.png")
    with pytest.raises(UserError, match="no images"):
        grid_figure([])


def test_exported_figures_get_normal_file_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_figure(grid_figure([torch.rand(3, 4, 4)]), tmp_path / "grid.png", dpi=72)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_the_same_figure_gives_the_same_bytes(suffix):
    images = [torch.linspace(0, 1, 48).view(3, 4, 4)] * 2
    first = figure_bytes(grid_figure(images, ["a", "b"], title="t"), suffix, dpi=72)
    second = figure_bytes(grid_figure(images, ["a", "b"], title="t"), suffix, dpi=72)
    assert first == second


@pytest.mark.parametrize("suffix", FORMATS)
def test_render_grid_captions_and_title_reach_every_format(lite0, suffix):
    units = [O.Channel("_blocks.3", 5), O.Neuron("_blocks.3", 7, 1, 2)]
    images = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    rendering = Rendering(images, torch.zeros(1, 2), [repr(u) for u in units], PRESETS["standard"])
    fig = render_figure(lite0, rendering, ["_blocks.3"] * 2)
    captions = ["Channel(5)\n_blocks.3 · contours", "Neuron(7, y=1, x=2)\n_blocks.3 · contours"]
    assert [ax.get_title() for ax in fig.axes if ax.get_images()] == captions
    data = figure_bytes(fig, suffix, dpi=72)
    if suffix == ".png":  # no text to read back: the captions must at least change the pixels
        for ax in fig.axes:
            ax.set_title("")
        uncaptioned = figure_bytes(fig, suffix, dpi=72)
        assert not np.array_equal(*(np.asarray(Image.open(io.BytesIO(d))) for d in (data, uncaptioned)))
        return
    lines = svg_text(data) if suffix == ".svg" else pdf_text(data)
    assert lines[:4] == [line for caption in captions for line in caption.split("\n")]
    if suffix == ".svg":  # in the PDF, matplotlib 3.11 shapes the title's "ffi" into one ligature glyph
        assert lines[4:] == ["efficientnet_lite0 · 128 px, 512 steps, seed 0"]
