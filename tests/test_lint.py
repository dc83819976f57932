"""Static checks of our own Python files: pyflakes (undefined names, unused imports), and the layering.

The layering rules: `viz/` imports neither Streamlit nor pyplot; the app does no tensor work; each package of the
engine imports only the layers below it (`LAYERS_BELOW`); a job or a CLI command imports a view only to run or
show that view, never for a helper, and only as `VIEWS_USED` lists (jobs: precompute alone, which warms the
views' caches); the dataset index's reader and writer import no view (the views read the index); no package
exports a name that hides one of its modules (`viz.probe` the function once hid the package of that name).
"""

from __future__ import annotations

import ast
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
    "jobs": ("core", "serving", *METHODS, "views"),  # views: only where VIEWS_USED allows (below)
}
# A job or a command may import a view only to run or show that view, never for a helper of it (a tier choice, a
# drawing, the index reader: those live in core, the methods or zf). The modules that do, and the views each
# runs: precompute warms the landing's caches (hierarchy, tour); each command imports the views whose result it
# prints or draws, and `figures`, where the views keep their figures. No other module of viz/jobs or viz/cli
# imports a view.
VIEWS_USED = {
    "viz/jobs/precompute.py": {"hierarchy", "tour"},
    "viz/cli/hierarchy.py": {"hierarchy", "evidence", "figures"},
    "viz/cli/circuit.py": {"unit_circuit", "figures"},
    "viz/cli/optim.py": {"evolution", "figures"},
}
READERS = ("viz/zf/index.py", "viz/jobs/index.py", "viz/jobs/index_store.py")  # the dataset index: views read it


def _imported(source: str, package: tuple[str, ...]) -> set[str]:
    """The dotted names a module's imports reach, relative imports resolved: for `from a.b import c`, both `a.b`
    and `a.b.c` (c may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _viz_imports(source: str, package: tuple[str, ...]) -> set[str]:
    """The viz packages a module imports."""
    return {name.split(".")[1] for name in _imported(source, package) if name.startswith("viz.")}


def _views_imported(source: str, package: tuple[str, ...]) -> set[str]:
    """The modules of viz.views a module imports (`hierarchy` for `from ..views.hierarchy import x`)."""
    return {name.split(".")[2] for name in _imported(source, package) if name.startswith("viz.views.")}


def _package(path: Path) -> tuple[str, ...]:
    return path.relative_to(ROOT).parts[:-1]


def _wrong_views(folder: str) -> dict[str, list[str]]:
    """{module: views it imports beyond VIEWS_USED} for the modules under `folder`."""
    wrong = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        name = str(path.relative_to(ROOT))
        extra = _views_imported(path.read_text(), _package(path)) - VIEWS_USED.get(name, set())
        if extra:
            wrong[name] = sorted(extra)
    return wrong


@pytest.mark.parametrize("package", sorted(LAYERS_BELOW))
def test_engine_packages_import_only_the_layers_below(package):
    allowed = {package, *LAYERS_BELOW[package]}
    wrong = {str(p.relative_to(ROOT)): sorted(_viz_imports(p.read_text(), _package(p)) - allowed)
             for p in sorted((ROOT / "viz" / package).rglob("*.py"))}
    assert {path: names for path, names in wrong.items() if names} == {}


@pytest.mark.parametrize("folder", ["viz/jobs", "viz/cli"])
def test_jobs_and_commands_import_a_view_only_to_run_or_show_it(folder):
    assert _wrong_views(folder) == {}


def test_the_index_reader_and_writer_import_no_view():
    """The index is read by views (evidence, tour, the Unit card): a view imported back would close a cycle."""
    found = {path: sorted(_views_imported((ROOT / path).read_text(), _package(ROOT / path))) for path in READERS}
    assert {path: views for path, views in found.items() if views} == {}


def test_the_import_lint_sees_a_view_imported_for_a_helper():
    jobs, cli = ("viz", "jobs"), ("viz", "cli")
    assert _views_imported("from ..views.hierarchy import choose_tiers", jobs) == {"hierarchy"}
    assert _views_imported("from ..views import (\n    evidence,\n    tour,\n)", jobs) == {"evidence", "tour"}
    assert _views_imported("import viz.views.unit_card as card", cli) == {"unit_card"}
    assert _views_imported("from viz.views.hierarchy import outline", cli) == {"hierarchy"}
    assert _views_imported("from viz.core.figures import outline\nfrom ..zf.index import Index", jobs) == set()
    assert _viz_imports("from ..views.hierarchy import x\nfrom . import atlas", jobs) == {"views", "jobs"}
    assert _viz_imports("import viz.probing.tiers", cli) == {"probing"}


def _hidden_modules(init_source: str, modules: set[str]) -> set[str]:
    """The names among `modules` that a package's `__init__` binds to something else (a function, a class)."""
    bound = set()
    for node in ast.walk(ast.parse(init_source)):
        if isinstance(node, ast.ImportFrom):
            bound.update(alias.asname or alias.name for alias in node.names
                         if not (node.level == 1 and node.module is None))  # `from . import m` binds the module
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.Assign):
            bound.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return bound & modules


def test_no_package_hides_one_of_its_modules_behind_a_name():
    found = {}
    for init in sorted((ROOT / "viz").rglob("__init__.py")):
        folder = init.parent
        modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"} | {
            p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
        hidden = _hidden_modules(init.read_text(), modules)
        if hidden:
            found[str(init.relative_to(ROOT))] = sorted(hidden)
    assert found == {}


def test_the_lint_sees_a_module_hidden_by_a_function():
    modules = {"rendering", "budget", "settings"}
    assert _hidden_modules("from .budget import ComputeBudget, budget", modules) == {"budget"}
    assert _hidden_modules("from .budget import process_budget as budget", modules) == {"budget"}
    assert _hidden_modules("from . import settings\nfrom .rendering import Rendering, render", modules) == set()
    assert _hidden_modules("def settings():\n    pass", modules) == {"settings"}
