"""The benchmark scripts run from the repository root as README shows, without PYTHONPATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_topk_sweep_runs_from_the_root_without_pythonpath(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    tiny = ["--images", "2", "--batch-size", "2", "--repeats", "1", "--layers", "_relu0", "--device", "cpu"]
    result = subprocess.run([sys.executable, "benchmarks/topk_sweep.py", *tiny], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "efficientnet_lite0 on cpu" in result.stdout
    assert re.search(r"^_relu0\s+\d+\.\d \(", result.stdout, re.M), result.stdout
