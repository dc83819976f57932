"""ui.pictures: pictures sent no wider than drawn (2x when they fill a column), PNG or JPEG, encoded once."""

from __future__ import annotations

import gc
import io

import numpy as np
import torch
from PIL import Image

from ui import pictures


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_photo_goes_as_jpeg_at_the_width_shown_and_twice_that_when_it_fills_a_column():
    photo = torch.rand(3, 300, 450)
    fixed, stretched = _open(pictures.sized(photo, 120)), _open(pictures.sized(photo, 120, stretch=True))
    assert (fixed.format, fixed.size) == ("JPEG", (120, 80))
    assert (stretched.format, stretched.size) == ("JPEG", (240, 160))
    small = _open(pictures.sized(torch.rand(3, 50, 60), 120))
    assert small.size == (60, 50)  # never enlarged: the browser does that at no cost to the network
    clear = Image.new("RGBA", (200, 100), (255, 0, 0, 128))  # a natural render's transparency
    sent = _open(pictures.sized(clear, 100))
    assert (sent.format, sent.size, sent.getpixel((5, 5))) == ("PNG", (100, 50), (255, 0, 0, 128))


def test_a_sharp_picture_goes_as_png_enlarged_by_a_whole_factor_with_its_squares_exact():
    cells = torch.randint(0, 2, (3, 9, 7)).float()  # hard 0/1 squares, as a probe stimulus or a feature map
    sent = _open(pictures.sized(cells, 160, sharp=True))
    assert sent.format == "PNG" and sent.size == (7 * 22, 9 * 22)  # 22 = 160 // 7
    expected = (cells.permute(1, 2, 0).numpy() * 255).astype(np.uint8).repeat(22, 0).repeat(22, 1)
    assert np.array_equal(np.asarray(sent), expected)


def test_a_picture_is_encoded_once_while_it_lives_and_equal_pictures_get_equal_bytes(monkeypatch):
    calls = []
    encode = pictures.encode
    monkeypatch.setattr(pictures, "encode", lambda *args: calls.append(len(args)) or encode(*args))
    picture = torch.rand(3, 64, 64)
    first = pictures.sized(picture, 100)
    assert pictures.sized(picture, 100) is first and len(calls) == 1  # a second session: the same bytes, no work
    assert pictures.sized(picture.clone(), 100) == first  # same pixels, same bytes: one file in the media store
    key = (id(picture), 100, False)
    assert key in pictures._encoded
    del picture
    gc.collect()
    assert key not in pictures._encoded  # forgotten with the picture: the cache never outgrows the results
