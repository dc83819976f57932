"""`python -m viz index`: writes an index `viz.Index` reads, resumes, and answers bad input in one line; a bad
`hierarchy --index` is one line too (the strip with an index: tests/views/test_views_hierarchy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from viz import Index
from viz.cli import main
from viz.core.images import gallery_dir

BASE = ["--weights", "none", "--device", "cpu"]


def test_index_command_writes_reports_and_skips(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in sorted(gallery_dir().iterdir())[:3]:
        (folder / photo.name).write_bytes(photo.read_bytes())
    (folder / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "index"
    assert main(["index", str(folder), "--out", str(out), "--layers", "_blocks.1", "--k", "2", *BASE]) == 0
    captured = capsys.readouterr()
    assert "indexed 3 images of 4 files (_blocks.1)" in captured.out
    assert captured.err.strip().splitlines()[-1].startswith("skipped 1 unreadable file(s): broken.png")
    index = Index(out)
    assert index.layers == ["_blocks.1"] and index.k == 2 and index.per_image
    assert len(index.examples("_blocks.1", 5)) == 2
    assert main(["index", str(folder), "--out", str(out), "--layers", "_blocks.1", "--k", "2", *BASE]) == 0
    assert "already holds this index" in capsys.readouterr().out


def test_default_layers_are_each_tiers_layer(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "one.png").write_bytes(next(iter(sorted(gallery_dir().iterdir()))).read_bytes())
    assert main(["index", str(folder), "--out", str(tmp_path / "i"), "--any-position", *BASE]) == 0
    index = Index(tmp_path / "i")
    assert index.layers == ["_blocks.1", "_blocks.4", "_blocks.7"] and not index.per_image
    assert len({e.source for e in index.examples("_blocks.4", 0)}) == 1  # nine positions of the one photo


@pytest.mark.parametrize("case, message", [
    ("empty", "error: no images in"),
    ("foreign", "holds files that are not part of an index (notes.txt)"),
    ("layer", "no layer 'nope'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, case, message):
    folder, out = tmp_path / "photos", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    if case != "empty":
        (folder / "one.png").write_bytes(next(iter(sorted(gallery_dir().iterdir()))).read_bytes())
    if case == "foreign":
        (out / "notes.txt").write_text("mine")
    layers = "nope" if case == "layer" else "_blocks.1"
    assert main(["index", str(folder), "--out", str(out), "--layers", layers, *BASE]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_bad_hierarchy_index_is_one_line_and_exit_2(tmp_path, capsys):
    photo = str(sorted(gallery_dir().iterdir())[0])
    strip = ["hierarchy", photo, "--out", str(tmp_path / "strip.png"), *BASE]
    assert main([*strip, "--index", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "holds no index (index.json is missing)" in err[0]
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "one.png").write_bytes(Path(photo).read_bytes())
    assert main(["index", str(folder), "--out", str(tmp_path / "i"), "--layers", "_blocks.2", *BASE]) == 0
    capsys.readouterr()
    assert main([*strip, "--index", str(tmp_path / "i")]) == 2  # a layer the strip does not show
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "covers none of the strip's layers (_blocks.1, _blocks.4, _blocks.7" in err[0]
    assert not (tmp_path / "strip.png").exists()
