"""Paged sources (PDF, images): each page as an inline image, each cell outlined on its box.

The pages are pixels, not a reading: they come from the file's bytes (a PDF
rendered with pypdfium2, an image's frames downscaled with Pillow), and a
cell's box lands on them by its unit (points, or pixels at a dpi).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageSequence

from govreport.review.markup import Pane, esc
from govreport.review.model import CellView, has_provenance
from govreport.review.outlines import outline_html, unplaced_html
from govreport.v1 import report_pb2 as pb

# Pages are rendered at this resolution: sharp enough to read a table's figures on a
# screen, small enough that a 5-page PDF stays well under a megabyte.
RENDER_DPI = 110
# Longest side of a page image, whatever its dpi (a poster-sized scan stays reasonable).
MAX_PAGE_PIXELS = 1800
# A page image quantized to this many colours: rendered text needs few, and PNG packs it well.
PNG_COLOURS = 64


@dataclass(frozen=True, slots=True)
class PageImage:
    """A rendered page and its physical size, onto which boxes in points or pixels map."""

    number: int
    uri: str
    width_px: int
    height_px: int
    width_in: float
    height_in: float
    native_dpi: float  # what a box without a unit (or dpi) is measured in


def image_uri(image: Image.Image) -> str:
    """The smaller of a quantized PNG (crisp text) and a JPEG (photos, scans), as a data URI."""
    rgb = image.convert("RGB")
    png = io.BytesIO()
    # Octree without dithering: fast, and leaves rendered text free of speckle.
    rgb.quantize(PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        png, format="PNG"
    )
    jpeg = io.BytesIO()
    rgb.save(jpeg, format="JPEG", quality=78, optimize=True)
    # JPEG smears the edges of text: it must save a good deal to be chosen.
    if len(jpeg.getvalue()) * 1.5 < len(png.getvalue()):
        return "data:image/jpeg;base64," + base64.b64encode(jpeg.getvalue()).decode("ascii")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def _fit_scale(width: float, height: float) -> float:
    """A scale that keeps the longest side within MAX_PAGE_PIXELS."""
    longest = max(width, height, 1.0)
    return min(1.0, MAX_PAGE_PIXELS / longest)


def pdf_pages(content: bytes) -> list[PageImage]:
    """Every page of a PDF rendered at about RENDER_DPI (scanned pages included)."""
    import pypdfium2 as pdfium  # only when a PDF is reviewed: the CLI starts without it

    pages: list[PageImage] = []
    document = pdfium.PdfDocument(content)
    try:
        for index in range(len(document)):
            page = document[index]
            width_pt, height_pt = page.get_size()
            zoom = RENDER_DPI / 72
            scale = zoom * _fit_scale(width_pt * zoom, height_pt * zoom)
            image = page.render(scale=scale).to_pil()
            pages.append(
                PageImage(
                    index + 1,
                    image_uri(image),
                    image.width,
                    image.height,
                    width_pt / 72,
                    height_pt / 72,
                    72.0,
                )
            )
            page.close()
    finally:
        document.close()
    return pages


def image_pages(content: bytes) -> list[PageImage]:
    """Every frame of an image file, downscaled to about RENDER_DPI."""
    from govreport.readers.image import image_dpi  # the dpi the OCR measured boxes at

    pages: list[PageImage] = []
    with Image.open(io.BytesIO(content)) as image:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            dpi = image_dpi(frame)
            scale = min(RENDER_DPI / dpi, 1.0) * _fit_scale(
                frame.width * RENDER_DPI / dpi, frame.height * RENDER_DPI / dpi
            )
            size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
            shown = frame.convert("RGB").resize(size, Image.Resampling.LANCZOS)
            pages.append(
                PageImage(
                    number,
                    image_uri(shown),
                    shown.width,
                    shown.height,
                    frame.width / dpi,
                    frame.height / dpi,
                    float(dpi),
                )
            )
    return pages


def box_fraction(box: pb.BoundingBox, page: PageImage) -> tuple[float, float, float, float]:
    """(left, top, width, height) as fractions of the page.

    Points are 1/72 inch; pixels are 1/dpi inch of the image the reader saw
    (300 dpi for a rendered scan page, the file's own dpi for an image), so
    both land on the page whatever resolution it is shown at.
    """
    if box.unit == pb.COORDINATE_UNIT_POINTS:
        per_inch = 72.0
    elif box.unit == pb.COORDINATE_UNIT_PIXELS and box.dpi > 0:
        per_inch = float(box.dpi)
    else:
        per_inch = page.native_dpi
    x0, x1 = sorted((box.x0, box.x1))
    y0, y1 = sorted((box.y0, box.y1))

    def clamp(value: float) -> float:
        return min(1.0, max(0.0, value))

    left = clamp(x0 / per_inch / page.width_in)
    top = clamp(y0 / per_inch / page.height_in)
    right = clamp(x1 / per_inch / page.width_in)
    bottom = clamp(y1 / per_inch / page.height_in)
    # A zero-width box (a missing cell's place) still needs something to point at.
    return left, top, max(right - left, 0.006), max(bottom - top, 0.004)


def outline_position(view: CellView, page: PageImage) -> str:
    """The declarations placing a cell's outline on its page, in percent of the page."""
    left, top, width, height = box_fraction(view.placed.cell.provenance.box, page)
    return (
        f"left:{left * 100:.3f}%;top:{top * 100:.3f}%;"
        f"width:{width * 100:.3f}%;height:{height * 100:.3f}%"
    )


def paged_html(
    pages: Sequence[PageImage], views: Sequence[CellView], unread: dict[int, str]
) -> Pane:
    """The pages with the outlines over them, then the cells no page can show.

    Each page's size and each outline's place are rules of the page's
    stylesheet (``#page-2>.page``, ``#o-c17``), not style attributes.
    """
    by_page: dict[int, list[CellView]] = {}
    unplaced: list[CellView] = []
    numbers = {page.number for page in pages}
    for view in views:
        provenance = view.placed.cell.provenance
        if not has_provenance(view.placed.cell):
            continue
        if provenance.page in numbers and provenance.HasField("box"):
            by_page.setdefault(provenance.page, []).append(view)
        else:
            unplaced.append(view)
    parts: list[str] = []
    rules: list[str] = []
    for page in pages:
        on_page = by_page.get(page.number, ())
        outlines = "".join(outline_html(v) for v in on_page)
        rules.append(
            f"#page-{page.number}>.page{{max-width:{page.width_px}px;"
            f"aspect-ratio:{page.width_px}/{page.height_px}}}"
        )
        rules.extend(f"#o-{v.id}{{{outline_position(v, page)}}}" for v in on_page)
        note = unread.get(page.number, "")
        caption = f"第 {page.number} 页 · page {page.number} of {len(pages)}"
        if note:
            caption += f" · 未读 not read: {note}"
        parts.append(
            f'<figure class="sheet" id="page-{page.number}">'
            f'<div class="page" data-view="page-{page.number}">'
            f'<img src="{page.uri}" width="{page.width_px}" height="{page.height_px}" '
            f'alt="第 {page.number} 页 page {page.number}">{outlines}</div>'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
    return Pane("".join(parts) + unplaced_html(unplaced), "\n".join(rules))
