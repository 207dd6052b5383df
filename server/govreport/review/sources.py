"""The source pane: which view of the document the page shows, by its format.

Pixels come from the file (a PDF's pages rendered, an image's frames); a
plain-text file is its decoded text, into which line and character
provenance points; an HTML or Word document is shown as it was extracted
(extracted.py), so that with ``--server`` the page shows the server's
reading, not a second one made here.
"""

from __future__ import annotations

from collections.abc import Sequence

from govreport import wire
from govreport.errors import GovreportError
from govreport.readers.detect import detect
from govreport.readers.text import decode
from govreport.review.extracted import extracted_text_doc
from govreport.review.markup import Pane, esc
from govreport.review.model import CellView, has_provenance
from govreport.review.outlines import unplaced_html
from govreport.review.pages import image_pages, paged_html, pdf_pages
from govreport.review.text import plain_text_doc, text_html
from govreport.v1 import service_pb2

EXTRACTED_NOTE = (
    "按提取结果显示：标题、各部分的标题和正文，以及表格中读取的单元格（行名取自模板）。"
    " Shown as extracted: the title, each section's heading and text, and the table cells read"
    " (rows named as the template names them)."
)


def source_format(extraction: service_pb2.Extraction, content: bytes, filename: str) -> int:
    """The format the extraction says it read; detected again when it says nothing."""
    if extraction.document.format:
        fmt: int = extraction.document.format
        return fmt
    return wire.DOCUMENT_FORMAT[detect(content, filename)]


def source_pane(
    content: bytes, filename: str, extraction: service_pb2.Extraction, views: Sequence[CellView]
) -> Pane:
    unread = {p.page: p.reason for p in extraction.document.unread_pages}
    try:
        fmt = source_format(extraction, content, filename)
        if fmt == service_pb2.DOCUMENT_FORMAT_PDF:
            return paged_html(pdf_pages(content), views, unread)
        if fmt == service_pb2.DOCUMENT_FORMAT_IMAGE:
            return paged_html(image_pages(content), views, unread)
        if fmt == service_pb2.DOCUMENT_FORMAT_TEXT:
            text, _ = decode(content)
            return Pane(text_html(plain_text_doc(text), views, "原文 source text"))
        doc = extracted_text_doc(extraction, views)
        return Pane(text_html(doc, views, "原文 source text (as extracted)", EXTRACTED_NOTE))
    except (GovreportError, OSError, ValueError, RuntimeError) as exc:
        # The extraction stands on its own: say why the source is missing, show the rest.
        note = f"原文无法显示 The source cannot be shown: {type(exc).__name__}: {exc}"
        located = [v for v in views if has_provenance(v.placed.cell)]
        return Pane(f'<p class="notice">{esc(note)}</p>{unplaced_html(located)}')
