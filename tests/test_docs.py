"""README stays a short door into the project, and what it and docs/ point at exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)


def _rendered(page: Path) -> str:
    """The page's text without HTML comments (notes for whoever edits it, not shown)."""
    return re.sub(r"<!--.*?-->", "", page.read_text(), flags=re.DOTALL)


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE):
        slug = _slug(heading)
        anchors.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def test_readme_is_under_15_kb():
    assert README.stat().st_size < 15_000


def test_the_quick_start_shows_make_run_and_make_test():
    commands = re.findall(r"^make (\w+)", _section(README.read_text(), "Quick start"), re.MULTILINE)
    assert commands[:2] == ["run", "test"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_image_exists(page):
    text = re.sub(r"^```.*?^```", "", _rendered(page), flags=re.MULTILINE | re.DOTALL)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(target)
    assert broken == []


def test_the_cli_table_lists_exactly_the_commands():
    from viz.cli import build_parser

    parser = build_parser()
    commands = set(next(a for a in parser._actions if a.dest == "command").choices)
    table = _section(README.read_text(), "Command line")
    listed = set(re.findall(r"^\| `(\w+)", table, re.MULTILINE))
    assert listed == commands


def test_the_readme_command_examples_parse():
    from viz.cli import build_parser

    parser = build_parser()
    lines = re.findall(r"^python -m viz (.+)$", README.read_text(), re.MULTILINE)
    assert lines
    for line in lines:
        parser.parse_args(shlex.split(line.split("#")[0]))


def test_the_benchmark_commands_name_existing_scripts():
    scripts = re.findall(r"python (benchmarks/\w+\.py)", _section(README.read_text(), "Benchmarks"))
    assert scripts and all((ROOT / s).exists() for s in scripts)


def test_the_python_example_uses_public_names():
    import models
    import viz

    code = "".join(re.findall(r"^```python\n(.*?)^```", _section(README.read_text(), "Python API"),
                              re.MULTILINE | re.DOTALL))
    used = re.findall(r"\b(viz|models)\.(\w+)", code)
    assert used
    public = {"viz": set(viz.__all__), "models": set(models.__all__)}
    assert [f"{m}.{n}" for m, n in used if n not in public[m]] == []


PATH_IN_TEXT = re.compile(r"(?<![\w./~-])((?:viz|models|ui|tests|benchmarks|assets|docs)/[\w./*<>-]*[\w*>]|app\.py|Makefile)")
MADE_BY_RUNS = {"benchmarks/.deps"}  # written by `make bench-actmax`, not kept in the repository
DOTTED = re.compile(r"`((?:viz|models)(?:\.\w+)+)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_named_exists(page):
    """Paths written in the text (viz/core/hooks.py, tests/support/, ...) follow the layout."""
    names = {p for p in PATH_IN_TEXT.findall(_rendered(page)) if "*" not in p and "<" not in p}
    assert sorted(p for p in names - MADE_BY_RUNS if not (ROOT / p).exists()) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_dotted_name_resolves(page):
    """`viz.views.hierarchy`, `viz.metrics.judge`, ...: a module, or a name in one."""
    import importlib

    def resolves(dotted: str) -> bool:
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for name in parts[cut:]:
                if not hasattr(found, name):
                    return False
                found = getattr(found, name)
            return True
        return False

    assert sorted(d for d in set(DOTTED.findall(_rendered(page))) if not resolves(d)) == []
