"""`python -m viz`: the command line. Each command lives in a module of this package with a `register`.

Errors caused by input (`UserError`, and file-system errors on a path the user named) reach the user as one
line on stderr and exit status 2; `--debug` shows the traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys

from models import models_file_problems, use_models_files
from models.errors import UserError, first_line

from . import atlas, basics, circuit, hierarchy, index, invariance, optim, precompute, probe, render, zf
from .options import model_options

COMMAND_MODULES = (basics, render, zf, probe, invariance, hierarchy, circuit, atlas, index, precompute, optim)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m viz",
        description="See what the units of a trained CNN detect, layer by layer (Zeiler & Fergus 2014).",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = model_options()
    for module in COMMAND_MODULES:
        module.register(commands, parent)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    use_models_files(getattr(args, "models_file", []))
    for problem in models_file_problems():  # the other models still work
        print(f"warning: {problem}", file=sys.stderr)
    try:
        return args.run(args) or 0
    except (UserError, OSError) as exc:
        if args.debug or (isinstance(exc, OSError) and exc.filename is None):
            raise
        print(f"error: {first_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
