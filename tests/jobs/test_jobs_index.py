"""The dataset index: equal to `viz.top_examples` for every unit, resumable, never mixed, the same under
torchrun (2 CPU processes, gloo) as in one process; bad folders and foreign files give one clear line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from support.helpers import make_photos

import models
from models.errors import UserError
from viz import Index
from viz.cli import main
from viz.core.threads import torch_threads
from viz.jobs.index import build_index
from viz.zf.index import find_indexes
from viz.serving.cache import DiskCache
from viz.views import unit_card
from viz.zf.topk import top_examples

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["_blocks.1", "_blocks.4"]  # edges (24 units, 56x56 map) and contours (40 units, 14x14)


@pytest.fixture(scope="module")
def untrained():
    return models.load("efficientnet_lite0", weights="none", device="cpu")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = make_photos(tmp_path_factory.mktemp("photos"), 11)
    (folder / "sub" / "broken.jpg").write_bytes(b"not a jpeg")
    return folder


def arrays(out: Path) -> dict[str, np.ndarray]:
    return {str(p.relative_to(out)): np.load(p, allow_pickle=False) for p in sorted(out.glob("layers/*/*.npy"))}


@pytest.mark.parametrize("per_image", [True, False])
def test_the_index_equals_top_examples_for_every_unit(untrained, photos, tmp_path, per_image):
    out = tmp_path / "index"
    # chunks of 5 in batches of 3: the chunks cut the batches of a single sweep differently
    run = build_index(untrained, photos, out, LAYERS, k=4, per_image=per_image, batch_size=3, chunk=5)
    assert (run.files, run.images, [Path(p).name for p, _ in run.skipped]) == (12, 11, ["broken.jpg"])
    index = Index(out)
    assert index.layers == LAYERS and index.images == 11 and index.skipped() == run.skipped
    for layer in LAYERS:
        found = top_examples(untrained, photos, layer, k=4, per_image=per_image, batch_size=3,
                             cache=DiskCache("t", enabled=False))
        for channel in range(found.channels):
            ours, theirs = index.examples(layer, channel), found.examples(channel)
            assert [(e.source, e.position, e.box) for e in ours] == [(e.source, e.position, e.box) for e in theirs]
            assert [e.value for e in ours] == pytest.approx([e.value for e in theirs], rel=1e-5, abs=1e-7)
        if per_image:
            assert all(len({e.source for e in index.examples(layer, c)}) == 4 for c in range(found.channels))


def test_statistics_equal_the_unit_cards_live_ones(untrained, tmp_path):
    folder = make_photos(tmp_path / "clean", 7, seed=1)
    build_index(untrained, folder, tmp_path / "index", ["_blocks.4"], batch_size=4, chunk=4)
    index = Index(tmp_path / "index")
    for channel in (0, 17, 39):
        ours = index.statistics("_blocks.4", channel)
        live = unit_card.statistics(untrained, str(folder), "_blocks.4", channel)
        table = ours.table()
        assert table["images"] == live["images"] == 7
        for key in ("strongest activation", "mean activation", "share of positions active (> 0)"):
            assert table[key] == pytest.approx(live[key], rel=1e-3, abs=1e-4), key
        # per-image maxima are kept as float16: 3 significant digits
        assert table["median of per-image maxima"] == pytest.approx(live["median of per-image maxima"], rel=2e-3)
        assert sum(ours.histogram) == 7 and ours.edges[0] <= ours.edges[-1] == pytest.approx(ours.max, rel=1e-3)


def test_an_interrupted_index_continues_and_ends_equal_to_an_uninterrupted_one(untrained, photos, tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    build_index(untrained, photos, whole, LAYERS, batch_size=2, chunk=4, workers=3)  # decoding in parallel too
    calls = []

    def stop_in_the_second_chunk(done, total):
        calls.append(done)
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(untrained, photos, broken, LAYERS, batch_size=2, chunk=4, progress=stop_in_the_second_chunk)
    assert not (broken / "index.json").exists()  # nothing half-done is offered as an index
    assert len(list(broken.glob("parts/*/chunk-*.npz"))) == 1
    run = build_index(untrained, photos, broken, LAYERS, batch_size=2, chunk=4)
    assert (run.resumed, run.computed) == (4, 8)
    assert not (broken / "parts").exists()
    a, b = arrays(whole), arrays(broken)
    assert list(a) == list(b) and all(np.array_equal(a[name], b[name], equal_nan=True) for name in a)
    again = build_index(untrained, photos, broken, LAYERS, batch_size=2, chunk=4)
    assert again.up_to_date and again.computed == 0


@pytest.mark.slow
def test_a_killed_index_run_continues_from_its_saved_chunks_and_ends_equal_to_an_uninterrupted_one(
        untrained, tmp_path, capsys):
    """Compared at one thread count on purpose: the killed run computes on 1 thread, the resumed one is started on
    2 and must take the recorded 1 (CPU sums differ in their last bits between counts), and the uninterrupted
    reference runs on 1. So the test means the same whatever OMP_NUM_THREADS the suite runs under."""
    folder = make_photos(tmp_path / "photos", 30, seed=2)
    out = tmp_path / "killed"
    # chunks of 3 images, one image per batch: ten chunks, so the run is caught between its first and its last
    args = ["index", str(folder), "--out", str(out), "--layers", "_blocks.4", "--weights", "none", "--device", "cpu",
            "--batch-size", "1", "--chunk", "3"]
    with open(tmp_path / "stderr.txt", "w") as err:
        job = subprocess.Popen([sys.executable, "-m", "viz", *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
        try:
            deadline = time.monotonic() + 240  # the child's start (importing torch) takes seconds on a busy machine
            while not list(out.glob("parts/*/chunk-*.npz")):
                assert job.poll() is None, (tmp_path / "stderr.txt").read_text()[-2000:]
                assert time.monotonic() < deadline, "no chunk saved in 240 s"
                time.sleep(0.01)
        finally:
            job.send_signal(signal.SIGKILL)  # no handler runs, no `finally`: the process just stops
            job.wait(timeout=60)
    assert job.returncode == -signal.SIGKILL
    assert not (out / "index.json").exists()  # nothing half-done is offered as an index
    saved = len(list(out.glob("parts/*/chunk-*.npz")))
    assert 1 <= saved < 10
    with torch_threads(2):
        assert main(args) == 0  # the same command again, in a process with another thread count
    said = capsys.readouterr().out
    assert "resumed at the torch thread count its saved chunks were computed at (1; this process has 2)" in said
    assert "indexed 30 images of 30 files (_blocks.4) in " in said
    assert f", {3 * saved} found done by an earlier run -> {out}" in said
    assert not (out / "parts").exists()  # the saved chunks (and a temporary file the kill left) are gone
    assert json.loads((out / "index.json").read_text())["built"]["threads"] == 1
    whole = tmp_path / "whole"
    with torch_threads(1):
        build_index(untrained, folder, whole, ["_blocks.4"], batch_size=1, chunk=3)
    a, b = arrays(whole), arrays(out)
    assert len(a) == 8 and list(a) == list(b) and all(np.array_equal(a[name], b[name], equal_nan=True) for name in a)
    assert (whole / "sources.json").read_text() == (out / "sources.json").read_text()


def test_saved_chunks_of_another_device_or_of_no_recorded_arithmetic_are_dropped_with_a_line(untrained, tmp_path):
    folder, out = make_photos(tmp_path / "photos", 6), tmp_path / "index"

    def stop(done, total):
        if done >= 4:
            raise KeyboardInterrupt

    for record, why in (('{"device": "cuda", "threads": null}', "were computed on cuda, this run is on cpu"),
                        (None, "do not say what thread count computed them")):
        shutil.rmtree(out, ignore_errors=True)
        with pytest.raises(KeyboardInterrupt):
            build_index(untrained, folder, out, ["_blocks.1"], batch_size=2, chunk=2, progress=stop)
        (work,) = out.glob("parts/*")
        assert json.loads((work / "arithmetic.json").read_text()) == {"device": "cpu",
                                                                      "threads": torch.get_num_threads()}
        if record is None:
            (work / "arithmetic.json").unlink()  # as an index started before the record existed
        else:
            (work / "arithmetic.json").write_text(record)
        run = build_index(untrained, folder, out, ["_blocks.1"], batch_size=2, chunk=2)
        assert (run.resumed, run.computed, run.note) == (0, 6, f"started afresh, dropping 1 saved chunk(s): they {why}")


def test_a_damaged_part_is_computed_again_never_trusted(untrained, photos, tmp_path):
    whole, out = tmp_path / "whole", tmp_path / "out"
    build_index(untrained, photos, whole, LAYERS, batch_size=2, chunk=4)

    def stop(done, total):
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(untrained, photos, out, LAYERS, batch_size=2, chunk=4, progress=stop)
    (part,) = out.glob("parts/*/chunk-*.npz")
    data = part.read_bytes()
    part.write_bytes(data[:len(data) // 2])  # what a writer killed halfway, or a full disk, would leave
    run = build_index(untrained, photos, out, LAYERS, batch_size=2, chunk=4)
    assert (run.resumed, run.computed) == (0, 12)
    a, b = arrays(whole), arrays(out)
    assert list(a) == list(b) and all(np.array_equal(a[name], b[name], equal_nan=True) for name in a)


def test_changed_content_or_rule_starts_a_new_index_never_a_mixed_one(untrained, tmp_path):
    folder, out = make_photos(tmp_path / "photos", 6), tmp_path / "index"

    def stop(done, total):
        if done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(untrained, folder, out, ["_blocks.1"], batch_size=2, chunk=2, progress=stop)
    stale = list(out.glob("parts/*/chunk-*.npz"))
    assert len(stale) == 1
    make_photos(tmp_path / "photos", 7)  # one more photo, the others rewritten
    run = build_index(untrained, folder, out, ["_blocks.1"], batch_size=2, chunk=2)
    assert (run.resumed, run.computed, run.images) == (0, 7, 7) and not stale[0].exists()
    run = build_index(untrained, folder, out, ["_blocks.1"], k=3, batch_size=2, chunk=2)
    assert (run.resumed, run.computed) == (0, 7) and Index(out).k == 3


def test_bad_folders_and_foreign_files_each_give_one_clear_error(untrained, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no images in"):
        build_index(untrained, tmp_path / "empty", tmp_path / "out", ["_blocks.1"])
    only_broken = tmp_path / "broken"
    only_broken.mkdir()
    (only_broken / "x.png").write_bytes(b"garbage")
    with pytest.raises(UserError, match="none of the 1 files could be read"):
        build_index(untrained, only_broken, tmp_path / "out", ["_blocks.1"])
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("a user's file")
    with pytest.raises(UserError, match="not part of an index.*thesis.tex"):
        build_index(untrained, make_photos(tmp_path / "photos", 2), mine, ["_blocks.1"])
    with pytest.raises(UserError, match="holds no index"):
        Index(mine)


def test_a_corrupt_or_foreign_index_file_is_a_user_error(untrained, tmp_path):
    out = tmp_path / "index"
    build_index(untrained, make_photos(tmp_path / "photos", 3), out, ["_blocks.1"])
    Index(out).examples("_blocks.1", 0)
    values = out / "layers" / "_blocks.1" / "values.npy"
    values.write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(UserError, match="values.npy is not a NumPy array"):
        Index(out).examples("_blocks.1", 0)
    np.save(values, np.zeros((3, 3), dtype=np.float32))
    with pytest.raises(UserError, match=r"shape \(3, 3\).*\(24, 9\)"):
        Index(out).examples("_blocks.1", 0)
    np.save(values, np.array([{"a": 1}] * 216, dtype=object).reshape(24, 9), allow_pickle=True)
    with pytest.raises(UserError, match="values.npy is not a NumPy array"):  # pickles are never loaded
        Index(out).examples("_blocks.1", 0)
    header = json.loads((out / "index.json").read_text())
    (out / "index.json").write_text(json.dumps({**header, "layers": {"../../elsewhere": {}}}))
    with pytest.raises(UserError, match="not a module name"):
        Index(out)
    (out / "index.json").write_text(json.dumps({"name": "someone else's"}))
    with pytest.raises(UserError, match="is not a viz index"):
        Index(out)
    (out / "index.json").write_text("{ not json")
    with pytest.raises(UserError, match="not a readable index file"):
        Index(out)


def test_the_app_finds_indexes_and_knows_what_they_cover(untrained, lite0, tmp_path):
    build_index(untrained, make_photos(tmp_path / "photos", 2), tmp_path / "root" / "mine", ["_blocks.1"])
    (tmp_path / "root" / "junk").mkdir()
    (tmp_path / "root" / "junk" / "index.json").write_text("[]")
    found = find_indexes(tmp_path / "root")
    assert list(found) == ["mine"]
    assert found["mine"].covers(untrained, "_blocks.1") and not found["mine"].covers(untrained, "_blocks.4")
    assert not found["mine"].covers(lite0, "_blocks.1")  # other weights
    assert "the 2 images of" in found["mine"].describe()


@pytest.mark.slow
def test_torchrun_with_two_cpu_processes_gives_the_one_process_index(photos, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    args = ["index", str(photos), "--weights", "none", "--layers", ",".join(LAYERS), "--device", "cpu",
            "--batch-size", "2", "--chunk", "3"]
    single = [sys.executable, "-m", "viz"]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "viz"]
    # Both at one torch thread per process on purpose (torchrun's own default for several processes), so the
    # comparison is of the sharding alone: examples exactly, values within the 1e-6 that docs/index.md states.
    for command, out in ((single, one), (launcher, two)):
        run = subprocess.run([*command, *args, "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                             timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads((two / "index.json").read_text())["built"]["processes"] == 2
    a, b = arrays(one), arrays(two)
    assert list(a) == list(b) == [f"layers/{layer}/{name}.npy" for layer in LAYERS for name in
                                  ("active", "edges", "histogram", "images", "maxima", "mean", "positions", "values")]
    for name in a:
        if name.endswith(("images.npy", "positions.npy", "histogram.npy")):
            assert np.array_equal(a[name], b[name]), name
        else:
            np.testing.assert_allclose(a[name], b[name], rtol=1e-6, atol=1e-9, err_msg=name)
    assert (one / "sources.json").read_text() == (two / "sources.json").read_text()
