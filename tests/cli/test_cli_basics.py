"""`python -m viz`: commands work offline, errors are one line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models.errors import UserError
from viz.cli import main
from viz.cli.options import parse_channels
from viz.core.images import gallery_dir

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "viz", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("models", "layers", "classify", "fetch"):
        assert command in result.stdout


def test_models_says_which_weights_are_offline(capsys):
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("efficientnet_lite0") and "offline-ready" in lines[0]
    alexnet = next(line for line in lines if line.startswith("alexnet"))
    assert "python -m viz fetch alexnet" in alexnet


def test_layers_shows_names_tiers_channels(capsys):
    assert main(["layers", "efficientnet_lite0"]) == 0
    out = capsys.readouterr().out
    assert "_relu0           edges     32" in out and "_fc              objects   1000" in out


@pytest.mark.slow
def test_classify_a_sample_photo():
    result = run_cli("classify", str(gallery_dir() / "chelsea.png"), "--top", "3", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[0].endswith("Egyptian cat")


@pytest.mark.parametrize(
    "args, message",
    [
        (["classify", "missing.png"], "missing.png does not exist"),
        (["classify", str(gallery_dir() / "coffee.png"), "--model", "lenet"], "unknown model 'lenet'"),
        (["classify", str(gallery_dir() / "coffee.png"), "--top", "0"], "--top must be a whole number 1-1000, not 0"),
        (["classify", str(gallery_dir() / "coffee.png"), "--device", "tpu"], "unknown device"),
        (["layers", "vgg99"], "known models"),
    ],
)
def test_errors_are_one_line_on_stderr_with_exit_2(capsys, args, message):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


@pytest.mark.slow
def test_debug_shows_the_traceback():
    result = run_cli("--debug", "classify", "missing.png")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_channel_ranges():
    assert parse_channels("0-3,7,2") == [0, 1, 2, 3, 7]
    with pytest.raises(UserError, match="out of range"):
        parse_channels("30-33", limit=32)
    with pytest.raises(UserError, match="write e.g. 0-15"):
        parse_channels("a-b")


def test_user_error_is_a_value_error():
    assert issubclass(UserError, ValueError)


def _command_raising(monkeypatch, exc: BaseException):
    import viz.cli.basics as basics

    def fail(args):
        raise exc

    monkeypatch.setattr(basics, "_models", fail)


def test_a_file_error_on_a_user_path_is_one_line(monkeypatch, capsys):
    _command_raising(monkeypatch, PermissionError(13, "Permission denied", "/read-only/fig.png"))
    assert main(["models"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "/read-only/fig.png" in err and "Permission denied" in err


@pytest.mark.parametrize("bug", [ValueError("internal shape mismatch"), OSError("socket closed"), KeyError("x")])
def test_bugs_keep_their_traceback(monkeypatch, bug):
    """Only UserError and errors on a named path are the user's fault; anything else propagates."""
    _command_raising(monkeypatch, bug)
    with pytest.raises(type(bug)):
        main(["models"])
