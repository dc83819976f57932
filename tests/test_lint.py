"""Static check of our own Python files: undefined names, unused imports and the like fail the suite."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["viz", "models", "ui", "app.py", "tests", *sorted(str(p) for p in (ROOT / "benchmarks").glob("*.py"))]


def test_pyflakes_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "pyflakes", *CHECKED], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(folder: str, pattern: str) -> list[str]:
    regex = re.compile(pattern, re.MULTILINE)
    return [str(p.relative_to(ROOT)) for p in sorted((ROOT / folder).rglob("*.py")) if regex.search(p.read_text())]


def test_the_engine_imports_neither_streamlit_nor_pyplot():
    """viz/ is a library: no UI, and no pyplot (its global figure registry leaks in a long-running server)."""
    assert _imports("viz", r"^\s*(import|from)\s+streamlit") == []
    assert _imports("viz", r"matplotlib\.pyplot|from matplotlib import pyplot|matplotlib\.use\(") == []


def test_pages_do_no_tensor_work():
    assert _imports("ui", r"^\s*(import|from)\s+torch") == []
    assert not re.search(r"^\s*(import|from)\s+torch", (ROOT / "app.py").read_text(), re.MULTILINE)


METHODS = ("actmax", "zf", "probe", "optim", "circuits")
LAYERS_BELOW = {  # what each package of the engine may import from viz (DESIGN.md's layers, data flowing one way)
    "core": (),
    "serving": ("core",),
    **{method: ("core", "serving") for method in METHODS},
    "metrics": ("core", "serving", *METHODS),
    "views": ("core", "serving", *METHODS),
    "jobs": ("core", "serving", *METHODS, "views"),
}


def _viz_imports(path: Path) -> set[str]:
    """The viz packages a module imports, relative imports resolved."""
    package = path.relative_to(ROOT).parts[:-1]
    found = set()
    for dots, name in re.findall(r"^\s*from\s+(\.*)([\w.]*)\s+import", path.read_text(), re.MULTILINE):
        parts = list(package[: len(package) - len(dots) + 1]) + name.split(".") if dots else name.split(".")
        parts = [p for p in parts if p]
        if parts[:1] == ["viz"] and len(parts) > 1:
            found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(LAYERS_BELOW))
def test_engine_packages_import_only_the_layers_below(package):
    allowed = {package, *LAYERS_BELOW[package]}
    wrong = {str(p.relative_to(ROOT)): sorted(_viz_imports(p) - allowed)
             for p in sorted((ROOT / "viz" / package).rglob("*.py"))}
    assert {path: names for path, names in wrong.items() if names} == {}
