"""Image input for every caller (CLI, app, folders): anything a user hands in becomes an RGB tensor in [0,1].

Accepted: a path, raw bytes, a binary file object (messages call it by its `name`, as an upload has one) or
a PIL image. Converted: grayscale, 16-bit and float images, palettes, RGBA/LA (composited on white), CMYK,
animations (first frame), EXIF rotation. Refused with one `ImageError` and a one-line message that names the
file and never shows a Python object: empty, truncated or non-image files and decompression bombs (the size
is read from the header, so a bomb is refused before its pixels are decoded).
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import UserError, first_line

from .checks import check_choice

MAX_PIXELS = 50_000_000  # larger images are refused: 50 MP decode to ~600 MB as float tensors
GREY = 0.5  # mid-grey in [0,1] image space, before normalization: the neutral pixel (a render's start, the
# occluder, pixels from outside a picture or a receptive field, the zero of a projection shown on its own)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
ACCEPTED = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WebP", "PPM/PGM")  # the formats of IMAGE_SUFFIXES, for messages


class ImageError(UserError, ValueError):
    """An input that cannot be read as a picture; the message is one line meant for the user."""


def _open(source) -> tuple[Image.Image, str]:
    if isinstance(source, Image.Image):
        return source, "image"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"{path} does not exist or is not a file")
        if path.stat().st_size == 0:
            raise ImageError(f"{path.name} is empty (0 bytes)")
        return Image.open(path), path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise ImageError("the uploaded file is empty (0 bytes)")
        return Image.open(io.BytesIO(bytes(source))), _name(source)
    if hasattr(source, "read"):  # an in-memory file (an upload) whole, whatever its position after an earlier read
        image, label = _open(source.getvalue() if hasattr(source, "getvalue") else source.read())
        return image, _name(source) if hasattr(source, "name") else label
    raise ImageError(f"cannot read an image from a {type(source).__name__}; give a path, bytes or a PIL image")


def _to_rgb_array(img: Image.Image) -> np.ndarray:
    """Any PIL mode -> float32 HxWx3 in [0,1]."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(img, dtype=np.float32)
        top = 65535.0 if img.mode.startswith("I;16") or a.max(initial=0) > 255 else 255.0
        a = np.clip(a / top, 0.0, 1.0)
        return np.repeat(a[..., None], 3, axis=2)
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    img = img.convert("RGB")
    return np.asarray(img, dtype=np.float32) / 255.0


def load_image(source, max_pixels: int = MAX_PIXELS) -> torch.Tensor:
    """Read `source` into a (3, H, W) float tensor in [0,1], or raise ImageError saying why not."""
    try:
        img, label = _open(source)
        width, height = img.size
        if width * height > max_pixels:
            raise ImageError(
                f"{label} is {width}x{height} = {width * height / 1e6:.0f} megapixels, over the "
                f"{max_pixels / 1e6:.0f} MP limit; downscale it first"
            )
        if width == 0 or height == 0:
            raise ImageError(f"{label} has no pixels ({width}x{height})")
        if getattr(img, "is_animated", False):
            img.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = ImageOps.exif_transpose(img)
            img.load()
        array = _to_rgb_array(img)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            f"{_name(source)} has more pixels than the {max_pixels / 1e6:.0f} megapixel limit "
            "(refused as a possible decompression bomb); downscale it first"
        ) from exc
    except UnidentifiedImageError as exc:  # PIL's own message is only "cannot identify image file <repr>"
        raise ImageError(f"{_name(source)} is not a readable image; accepted: {', '.join(ACCEPTED)}") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt data
        raise ImageError(f"{_name(source)} is damaged or truncated ({first_line(exc)})") from exc
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def _name(source) -> str:
    """What to call `source` in a message: a path's or a named file object's file name, else what it is."""
    name = getattr(source, "name", source)
    if isinstance(name, (str, os.PathLike)):
        return Path(name).name
    return "the uploaded file" if isinstance(source, (bytes, bytearray, memoryview)) else "the image"


FIT_MODES = ("squash", "crop")


def fit_square(image: torch.Tensor, size: int, mode: str = "squash") -> torch.Tensor:
    """Make a (3, size, size) network input from a (3, H, W) image.

    "squash" resizes the whole picture (nothing the user gave is cut off; the embedded model's reference
    predictions on the gallery photos were checked this way); "crop" resizes the shorter side and keeps the centre square (ImageNet style).
    """
    check_choice(mode, FIT_MODES, "fit mode")
    _, h, w = image.shape
    if mode == "squash":
        new_h, new_w = size, size
    else:
        scale = size / min(h, w)
        new_h, new_w = max(size, round(h * scale)), max(size, round(w * scale))
    if (new_h, new_w) == (h, w):
        resized = image[None]
    else:
        resized = F.interpolate(image[None], size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    return resized[0, :, top : top + size, left : left + size].clamp(0, 1)


def to_batch(images: Iterable, size: int, mode: str = "squash") -> torch.Tensor:
    """Images (tensors or anything load_image takes) -> an (N, 3, size, size) batch in [0,1]."""
    tensors = [im if isinstance(im, torch.Tensor) else load_image(im) for im in images]
    return torch.stack([fit_square(t, size, mode) for t in tensors])


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The files under `folder` whose suffix looks like an image, sorted; contents are checked when read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageError(f"{folder} is not a folder")
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def gallery_dir() -> Path:
    """The bundled sample photos (assets/gallery), see assets/CREDITS.md."""
    return Path(__file__).resolve().parents[2] / "assets" / "gallery"


def to_pil(image: torch.Tensor) -> Image.Image:
    """A (3, H, W) tensor in [0,1] -> PIL RGB image."""
    array = (image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)
    return Image.fromarray(array)
