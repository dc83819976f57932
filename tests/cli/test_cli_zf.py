"""`python -m viz deconv | occlusion | filters` write PNG, SVG and PDF files and fail with one line."""

from __future__ import annotations

import shutil

import pytest

from viz.cli import main
from viz.core.images import gallery_dir


def test_deconv_writes_svg_and_reports_skipped_files(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("chelsea.png", "coffee.png", "rocket.jpg", "brick.png"):
        shutil.copy(gallery_dir() / name, folder / name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    out = tmp_path / "fig2.svg"
    args = ["deconv", "--layer", "_relu0", "--channels", "0,5", "--k", "4", "--images", str(folder), "--out", str(out)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "skipped 1 unreadable file(s): broken.jpg" in captured.err
    assert "deconvnet projection through _relu0: exact" in captured.out  # stem conv (batch norm folded in), ReLU6
    assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()[:2000]


def test_occlusion_writes_pdf(tmp_path, capsys):
    out = tmp_path / "occ.pdf"
    image = str(gallery_dir() / "coffee.png")
    args = ["occlusion", image, "--window", "112", "--stride", "112", "--layer", "_blocks.0", "--out", str(out)]
    assert main(args) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    assert capsys.readouterr().out.startswith("espresso: clean 0.")


def test_filters_writes_png(tmp_path):
    out = tmp_path / "filters.png"
    assert main(["filters", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["deconv", "--layer", "_blocks.4", "--channels", "0-40"], "channel 40 is out of range; this layer has"),
        (["deconv", "--layer", "_blocks.99"], "no layer '_blocks.99'"),
        (["deconv", "--layer", "_relu0", "--images", "EMPTY"], "no images in"),
        (["occlusion", "missing.png"], "missing.png does not exist"),
        (["occlusion", str(gallery_dir() / "coffee.png"), "--window", "500"], "between 1 and the image side"),
    ],
)
def test_errors_are_one_line(tmp_path, capsys, args, message):
    (tmp_path / "EMPTY").mkdir()
    args = [str(tmp_path / "EMPTY") if a == "EMPTY" else a for a in args]
    assert main([*args, "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and err[-1].startswith("error: ")
    assert not (tmp_path / "x.png").exists()


def test_unknown_method_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["deconv", "--layer", "_relu0", "--method", "lrp", "--out", str(tmp_path / "x.png")])
    assert "deconvnet" in capsys.readouterr().err
