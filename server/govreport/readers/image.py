"""Scanned reports as image files (PNG, JPEG, TIFF with several pages, BMP, WebP), read by OCR.

Every frame of the file is a page (a phone's photo of a printed page is
straightened first: ocr.photo), read by ``govreport.ocr``: ruled tables
cell by cell, the text around them as paragraphs, each piece with
Tesseract's confidence and its box in the image's pixels with the dpi.
The dpi is the one the file records when it is plausible, else estimated
from the page width as if it were A4.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageSequence, UnidentifiedImageError

from govreport.errors import GovreportError, Reason, clip, quoted
from govreport.ir import Block, Document, SourceFormat, UnreadPage
from govreport.limits import Limits

Pixels = npt.NDArray[np.uint8]
# A page image narrower or lower than this (pixels) is no page: not even one line of print.
MIN_SIDE = 32
# An A4 page's short side, in inches: the dpi of a scan that records none.
_A4_SHORT_INCHES = 8.27
_MIN_DPI, _MAX_DPI = 70, 1200


def read(content: bytes, limits: Limits | None = None) -> Document:
    document = Document(SourceFormat.IMAGE)
    add_pages(document, content, "the image", limits or Limits())
    require_text(document, "the image (a blank or unreadable scan)")
    return document


def require_text(document: Document, source: str) -> None:
    """Raises EMPTY_DOCUMENT, with why each page went unread, when OCR found nothing."""
    if not document.blocks:
        why = "; ".join(f"page {u.page}: {u.reason}" for u in document.unread_pages)
        raise GovreportError(
            Reason.EMPTY_DOCUMENT,
            f"no text could be read from {source}" + (f": {why}" if why else ""),
        )


def add_pages(document: Document, content: bytes, what: str, limits: Limits) -> None:
    """Every frame of the image file ``content`` read as the document's next page; ``what``
    names the file in errors ("the image", "pages.zip: p3.jpg")."""
    from govreport.ocr.pages import map_pages  # OpenCV and Tesseract only when a scan comes

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            # The header gives the size: a bomb is refused before a pixel is decoded.
            limits.check_pixels(image.width, image.height, document.page_count + 1)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise GovreportError(
            Reason.CORRUPT_DOCUMENT,
            f"{what} cannot be decoded as an image ({quoted(exc)}); it may be truncated or damaged",
        ) from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise GovreportError(
            Reason.PAGE_TOO_LARGE,
            f"{what} is too large to read ({clip(str(exc))}); scan at 300 dpi",
        ) from exc

    # The iterator seeks one image object from frame to frame: frames are decoded here, in
    # order, and read (on idle cores too: ocr.pages) a batch at a time.
    def frames() -> Iterator[tuple[int, Pixels, int]]:
        for frame in ImageSequence.Iterator(image):
            number = document.page_count + 1
            document.page_count = number
            limits.check_pages(number, "the image file" if what == "the image" else "the page set")
            limits.check_pixels(frame.width, frame.height, number)
            if min(frame.width, frame.height) < MIN_SIDE:
                document.unread_pages.append(
                    UnreadPage(
                        number,
                        f"the page image is {frame.width}×{frame.height} pixels, too small to "
                        f"read (at least {MIN_SIDE} on each side)",
                    )
                )
                continue
            try:
                pixels = np.asarray(frame.convert("RGB"), dtype=np.uint8)
            except (OSError, ValueError) as exc:
                document.unread_pages.append(
                    UnreadPage(number, f"the page image cannot be decoded ({clip(str(exc))})")
                )
                continue
            yield number, pixels, image_dpi(frame)

    for number, blocks in map_pages(_read_page, frames()):
        document.blocks.extend(blocks)
        document.ocr_pages.append(number)


def _read_page(page: tuple[int, Pixels, int]) -> tuple[int, list[Block]]:
    """One page: a photo straightened, then read as a scan."""
    from govreport.ocr import read_image_page
    from govreport.ocr.photo import straighten

    number, pixels, dpi = page
    photo = straighten(pixels)
    if photo is None:
        return number, read_image_page(pixels, number, dpi)
    return number, read_image_page(photo.image, number, photo.dpi, origin=photo.to_source)


def image_dpi(frame: Image.Image) -> int:
    """The resolution the file records, or one estimated from the page width (A4)."""
    recorded = frame.info.get("dpi")
    if isinstance(recorded, tuple) and recorded:
        try:
            dpi = round(float(recorded[0]))
        except (TypeError, ValueError):
            dpi = 0
        if _MIN_DPI <= dpi <= _MAX_DPI:
            return dpi
    estimate = round(min(frame.width, frame.height) / _A4_SHORT_INCHES)
    return max(_MIN_DPI, min(_MAX_DPI, estimate))
