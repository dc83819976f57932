"""The folders a browser may make the server read: inside $VIZ_IMAGE_ROOTS only, resolved, one message for all."""

from __future__ import annotations

import os

import pytest

from viz.core.images import gallery_dir
from viz.serving.roots import ENV, REFUSED, FolderRefused, allowed_roots, inside_roots, resolve_inside_roots


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A root `allowed` (with a subfolder and a link out) beside a `private` folder; only `allowed` is a root."""
    allowed, private = tmp_path / "allowed", tmp_path / "private"
    (allowed / "sub").mkdir(parents=True)
    private.mkdir()
    (private / "secret.png").write_bytes(b"not shown")
    (allowed / "out").symlink_to(private, target_is_directory=True)
    (allowed / "secret.png").symlink_to(private / "secret.png")
    monkeypatch.setenv(ENV, str(allowed))
    return allowed, private


def _refusal(path) -> str:
    with pytest.raises(FolderRefused) as caught:
        resolve_inside_roots(path)
    return str(caught.value)


def test_the_default_root_is_the_bundled_gallery_only(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    assert allowed_roots() == [gallery_dir().resolve()]
    assert resolve_inside_roots(gallery_dir()) == gallery_dir().resolve()
    assert _refusal(gallery_dir().parent) == REFUSED  # assets/, the gallery's parent
    monkeypatch.setenv(ENV, os.pathsep)  # only empty entries: still the default
    assert allowed_roots() == [gallery_dir().resolve()]


def test_several_roots_separated_by_pathsep(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    monkeypatch.setenv(ENV, f"{first}{os.pathsep}{os.pathsep}{second}")
    assert allowed_roots() == [first.resolve(), second.resolve()]
    assert resolve_inside_roots(second) == second.resolve()
    assert _refusal(gallery_dir()) == REFUSED  # once roots are set, the gallery is not among them


def test_a_folder_inside_a_root_is_accepted_resolved(tree):
    allowed, _ = tree
    assert resolve_inside_roots(allowed) == allowed.resolve()
    assert resolve_inside_roots(allowed / "sub" / ".." / "sub") == (allowed / "sub").resolve()


def test_dotdot_and_a_symlink_out_of_the_root_are_refused(tree):
    allowed, private = tree
    assert private.is_dir() and (allowed / "out").is_dir()  # both exist: refused for where they lead
    assert _refusal(allowed / ".." / "private") == REFUSED
    assert _refusal(allowed / "out") == REFUSED
    assert not inside_roots(allowed / "secret.png")  # a file linked from inside the root to outside
    assert inside_roots(allowed / "sub")


def test_a_missing_folder_and_a_forbidden_one_get_the_same_message_naming_no_path(tree):
    allowed, private = tree
    messages = {_refusal(p) for p in (private, allowed / "missing", private / "missing", "/", "",
                                      allowed / "secret.png", "bad\0name")}
    assert messages == {REFUSED}
    assert ENV in REFUSED and str(allowed) not in REFUSED and "private" not in REFUSED


def test_tilde_is_the_servers_home_resolved_before_the_check(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "photos").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv(ENV, "~/photos")
    assert allowed_roots() == [(home / "photos").resolve()]
    assert resolve_inside_roots("~/photos") == (home / "photos").resolve()
    assert _refusal("~") == REFUSED


def test_an_explicit_list_of_roots_serves_other_folders_such_as_an_index(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    index = tmp_path / "index"
    index.mkdir()
    assert resolve_inside_roots(index, roots=[tmp_path]) == index.resolve()
    assert _refusal(index) == REFUSED  # not under the default roots
