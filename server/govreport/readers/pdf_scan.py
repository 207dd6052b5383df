"""PDF pages without a usable text layer (scans), rendered with pypdfium2 and read by OCR.

pdfplumber (readers/pdf.py) decides which pages need this; here each such
page is rendered at ``RENDER_DPI`` (pypdfium2 takes milliseconds a page,
pdftoppm about half a second) and handed to the same OCR page reader as an
image file. Cell boxes are then in pixels of that rendering, with its dpi.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from govreport.errors import clip
from govreport.ir import Block
from govreport.limits import Limits

if TYPE_CHECKING:
    import pypdfium2 as pdfium

# The dpi the OCR is tuned and measured at (docs/ocr-benchmarks.md).
RENDER_DPI = 300
# A page is rendered at a lower dpi rather than over Limits.max_page_pixels (an A4 page at
# 300 dpi is 8.7 Mpx, A3 17 Mpx), down to this dpi; a page bigger than that is refused:
# one declared 50,000 pt wide must not take gigabytes.
MIN_DPI = 100


@dataclass(frozen=True, slots=True)
class ScanResult:
    blocks: list[Block]
    problem: str | None  # why the page stays unread, when it does


def read_scanned_pages(
    content: bytes, numbers: Iterable[int], max_pixels: int = Limits().max_page_pixels
) -> dict[int, ScanResult]:
    """OCR of the given 1-based pages of the PDF. Raises PAGE_TOO_LARGE for a page that is over
    ``max_pixels`` even at MIN_DPI."""
    import pypdfium2 as pdfium  # rendering only when a scanned page comes

    from govreport.ocr import read_image_page
    from govreport.ocr.pages import map_pages

    out: dict[int, ScanResult] = {}
    try:
        document = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as exc:
        return {
            n: ScanResult([], f"the page cannot be rendered for OCR ({clip(str(exc))})")
            for n in numbers
        }

    # pdfium renders on this thread, in order; the pages are read on idle cores too (ocr.pages).
    def rendered() -> Iterator[tuple[int, npt.NDArray[np.uint8], int]]:
        for number in numbers:
            try:
                page = document[number - 1]
            except pdfium.PdfiumError as exc:
                out[number] = ScanResult(
                    [], f"the page cannot be rendered for OCR ({clip(str(exc))})"
                )
                continue
            try:
                width, height = page.get_size()  # points
                dpi = min(render_dpi(width, height, max_pixels), scan_dpi(page) or RENDER_DPI)
                if dpi < MIN_DPI:
                    scale = MIN_DPI / 72
                    Limits(max_page_pixels=max_pixels).check_pixels(
                        round(width * scale), round(height * scale), number
                    )
                bitmap = page.render(scale=dpi / 72)
                pixels = np.asarray(bitmap.to_pil().convert("RGB"), dtype=np.uint8)
            finally:
                page.close()
            yield number, pixels, dpi

    def read(page: tuple[int, npt.NDArray[np.uint8], int]) -> tuple[int, list[Block]]:
        number, pixels, dpi = page
        return number, read_image_page(pixels, number, dpi)

    try:
        for number, blocks in map_pages(read, rendered()):
            out[number] = ScanResult(
                blocks, None if blocks else "a scanned page, but OCR found no text on it"
            )
    finally:
        document.close()
    return out


def scan_dpi(page: pdfium.PdfPage) -> int | None:
    """The resolution of the scan filling the page, if one does: rendering above it adds
    pixels but no detail, and the OCR is measured on scans at their own dpi."""
    import pypdfium2.raw as pdfium_c

    page_area = page.get_width() * page.get_height()
    best: tuple[float, int] | None = None
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        area = (right - left) * (top - bottom)
        if area < 0.5 * page_area or right <= left:
            continue
        width_px, _ = obj.get_px_size()  # type: ignore[attr-defined]
        dpi = round(width_px / ((right - left) / 72))
        if best is None or area > best[0]:
            best = (area, dpi)
    return max(MIN_DPI, best[1]) if best else None


def render_dpi(width_pt: float, height_pt: float, max_pixels: int) -> int:
    """RENDER_DPI, or less when the page would be over ``max_pixels``."""
    pixels = width_pt * height_pt * (RENDER_DPI / 72) ** 2
    if pixels <= max_pixels:
        return RENDER_DPI
    return int(RENDER_DPI * (max_pixels / pixels) ** 0.5)
