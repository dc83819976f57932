"""ui.pictures: pictures sent no wider than drawn (1.5x when they fill a column), PNG or JPEG, encoded once."""

from __future__ import annotations

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
    assert (stretched.format, stretched.size) == ("JPEG", (180, 120))
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
    assert len(calls) == 2


def test_the_rows_of_a_batch_are_encoded_once_though_each_pass_over_it_makes_new_views(monkeypatch):
    calls = []
    encode = pictures.encode
    monkeypatch.setattr(pictures, "encode", lambda picture, *args: calls.append(picture) or encode(picture, *args))
    batch = torch.rand(3, 3, 40, 40)  # a shared result: one tier's renders
    first = [pictures.sized(row, 100) for row in batch]
    again = [pictures.sized(row, 100) for row in batch]  # the next session's pass: other view objects
    assert len(calls) == 3 and all(a is b for a, b in zip(first, again))
    assert len(set(first)) == 3  # each row its own picture
    assert [pictures.sized(row, 100) for row in batch.flip(0)] == first[::-1]  # another batch: encoded anew
    assert len(calls) == 6
    assert pictures.sized(batch[1, :, :20], 100) != first[1] and len(calls) == 7  # a part of a row is not the row


class _Slot:
    """Records what a page would hand `st.image`."""

    def image(self, data, **args):
        self.data, self.args = data, args


def _as_streamlit_sends(data: bytes, output_format: str, width) -> bytes:
    """What Streamlit makes of given bytes before it stores them for the browser (image_utils.image_to_url)."""
    from streamlit.elements.lib import image_utils
    from streamlit.elements.lib.layout_utils import LayoutConfig

    chosen = image_utils._validate_image_format_string(data, output_format)
    return image_utils._ensure_image_size_and_format(data, LayoutConfig(width=width), chosen)


def test_streamlit_sends_the_bytes_as_encoded_where_auto_would_turn_a_sharp_png_into_jpeg():
    stimulus, photo = torch.randint(0, 2, (3, 9, 9)).float(), torch.rand(3, 224, 224)
    for picture, sharp in ((stimulus, True), (photo, False)):
        slot = _Slot()
        pictures.show(slot, picture, 190, sharp=sharp, stretch=True)
        assert _as_streamlit_sends(slot.data, slot.args["output_format"], "stretch") == slot.data
    png = pictures.sized(stimulus, 190, sharp=True)
    assert _open(_as_streamlit_sends(png, "auto", "stretch")).format == "JPEG"  # why show names the format
    row = _Slot()
    pictures.show_row(row, [photo, Image.new("RGBA", (50, 50))], 100)
    assert row.args["output_format"] == "auto" and [_open(d).format for d in row.data] == ["JPEG", "PNG"]
