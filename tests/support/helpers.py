"""Small helpers shared by several test files."""

import re
import zlib
from pathlib import Path

import torch
from torch import nn

from viz.core.images import to_pil

APP_STEPS = {"VIZ_MAX_STEPS": "4"}  # the app tests' environment: a few steps per render (none judges quality)


def count_hooks(net: nn.Module) -> int:
    """Every forward/backward hook on every module of `net`."""
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) + len(m._backward_pre_hooks)
        for m in net.modules()
    )


def svg_text(data: bytes) -> list[str]:
    """The text lines of a matplotlib SVG: it draws glyphs as paths and writes each line as a comment."""
    return re.findall(r"<!-- (.*?) -->", data.decode("utf-8"))


def pdf_text(data: bytes) -> list[str]:
    """The text lines of a matplotlib PDF: each BT..ET object's (string) pieces, streams inflated."""
    lines = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue  # an image or a font program, not page content
        for block in re.findall(rb"BT(.*?)ET", content, re.S):
            pieces = re.findall(rb"\(((?:\\.|[^\\)])*)\)", block)
            lines.append(b"".join(re.sub(rb"\\(.)", rb"\1", p) for p in pieces).decode("latin-1"))
    return lines


def make_photos(folder: Path, count: int, seed: int = 0) -> Path:
    """`count` small smooth random photos in two subfolders (an index searches recursively)."""
    generator = torch.Generator().manual_seed(seed)
    for i in range(count):
        coarse = torch.rand(1, 3, 6, 6, generator=generator)
        image = torch.nn.functional.interpolate(coarse, size=(40, 48), mode="bilinear", align_corners=False)[0]
        where = folder / ("sub" if i % 3 == 0 else "") / f"photo{i:02d}.png"
        where.parent.mkdir(parents=True, exist_ok=True)
        to_pil(image).save(where)
    return folder
