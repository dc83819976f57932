"""Pictures sent at the size they are drawn, encoded once for every session that shows them.

`st.image` given a tensor's PIL image encodes it again in every session on every run (JPEG at quality 100,
at full size), so a class of thirty makes the server encode the same pictures thirty times and each browser
download pictures several times wider than drawn. `show` sends bytes instead:

- sized: at most the CSS width the picture is drawn at (`width=N`: Streamlit itself would shrink a wider
  picture to N px, per session) or, drawn `stretch` in a column about N px wide, at most 1.5x that (sharp on
  a projector at 150% zoom, nearly so on a laptop's 2x screen); a smaller picture is left as it is, except
  that a `sharp` one (a stimulus, a mosaic of hard squares) is enlarged by a whole factor with
  nearest-neighbour, so the browser never blurs its edges;
- encoded once: PNG for `sharp` pictures (flat colour, exact edges), JPEG at quality 85 for the rest (photos,
  patches, projections, renders; optimized and progressive: 8% fewer bytes than a plain JPEG at the same quality);
  the bytes are kept for as long as the picture object lives, and `st.image` is told their format, since given
  bytes with `output_format="auto"` it decodes a PNG without transparency and encodes it again as JPEG, in every
  session (blurring a stimulus's edges). Pages draw the objects of shared results (`ui.jobs.shared_result`),
  the same objects in every session, so each is encoded once; equal bytes get one URL in Streamlit's media
  store, which keys its files by content.

    show(cell, picture, 160, sharp=True, caption="best stimulus")      # drawn 160 CSS px wide
    show(cell, picture, 110, stretch=True, link=unit_href(layer, c))   # fills a column about 110 px wide
    show_row(st, pictures, 260, caption=names)                          # a row of pictures, each 260 px
"""

from __future__ import annotations

import io

from PIL import Image

from ui.memo import per_object
from viz.core.images import to_pil

JPEG_QUALITY = 85  # at 90 a landing came to 0.61 MB a session; at 85 and 1.5x, under 0.5 MB (docs/benchmarks.md)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STRETCH_DENSITY = 1.5  # pixels per CSS pixel sent for a picture that fills a column: a projector at 150% zoom


def _resized(image: Image.Image, width: int, sharp: bool) -> Image.Image:
    """At most `width` px wide (aspect kept); a sharp picture narrower than that, enlarged by a whole factor."""
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        return image.resize((width, height), Image.Resampling.BOX if sharp else Image.Resampling.LANCZOS)
    factor = width // image.width if sharp else 1
    return image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST) if factor > 1 \
        else image


def encode(picture, width: int, sharp: bool = False) -> bytes:
    """A (3,H,W) tensor in [0,1] or a PIL image as PNG (`sharp`, or with transparency) or JPEG bytes, at most
    `width` px wide."""
    image = _resized(picture if isinstance(picture, Image.Image) else to_pil(picture), width, sharp)
    out = io.BytesIO()
    if sharp or image.mode in ("RGBA", "LA", "PA"):  # JPEG has no transparency: a transparent picture stays PNG
        image.save(out, format="PNG")
    else:
        image.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def image_format(data: bytes) -> str:
    """The `output_format` that makes `st.image` send `data` as it is: "PNG" or "JPEG"."""
    return "PNG" if data.startswith(PNG_SIGNATURE) else "JPEG"


def sized(picture, shown: int, sharp: bool = False, stretch: bool = False) -> bytes:
    """`picture`'s bytes for a place `shown` CSS px wide (`STRETCH_DENSITY` times that when it is drawn
    `stretch`), encoded once for as long as the picture lives (a shared result's pictures: once for every
    session). A row of a batch tensor is a new view object each time a page iterates the batch, so it is known
    by its batch and its place in it."""
    width = round(shown * (STRETCH_DENSITY if stretch else 1))
    batch = getattr(picture, "_base", None)  # a tensor view's root tensor; None for a tensor that owns its data
    owner, place = (picture, None) if batch is None else (
        batch, (picture.storage_offset(), tuple(picture.shape), picture.stride()))
    return per_object(owner, (place, width, sharp), lambda: encode(picture, width, sharp))


def show(slot, picture, shown: int, *, sharp: bool = False, stretch: bool = False, **image_args) -> None:
    """Draw `picture` in `slot` (st, a column, a container): `shown` CSS px wide, or filling the slot when
    `stretch` (then `shown` is about the slot's width); `image_args` go to `st.image` (caption, link...)."""
    data = sized(picture, shown, sharp, stretch)
    slot.image(data, width="stretch" if stretch else shown, output_format=image_format(data), **image_args)


def show_row(slot, pictures, shown: int, *, sharp: bool = False, **image_args) -> None:
    """Draw `pictures` side by side in `slot`, each `shown` CSS px wide (one `st.image`; `caption` a list).

    A row whose bytes mix PNG and JPEG (transparent renders beside opaque ones) goes with `output_format="auto"`,
    which sends JPEG and transparent PNG as they are.
    """
    data = [sized(picture, shown, sharp) for picture in pictures]
    formats = {image_format(d) for d in data}
    slot.image(data, width=shown, output_format=formats.pop() if len(formats) == 1 else "auto", **image_args)
