"""Static check of our own Python files: undefined names, unused imports and the like fail the suite."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
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


UI_FILES = sorted((ROOT / "ui").rglob("*.py")) + [ROOT / "app.py"]
# Tensor (and array) work a page could do without importing torch, on a tensor the engine handed it: reshaping,
# dtype and device moves, reductions, maths. The app asks viz for finished values (floats, pictures, figures).
TENSOR_WORK = re.compile(
    r"\b(torch|F|np|numpy|nn)\.\w|\b(import|from)\s+(torch|numpy)\b"  # the libraries (F: torch.nn.functional)
    r"|\.(permute|view|reshape|flatten|squeeze|unsqueeze|transpose|expand|repeat|contiguous|clone)\("
    r"|\.(float|double|half|bfloat16|int|long|bool|numpy|detach|cpu|cuda|item|tolist)\(\)"
    r"|\.(to|clamp|clip|interpolate)\("
    r"|\.(mean|sum|std|var|min|max|amin|amax|argmin|argmax|argsort|topk|softmax|norm|abs|median|prod)\("
)


def _code(source: str) -> dict[int, str]:
    """Each line's code: comments dropped, strings emptied, but an f-string's fields kept (they are code)."""
    lines, last = {}, (0, 0)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
        text = token.string
        if token.type == tokenize.STRING:
            prefix = re.match(r"[A-Za-z]*", text).group().lower()
            text = "".join(f"{{{field}}}" for field in re.findall(r"(?<!{){([^{}]+)}", text)) if "f" in prefix else '""'
        gap = " " * (token.start[1] - last[1]) if token.start[0] == last[0] else ""
        lines[token.start[0]] = lines.get(token.start[0], "") + gap + text
        last = token.end
    return lines


def _tensor_work(source: str) -> list[str]:
    """The lines of `source` whose code does tensor work."""
    code = _code(source)
    lines = source.splitlines()
    return [f"{n}: {lines[n - 1].strip()}" for n, line in sorted(code.items()) if TENSOR_WORK.search(line)]


def test_the_lint_sees_tensor_work_without_an_import_of_torch():
    assert _tensor_work("x = maps.probability.min()") and _tensor_work("big = F.interpolate(m, size=8)")
    assert _tensor_work("a = image.permute(1, 2, 0).numpy()") and _tensor_work("p = float(t.mean(dim=1))")
    assert _tensor_work("y = x.float()") and _tensor_work("z = torch.zeros(3)") and _tensor_work("import torch")
    assert _tensor_work('st.write(f"between {float(result.probability.min()):.2f} and")')
    assert not _tensor_work("st.write('the mean(s) .float() of it')  # .numpy()")
    assert not _tensor_work("index = min(3, len(layers)); names.index(name); text.format(label=x)")


def test_pages_do_no_tensor_work():
    """No torch in the app: not imported, and no tensor methods on what the engine returns."""
    found = {str(p.relative_to(ROOT)): _tensor_work(p.read_text()) for p in UI_FILES}
    assert {path: lines for path, lines in found.items() if lines} == {}


METHODS = ("actmax", "zf", "probing", "optim", "circuits")
LAYERS_BELOW = {  # what each package of the engine may import from viz (docs/architecture.md's layers, data flowing one way)
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
