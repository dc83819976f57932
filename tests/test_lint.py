"""Static check of our own Python files: undefined names, unused imports and the like fail the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["viz", "models", "ui", "app.py", "tests", *sorted(str(p) for p in (ROOT / "benchmarks").glob("*.py"))]


def test_pyflakes_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "pyflakes", *CHECKED], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
