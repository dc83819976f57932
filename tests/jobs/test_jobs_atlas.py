"""The atlas: the command writes, resumes, and runs the same under torchrun (2 CPU processes, gloo) as in one
process (a unit's picture does not depend on its batch: tests/actmax/test_actmax_per_unit.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from models.errors import UserError
from viz.cli import main
from viz.jobs.atlas import atlas_units
from viz.jobs.atlas_site import unit_file
from viz.views.unit_circuit import field_pictures

ROOT = Path(__file__).resolve().parents[2]
LAYER = "_blocks.3"
ARGS = ["--layer", "_blocks.1", "--layer", LAYER, "--channels", "0-3", "--steps", "6", "--size", "32"]


def test_atlas_units_cut_a_channel_range_to_each_layer(lite0):
    units = atlas_units(lite0, ["_blocks.0", "_blocks.1"], range(14, 20))
    assert units == [("_blocks.0", 14), ("_blocks.0", 15)] + [("_blocks.1", c) for c in range(14, 20)]
    with pytest.raises(UserError, match="no unit"):
        atlas_units(lite0, ["_blocks.0"], range(100, 101))


def _png(path: Path) -> torch.Tensor:
    return torch.tensor(list(Image.open(path).convert("RGB").getdata()))


def test_atlas_writes_pngs_json_and_index_and_a_rerun_skips_what_is_done(tmp_path, capsys):
    out = tmp_path / "atlas"
    assert main(["atlas", *ARGS, "--device", "cpu", "--out", str(out)]) == 0
    record = json.loads((out / "atlas.json").read_text())
    assert len(record["units"]) == 8 and record["settings"]["steps"] == 6
    unit = record["units"][5]
    assert unit == {"layer": LAYER, "channel": 1, "tier": "contours", "file": f"{LAYER}/1.png",
                    "objective": unit["objective"]} and unit["objective"] > 0
    assert Image.open(out / unit["file"]).size == (32, 32)
    page = (out / "index.html").read_text()
    assert '"file": "_blocks.3/1.png"' in page and "<script>" in page

    shutil.rmtree(os.environ["VIZ_CACHE_DIR"])  # a rerun must not even need the cache: the PNGs say it is done
    (out / LAYER / "2.png").unlink()  # as if interrupted before this unit
    stamp = (out / LAYER / "1.png").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["atlas", *ARGS, "--device", "cpu", "--out", str(out)]) == 0
    assert (out / LAYER / "1.png").stat().st_mtime_ns == stamp and (out / LAYER / "2.png").is_file()
    assert "8 units of 8" in capsys.readouterr().out


@pytest.mark.slow
def test_atlas_field_fills_the_field_renders_the_landing_reads(lite0, tmp_path, monkeypatch, capsys):
    assert main(["atlas", "--layer", "_blocks.1", "--channels", "0-1", "--steps", "2", "--size", "32", "--field",
                 "--device", "cpu", "--out", str(tmp_path)]) == 0
    settings = json.loads((tmp_path / "atlas.json").read_text())["settings"]
    assert settings["field"] is True
    monkeypatch.setattr("viz.actmax.rendering._optimize_splitting", lambda *a, **k: pytest.fail("rendered again"))
    read = field_pictures(lite0, "_blocks.1", [1, 0], steps=2, size=32)  # the landing's inputs, from the cache alone
    written = _png(unit_file(tmp_path, "_blocks.1", 1))
    assert read.shape == (2, 3, 32, 32) and (read[0].permute(1, 2, 0).reshape(-1, 3) * 255 - written).abs().max() <= 1


@pytest.mark.slow
def test_torchrun_with_two_cpu_processes_gives_the_one_process_atlas(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    # Both with one torch thread per process: oneDNN may sum in another order with another thread count
    # (measured: objectives 5e-4 apart, 2 threads against 1), which is not what this test is about.
    single = [sys.executable, "-m", "viz"]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "viz"]
    for command, out in ((single, one), (launcher, two)):
        run = subprocess.run([*command, "atlas", *ARGS, "--device", "cpu", "--no-cache", "--out", str(out)], cwd=ROOT,
                             capture_output=True, text=True, timeout=240, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert run.returncode == 0, run.stderr[-2000:]
    a, b = (json.loads((d / "atlas.json").read_text()) for d in (one, two))
    assert b["processes"] == 2 and len(a["units"]) == len(b["units"]) == 8
    for x, y in zip(a["units"], b["units"]):
        assert (x["layer"], x["channel"]) == (y["layer"], y["channel"])
        assert abs(x["objective"] - y["objective"]) <= 1e-4 * max(1.0, abs(x["objective"]))  # measured: equal
        assert torch.equal(_png(one / x["file"]), _png(two / y["file"]))  # measured: byte-identical PNGs
