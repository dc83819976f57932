"""Options and argument parsing shared by several commands."""

from __future__ import annotations

import argparse
import contextlib
import sys

from models.errors import UserError
from viz.core.checks import check_channel


def add_models_file_option(parser: argparse.ArgumentParser) -> None:
    """--models-file F (repeatable): a Python file whose MODELS = {name: callable} adds models (as VIZ_MODELS does)."""
    parser.add_argument("--models-file", action="append", default=[], metavar="F",
                        help="a Python file defining MODELS = {name: callable} (docs/models.md); repeat for more")


def model_options() -> argparse.ArgumentParser:
    """--model, --weights, --device, --models-file: every command that loads a model takes these."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--model", default="efficientnet_lite0",
                        help="a model of `python -m viz models`, a models file's, or timm/NAME for any timm model")
    add_models_file_option(parent)
    parent.add_argument(
        "--weights", default="default", help='"default" (pretrained), "none" (untrained) or a state-dict file'
    )
    parent.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps")
    return parent


def add_figure_options(parser: argparse.ArgumentParser) -> None:
    """--out and --dpi for commands that write a figure (PNG, SVG or PDF by extension)."""
    parser.add_argument("--out", required=True, help="output file: .png, .svg or .pdf")
    parser.add_argument("--dpi", type=int, default=150, help="resolution of raster output (30-1200)")


def parse_channels(text: str, limit: int | None = None) -> list[int]:
    """"0-15", "3,7,9-11" -> channel indices; each checked against `limit` (the layer's channel count)."""
    channels: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(v) for v in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                channels.extend(range(lo, hi + 1))
            else:
                channels.append(int(part))
    except ValueError:
        raise UserError(f"cannot read channels {text!r}; write e.g. 0-15 or 3,7,9-11") from None
    if limit is not None:
        for channel in channels:
            check_channel(channel, limit)
    elif any(c < 0 for c in channels):
        raise UserError(f"cannot read channels {text!r}: channels are 0 or more")
    return list(dict.fromkeys(channels))


@contextlib.contextmanager
def progress_bar(description: str, unit: str):
    """A tqdm bar on stderr, and the engine's `progress(done, total)` callback that drives it.

    The bar appears at the first report, so an error found before any work is the only line on stderr.
    """
    from tqdm import tqdm

    bars = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False))
        bars[0].total = total
        bars[0].update(done - bars[0].n)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()
