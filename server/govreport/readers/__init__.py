"""Readers: one per input format, each turning bytes into the same ir.Document.

To add a format, write a module with ``read(content: bytes, limits: Limits) -> Document``,
teach ``detect`` to recognise its bytes, and register it in ``READERS``.
"""

from __future__ import annotations

from collections.abc import Callable

from govreport.errors import GovreportError, Reason
from govreport.ir import Document, SourceFormat
from govreport.limits import Limits
from govreport.readers import docx, html, image, pdf, text
from govreport.readers.detect import detect

Reader = Callable[[bytes, Limits], Document]

READERS: dict[SourceFormat, Reader] = {
    SourceFormat.TEXT: text.read,
    SourceFormat.HTML: html.read,
    SourceFormat.DOCX: docx.read,
    SourceFormat.PDF: pdf.read,
    SourceFormat.IMAGE: image.read,
}


def read(content: bytes, filename: str = "", limits: Limits | None = None) -> Document:
    """Detects the format from the bytes and reads the document."""
    if not content:
        raise GovreportError(
            Reason.EMPTY_DOCUMENT, f"{filename or 'the document'} is empty (0 bytes)"
        )
    fmt = detect(content, filename)
    reader = READERS.get(fmt)
    if reader is None:
        raise GovreportError(
            Reason.UNSUPPORTED_FORMAT,
            f"{filename or 'the document'} is a {fmt.value.upper()} file, which this server does not read yet",
        )
    return reader(content, limits or Limits())


__all__ = ["READERS", "detect", "read"]
