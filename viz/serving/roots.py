"""The app's only door to the server's disk: a folder typed in a browser is read only inside the allowed roots.

Whoever opens the app's page types paths of the *server's* disk, not of their own machine; served to a class,
any student could otherwise page through the teacher's files. So a folder the app reads because a browser
named it (an image set, a dataset index) must lie inside one of `allowed_roots()`: the folders listed in
$VIZ_IMAGE_ROOTS (separated by `os.pathsep`), by default the bundled gallery only. Paths are resolved before
the check (`~`, `..`, symlinks), so a link inside a root that points out of it is refused. A refusal is one
message, the same whether the folder is missing or forbidden, and it names no path: a page never tells what
exists on the disk. The CLI and the Python API run as the user's own process and take any path; only the app
calls this.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from models.errors import UserError

from ..core.images import gallery_dir

ENV = "VIZ_IMAGE_ROOTS"
REFUSED = (
    "The app cannot open that folder. It reads only folders inside the ones allowed by the person running the "
    f"server: they list them in the environment variable {ENV} (separated by '{os.pathsep}') before starting "
    f"the app, e.g. `{ENV}=~/photos make run`; by default only the bundled gallery."
)


class FolderRefused(UserError):
    """A folder typed in the app that is not an existing folder inside the allowed roots (one message for all)."""


def _resolve(path: str | os.PathLike) -> Path:
    """`~` expanded, then made absolute with every `..` and symlink followed (the folder that would be read)."""
    return Path(os.path.expanduser(os.fspath(path))).resolve()


def allowed_roots() -> list[Path]:
    """The resolved folders of $VIZ_IMAGE_ROOTS (empty entries ignored); the bundled gallery when none is set."""
    entries = [entry for entry in os.environ.get(ENV, "").split(os.pathsep) if entry.strip()]
    return [_resolve(entry) for entry in entries] or [gallery_dir().resolve()]


def inside_roots(path: str | os.PathLike, roots: Sequence[str | os.PathLike] | None = None) -> bool:
    """True when `path`, resolved, is one of `roots` (default `allowed_roots()`) or lies under one.

    Use it on each file found under an accepted folder too: a file there may be a symlink to elsewhere.
    """
    try:
        resolved = _resolve(path)
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name the OS rejects (a NUL byte)
        return False
    bases = allowed_roots() if roots is None else [_resolve(root) for root in roots]
    return any(resolved.is_relative_to(base) for base in bases)


def resolve_inside_roots(path: str | os.PathLike, roots: Sequence[str | os.PathLike] | None = None) -> Path:
    """The folder `path` names, resolved, if it exists inside `roots` (default `allowed_roots()`).

    Raises FolderRefused with the same message whether the folder is missing, is a file, or lies outside.
    """
    if str(path).strip() and inside_roots(path, roots):
        resolved = _resolve(path)
        if resolved.is_dir():
            return resolved
    raise FolderRefused(REFUSED)
