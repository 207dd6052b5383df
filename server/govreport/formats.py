"""The input formats govreport reads: one row each, and the reading of any document.

A format is its reader (bytes -> ir.Document), the file suffixes a folder
is searched for, its name as people see it, and whether it has pages
(provenance by page and box; the review page draws them). Adding a format
is a reader module, its detection in readers/detect.py and a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from govreport.errors import GovreportError, Reason, named
from govreport.ir import Document, SourceFormat
from govreport.limits import Limits
from govreport.readers import docx, html, image, legacy_word, pages, pdf, text
from govreport.readers.detect import detect

Reader = Callable[[bytes, Limits], Document]


@dataclass(frozen=True, slots=True)
class FormatSpec:
    format: SourceFormat
    name: str  # as people see it: "PDF", "text"
    suffixes: tuple[str, ...]  # what a folder is searched for
    paged: bool  # pages and boxes (PDF, scans), rather than lines (text) or structure
    reader: Reader


FORMATS: dict[SourceFormat, FormatSpec] = {
    spec.format: spec
    for spec in (
        FormatSpec(SourceFormat.TEXT, "text", (".txt", ".md"), False, text.read),
        FormatSpec(SourceFormat.HTML, "HTML", (".htm", ".html"), False, html.read),
        FormatSpec(SourceFormat.DOCX, "DOCX", (".docx",), False, docx.read),
        FormatSpec(SourceFormat.PDF, "PDF", (".pdf",), True, pdf.read),
        FormatSpec(
            SourceFormat.IMAGE,
            "image",
            (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"),
            True,
            image.read,
        ),
        FormatSpec(SourceFormat.PAGE_SET, "page set", (".zip",), True, pages.read),
        FormatSpec(
            SourceFormat.LEGACY_WORD, "legacy Word", (".doc", ".wps"), False, legacy_word.read
        ),
    )
}
DOCUMENT_SUFFIXES: frozenset[str] = frozenset(s for spec in FORMATS.values() for s in spec.suffixes)


def read(content: bytes, filename: str = "", limits: Limits | None = None) -> Document:
    """Detects the format from the bytes (never the name) and reads the document."""
    if not content:
        raise GovreportError(Reason.EMPTY_DOCUMENT, f"{named(filename)} is empty (0 bytes)")
    fmt = detect(content, filename)
    spec = FORMATS.get(fmt)
    if spec is None:
        raise GovreportError(
            Reason.UNSUPPORTED_FORMAT,
            f"{named(filename)} is a {fmt.value.upper()} file, which this server does not read yet",
        )
    limits = limits or Limits()
    document = spec.reader(content, limits)
    # Before the assembler, whose work grows faster than the text: a reader's output is
    # bounded however small its input was (a DOCX, a zip of pages).
    chars, cells = document.size()
    limits.check_text(chars, named(filename))
    limits.check_cells(cells, named(filename))
    return document
