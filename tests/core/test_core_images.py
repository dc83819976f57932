"""Image input: every odd mode becomes RGB in [0,1]; every bad file becomes one clear ImageError."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile

from models.errors import UserError
from viz.core.images import ImageError, fit_square, image_files, load_image, to_batch


def _png_bytes(img: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=kwargs.pop("format", "PNG"), **kwargs)
    return buf.getvalue()


def test_rgb_round_trip_is_exact():
    array = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    t = load_image(_png_bytes(Image.fromarray(array)))
    assert t.shape == (3, 5, 7) and t.dtype == torch.float32
    assert torch.equal((t * 255).round().to(torch.uint8).permute(1, 2, 0), torch.from_numpy(array))


def test_grayscale_becomes_three_equal_channels():
    t = load_image(_png_bytes(Image.new("L", (4, 3), 51)))
    assert t.shape == (3, 3, 4) and torch.allclose(t, torch.full_like(t, 0.2))


def test_16_bit_grayscale_keeps_its_range():
    array = np.array([[0, 65535], [32768, 16384]], dtype=np.uint16)
    t = load_image(_png_bytes(Image.fromarray(array)))
    assert t[0, 0, 1] == 1.0 and t[0, 0, 0] == 0.0 and abs(float(t[1, 1, 0]) - 0.5) < 1e-3


def test_palette_and_transparency_are_composited_on_white():
    rgba = Image.new("RGBA", (2, 1), (255, 0, 0, 0))
    rgba.putpixel((1, 0), (0, 0, 255, 255))
    t = load_image(_png_bytes(rgba))
    assert torch.allclose(t[:, 0, 0], torch.ones(3))  # fully transparent -> white
    assert torch.allclose(t[:, 0, 1], torch.tensor([0.0, 0.0, 1.0]))
    palette = Image.new("P", (2, 2), 0)
    palette.putpalette([0, 255, 0] + [0] * 765)
    assert torch.allclose(load_image(_png_bytes(palette))[:, 0, 0], torch.tensor([0.0, 1.0, 0.0]))


def test_cmyk_jpeg_is_converted():
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # pure red in CMYK
    t = load_image(_png_bytes(cmyk, format="JPEG", quality=95))
    assert t[0].mean() > 0.9 and t[1].mean() < 0.1 and t[2].mean() < 0.1


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (4, 4), c) for c in [(255, 0, 0), (0, 0, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    t = load_image(buf.getvalue())
    assert t[0].mean() > 0.9 and t[2].mean() < 0.1


@pytest.mark.parametrize("orientation, quarter_turns", [(6, -1), (8, 1)])  # 6: turn 90 CW; 8: 270 CW
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_exif_rotation_turns_the_right_way(orientation, quarter_turns, fmt):
    """A 2x3 grid of differently coloured 8-px blocks (no symmetry) comes out turned as numpy turns it."""
    colours = np.array([[(255, 0, 0), (0, 255, 0), (0, 0, 255)],
                        [(255, 255, 0), (0, 255, 255), (255, 0, 255)]], dtype=np.uint8)
    stored = colours.repeat(8, axis=0).repeat(8, axis=1)  # 16 high, 24 wide
    exif = Image.Exif()
    exif[0x0112] = orientation
    options = {"quality": 100, "subsampling": 0} if fmt == "JPEG" else {}
    t = load_image(_png_bytes(Image.fromarray(stored), format=fmt, exif=exif.tobytes(), **options))
    expected = torch.from_numpy(np.rot90(stored, quarter_turns).copy()).permute(2, 0, 1) / 255
    assert t.shape == (3, 24, 16)
    assert (t - expected).abs().max() < (0.05 if fmt == "JPEG" else 1e-6)


def test_sources_path_bytes_file_and_pil_agree(tmp_path):
    img = Image.new("RGB", (3, 3), (1, 2, 3))
    path = tmp_path / "x.png"
    img.save(path)
    expected = load_image(path)
    for source in (str(path), path.read_bytes(), open(path, "rb"), img):
        assert torch.equal(load_image(source), expected)
    upload = io.BytesIO(path.read_bytes())
    upload.read()  # a page's earlier run read it to the end
    assert torch.equal(load_image(upload), expected)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"this is a text file, not a picture", "not a readable image"),
        (_png_bytes(Image.new("RGB", (64, 64), (9, 9, 9)))[:80], "damaged or truncated"),
    ],
)
def test_bad_files_raise_one_error_type_with_a_one_line_message(tmp_path, data, message):
    path = tmp_path / "upload.png"
    path.write_bytes(data)
    for source in (path, data):
        with pytest.raises(ImageError, match=message) as info:
            load_image(source)
        assert "\n" not in str(info.value)


def test_a_file_that_is_not_an_image_is_named_and_the_accepted_formats_listed(tmp_path):
    """An upload arrives as a named file object (Streamlit's UploadedFile is a BytesIO with a `name`)."""
    upload = io.BytesIO(b"\x89PNG\r\n\x1a\n not really a png")
    upload.name = "holiday.png"
    (tmp_path / "notes.png").write_bytes(b"plain text")
    for source, name in ((upload, "holiday.png"), (b"plain text", "the uploaded file"),
                         (tmp_path / "notes.png", "notes.png")):
        with pytest.raises(ImageError) as info:
            load_image(source)
        message = str(info.value)
        assert message.startswith(f"{name} is not a readable image; accepted: PNG, JPEG")
        assert "object at 0x" not in message and "<" not in message


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims width x height pixels: a decompression bomb's signature."""
    data = bytearray(_png_bytes(Image.new("RGB", (1, 1))))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_decompression_bombs_are_refused_before_decoding(monkeypatch):
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size))
    with pytest.raises(ImageError, match="megapixel"):
        load_image(_png_claiming(40_000, 40_000))
    assert decoded == [], "the pixels must not be decoded: the header's size alone refuses it"


def test_the_pixel_limit_is_adjustable():
    with pytest.raises(ImageError, match="over the 0 MP limit"):
        load_image(_png_bytes(Image.new("RGB", (100, 100))), max_pixels=9_999)


def test_fit_square_squash_keeps_everything_and_crop_keeps_the_centre():
    image = torch.zeros(3, 10, 20)
    image[:, :, :5] = 1.0  # a white band on the left quarter
    squashed = fit_square(image, 8, "squash")
    cropped = fit_square(image, 8, "crop")
    assert squashed.shape == cropped.shape == (3, 8, 8)
    assert squashed[:, :, 0].mean() > 0.9 and cropped[:, :, 0].mean() < 0.1
    with pytest.raises(UserError, match="squash, crop"):
        fit_square(image, 8, "stretch")


def test_to_batch_and_folder_listing(tmp_path):
    Image.new("RGB", (30, 20), (255, 255, 255)).save(tmp_path / "a.png")
    (tmp_path / "notes.txt").write_text("x")
    files = image_files(tmp_path)
    assert [p.name for p in files] == ["a.png"]
    batch = to_batch(files, 16)
    assert batch.shape == (1, 3, 16, 16) and torch.allclose(batch, torch.ones_like(batch))
    with pytest.raises(ImageError, match="is not a folder"):
        image_files(tmp_path / "a.png")


def test_an_image_already_at_size_is_not_resampled():
    image = torch.rand(3, 8, 8)
    assert torch.equal(fit_square(image, 8, "squash"), image)
    wide = torch.rand(3, 8, 12)
    assert torch.equal(fit_square(wide, 8, "crop"), wide[:, :, 2:10])
