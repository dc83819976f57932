"""`python -m viz circuit`: the unit and its inputs as a figure, a sidecar with the inputs as measured, errors as one line."""

import json

import pytest
from support.helpers import svg_text

import viz
from viz.actmax.settings import QUALITY, Quality
from viz.cli import main
from viz.core.images import gallery_dir

ARGS = ["circuit", "--layer", "_blocks.4", "--channel", "3", "--source", "_blocks.1", "--device", "cpu", "--dpi", "50"]


@pytest.fixture(autouse=True)
def _cheap_renders(monkeypatch):
    monkeypatch.setitem(QUALITY, "fast", Quality("standard", steps=2, size=32))


def test_circuit_on_a_photo_writes_the_figure_and_the_inputs_it_drew(tmp_path, lite0):
    photo = gallery_dir() / "chelsea.png"
    out = tmp_path / "circuit.svg"
    assert main([*ARGS, str(photo), "--out", str(out)]) == 0
    record = json.loads((tmp_path / "circuit.svg.json").read_text())
    found = viz.circuit(lite0, "_blocks.4", 3, "_blocks.1", viz.load_image(photo))
    assert record["command"] == "circuit" and record["position"] == list(found.position)
    assert record["inputs"] == [[c, pytest.approx(v, rel=1e-4)] for c, v in found.inputs]
    assert any(v < 0 for _, v in record["inputs"])  # inhibitory inputs are kept, with their sign
    texts = " ".join(svg_text(out.read_bytes()))
    assert f"_blocks.1 · {found.inputs[0][0]}" in texts and "_blocks.4 · unit 3" in texts


def test_without_a_photo_it_measures_the_unit_on_its_own_render(tmp_path):
    out = tmp_path / "own.png"
    assert main([*ARGS, "--k", "2", "--out", str(out)]) == 0
    record = json.loads((tmp_path / "own.png.json").read_text())
    assert record["image"] is None and out.stat().st_size > 0
    assert 1 <= len(record["inputs"]) <= 4


@pytest.mark.parametrize("extra, message", [
    (["--source", "_blocks.7"], "choose an earlier layer"),
    (["--channel", "40"], "channels 0-39"),
    (["--k", "0"], "k must be a whole number 1-24"),
])
def test_bad_pairs_channels_and_k_are_one_line(tmp_path, capsys, extra, message):
    assert main([*ARGS, *extra, "--out", str(tmp_path / "x.png")]) == 2
    assert message in capsys.readouterr().err
