"""The benchmark scripts run from the repository root as README shows, without PYTHONPATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_topk_sweep_runs_from_the_root_without_pythonpath(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    tiny = ["--images", "2", "--batch-size", "2", "--repeats", "1", "--layers", "_relu0", "--device", "cpu"]
    result = subprocess.run([sys.executable, "benchmarks/topk_sweep.py", *tiny], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "efficientnet_lite0 on cpu" in result.stdout
    assert re.search(r"^_relu0\s+\d+\.\d \(", result.stdout, re.M), result.stdout


@pytest.mark.slow
def test_projection_agreement_prints_raw_and_shown_medians_side_by_side():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    tiny = ["--units", "1", "--photos", "1"]
    result = subprocess.run([sys.executable, "benchmarks/projection_agreement.py", *tiny], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "efficientnet_lite0 on cpu" in result.stdout and "display=magnitude" in result.stdout
    number = r"\s+(-?\d\.\d{3})"
    top9 = re.search(r"^Top-9 default view \(_blocks\.2\)\s+(\d+)" + number * 2, result.stdout, re.M)
    landing = re.search(r"^landing low tiers \((_blocks\.\d+, )*_blocks\.\d+\)\s+6" + number * 2, result.stdout, re.M)
    assert top9 and int(top9.group(1)) >= 1 and landing, result.stdout  # 3 edges + 3 contours units of one photo


@pytest.mark.slow
def test_protocol_sessions_fetch_every_picture_and_see_exceptions(tmp_path):
    """Two sessions speak Streamlit's protocol to a served page that shows two pictures and then fails: each
    fetches both pictures and reports the exception (a page that fails counts as failed, not as fast)."""
    script = tmp_path / "page.py"
    script.write_text('import streamlit as st\nfrom PIL import Image\nst.image(Image.new("RGB", (64, 64), "teal"))\n'
                      'st.image(Image.new("RGB", (32, 32), "red"))\nraise ValueError("the page failed")\n')
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "benchmarks/sessions_protocol.py", "--script", str(script), "--pages", "",
                             "--sessions", "1,2", "--timeout", "15", "--no-warm"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for n in (1, 2):
        line = re.search(rf"^\s+cold N={n} .*\((\d+) KB in (\d+) pictures\).* failed (\d+)$", result.stdout, re.M)
        assert line and line.group(2) == "2" and int(line.group(3)) == n, result.stdout
    assert len(re.findall(r"^\s+failed: \S", result.stdout, re.M)) == 3, result.stdout  # each session's exception


@pytest.mark.slow
def test_render_step_prints_the_step_beside_the_networks_own_forward_backward():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    tiny = ["--layer", "_blocks.1", "--units", "2", "--size", "32", "--steps", "1", "--repeats", "1", "--threads", "1"]
    result = subprocess.run([sys.executable, "benchmarks/render_step.py", *tiny], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    own = re.search(r"^network's own forward\+backward on \(2, 3, (\d+), \1\).*: (\d+\.\d) ms", result.stdout, re.M)
    step = re.search(r"^render step: (\d+\.\d) ms = (\d+\.\d\d)x the network's own", result.stdout, re.M)
    assert own and step, result.stdout
    assert int(own.group(1)) == 161  # the window of Lite0's 224-px view: what the network sees, whatever the size
    ratio = float(step.group(2))  # printed ms are rounded to 0.1: allow for it
    assert abs(ratio - float(step.group(1)) / float(own.group(2))) <= 0.05 * ratio + 0.01
