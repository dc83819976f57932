"""`python -m viz render` and `reproduce`: figure, sidecar, same figure again, errors as one line."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from viz.cli import main

ARGS = ["render", "--layer", "_blocks.3", "--channels", "0-1", "--size", "32", "--steps", "3", "--device", "cpu"]


def test_render_writes_figure_and_sidecar_and_reproduce_writes_the_same_figure(tmp_path):
    out = tmp_path / "grid.png"
    assert main([*ARGS, "--seed", "2", "--dpi", "60", "--no-cache", "--out", str(out)]) == 0
    sidecar = json.loads((tmp_path / "grid.png.json").read_text())
    assert sidecar["model"] == "efficientnet_lite0" and len(sidecar["weights_id"]) == 16
    assert sidecar["units"] == ["Channel('_blocks.3', 0)", "Channel('_blocks.3', 1)"]
    assert sidecar["settings"]["seed"] == 2 and sidecar["settings"]["steps"] == 3 and sidecar["dpi"] == 60
    assert {"torch", "numpy", "python"} <= set(sidecar["versions"])

    again = tmp_path / "again.png"
    assert main(["reproduce", str(tmp_path / "grid.png.json"), "--no-cache", "--device", "cpu", "--out", str(again)]) == 0
    first, second = np.asarray(Image.open(out)), np.asarray(Image.open(again))
    assert first.shape == second.shape and np.array_equal(first, second)
    assert out.read_bytes() == again.read_bytes()


def test_vector_formats_by_extension(tmp_path):
    out = tmp_path / "grid.svg"
    assert main([*ARGS, "--out", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml") and (tmp_path / "grid.svg.json").is_file()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--channels", "0-99"], "out of range"),
        (["--size", "4"], "16-1024"),
        (["--layer", "_blocks.77"], "choose one of"),
    ],
)
def test_bad_input_is_one_line_and_status_2(tmp_path, capsys, extra, message):
    assert main([*ARGS, *extra, "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and "\n" not in err


def test_reproduce_refuses_a_damaged_sidecar(tmp_path, capsys):
    bad = tmp_path / "bad.png.json"
    bad.write_text("{not json")
    assert main(["reproduce", str(bad)]) == 2
    assert "not a readable sidecar" in capsys.readouterr().err


def test_reproduce_renders_at_the_recorded_thread_count(tmp_path):
    """On the CPU a render's pixels depend on torch's intra-op thread count: the sidecar records it and
    `reproduce` uses it, whatever the count of the process that reproduces; the caller's count is restored."""
    out, again = tmp_path / "one.png", tmp_path / "again.png"
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert main([*ARGS, "--seed", "5", "--steps", "24", "--no-cache", "--out", str(out)]) == 0
        assert json.loads((tmp_path / "one.png.json").read_text())["threads"] == 1
        torch.set_num_threads(2)
        assert main(["reproduce", str(tmp_path / "one.png.json"), "--no-cache", "--out", str(again)]) == 0
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert out.read_bytes() == again.read_bytes()


def test_a_natural_render_is_reproduced_from_its_sidecar(tmp_path):
    out = tmp_path / "natural.png"
    assert main([*ARGS, "--preset", "natural", "--no-cache", "--dpi", "40", "--out", str(out)]) == 0
    sidecar = json.loads((tmp_path / "natural.png.json").read_text())
    assert sidecar["preset"] == "natural" and sidecar["settings"]["param"] == "maco"
    again = tmp_path / "again.png"
    assert main(["reproduce", str(tmp_path / "natural.png.json"), "--no-cache", "--out", str(again)]) == 0
    assert out.read_bytes() == again.read_bytes()
