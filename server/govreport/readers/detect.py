"""Format detection from the bytes themselves; the file name is never trusted."""

from __future__ import annotations

import io
import zipfile

from govreport.errors import GovreportError, Reason, clip, named
from govreport.ir import SourceFormat
from govreport.pageset import is_page_image, page_names

_IMAGE_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"BM",  # BMP
)
_HTML_MARKERS: tuple[bytes, ...] = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<table",
    b"<meta",
    b"<div",
    b"<p>",
    b"<p ",
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.wps/.xls
# The stream a Word 97-2003 file, and a WPS Writer file, keeps its text in: its name, UTF-16,
# in the compound file's directory.
_WORD_STREAM = "WordDocument".encode("utf-16-le")


def detect(content: bytes, filename: str = "") -> SourceFormat:
    """The document's format, judged from its bytes.

    Raises UNSUPPORTED_FORMAT for bytes that are no format we know (binary
    noise, legacy Excel or PowerPoint files, zip files of other things) so that nothing is guessed.
    """
    name = named(filename)
    head = content[:4096]
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return SourceFormat.PDF
    if is_image(head):
        return SourceFormat.IMAGE
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(content, name)
    if head.startswith(_OLE_MAGIC):
        if _WORD_STREAM in content:
            return SourceFormat.LEGACY_WORD
        raise GovreportError(
            Reason.UNSUPPORTED_FORMAT,
            f"{name} is a legacy Office file (Excel or PowerPoint 97-2003, not a Word "
            "document); save the report as .docx or PDF and send that",
        )
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in lowered[:2048] for marker in _HTML_MARKERS) and b"</" in lowered:
        return SourceFormat.HTML
    if _looks_like_text(head):
        return SourceFormat.TEXT
    raise GovreportError(
        Reason.UNSUPPORTED_FORMAT,
        f"{name} is not a format govreport reads (PDF, image, DOCX, HTML or plain text); "
        "its first bytes match none of them",
    )


def is_image(content: bytes) -> bool:
    """PNG, JPEG, TIFF, BMP or WebP, by the first bytes."""
    head = content[:4096]
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return True
    return any(head.startswith(magic) for magic in _IMAGE_MAGIC) and not _looks_like_text(head)


def _zip_format(content: bytes, name: str) -> SourceFormat:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise GovreportError(
            Reason.CORRUPT_DOCUMENT,
            f"{name} starts like a DOCX (zip) file but cannot be opened: {clip(str(exc))}; it may be truncated",
        ) from exc
    if "word/document.xml" in names:
        return SourceFormat.DOCX
    pages = page_names(names)
    if pages and all(is_page_image(n) for n in pages):
        return SourceFormat.PAGE_SET
    raise GovreportError(
        Reason.UNSUPPORTED_FORMAT,
        f"{name} is a zip archive but neither a Word .docx document (no word/document.xml) "
        "nor a set of page images (PNG, JPEG, TIFF, BMP, WebP members only)",
    )


def _looks_like_text(head: bytes) -> bool:
    """True for bytes that decode as text in some encoding we read."""
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with BOM
    if b"\x00" in head:
        return False
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control <= len(head) // 100
