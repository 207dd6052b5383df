"""What one document may cost a reader: pages, pixels, zip expansion, PDF objects.

The readers check these before doing the expensive part (parsing every
page, inflating every zip member, rendering a page), so a hostile or broken
file is refused in milliseconds with a reason naming the limit, instead of
taking the worker's memory or time. The values come from settings.py; the
time per document is enforced by the worker pool (workers.py), which can
kill a reader that hangs.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from govreport.errors import GovreportError, Reason, clip, quoted

_INFLATE_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    max_pages: int = 500
    # At the dpi a page is read at: a 300 dpi A3 scan is 17 Mpx, a 600 dpi A4 one 35 Mpx.
    max_page_pixels: int = 40_000_000
    # A DOCX's XML compresses ~10:1; a zip bomb 1000:1 and more.
    max_zip_ratio: float = 100.0
    max_unzipped_bytes: int = 256 * 1024 * 1024
    max_pdf_objects: int = 500_000
    # A report holds 3-20 thousand characters and about 200 table cells. Assembly grows faster
    # than linearly with the text (300 K characters: 2 s; 1.4 M: 60 s), so this bounds it.
    max_text_chars: int = 300_000
    max_table_cells: int = 20_000

    def check_pages(
        self, pages: int, what: str = "the document", *, at_least: bool = False
    ) -> None:
        """``at_least``: ``pages`` is where counting stopped, not the whole."""
        if pages > self.max_pages:
            counted = f"over {self.max_pages}" if at_least else str(pages)
            raise GovreportError(
                Reason.TOO_MANY_PAGES,
                f"{what} has {counted} pages; this server reads at most {self.max_pages} "
                "(GOVREPORT_MAX_PAGES): send the report on its own",
            )

    def check_pixels(self, width: int, height: int, page: int) -> None:
        if width * height > self.max_page_pixels:
            raise GovreportError(
                Reason.PAGE_TOO_LARGE,
                f"page {page} is {width} x {height} pixels ({width * height / 1e6:.0f} Mpx); "
                f"this server reads pages up to {self.max_page_pixels / 1e6:.0f} Mpx "
                "(GOVREPORT_MAX_PAGE_PIXELS): scan at 300 dpi",
            )

    def check_zip(self, content: bytes, what: str = "the DOCX") -> None:
        """Refuses a zip whose members inflate past the ratio or the total, or to another size
        than they declare.

        Each member's deflated bytes are inflated here, a chunk at a time, and counted: the
        sizes a zip declares are the bomb's own words, and zipfile trusts them (a member that
        declares 2 kB is inflated in one call, up to 2 GiB, then cut). A bomb is stopped at the
        limit after a few MB of work.
        """
        allowed = min(self.max_unzipped_bytes, int(self.max_zip_ratio * max(1, len(content))))
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return  # not readable as a zip: the reader says so with its own reason
        total = 0
        with archive:
            for info in archive.infolist():
                try:
                    size = _inflated_size(archive, content, info, allowed - total)
                except (
                    zipfile.BadZipFile,
                    OSError,
                    ValueError,
                    EOFError,
                    zlib.error,
                    RuntimeError,
                    NotImplementedError,
                ) as exc:
                    raise GovreportError(
                        Reason.CORRUPT_DOCUMENT,
                        f"{what}'s member {clip(info.filename, 120)} cannot be inflated "
                        f"({quoted(exc)}); the file is damaged",
                    ) from exc
                total += size
                if total > allowed:
                    raise self._inflates_past(len(content), total, allowed, what)
                if size != info.file_size:
                    raise GovreportError(
                        Reason.CORRUPT_DOCUMENT,
                        f"{what}'s member {clip(info.filename, 120)} declares {info.file_size} "
                        f"bytes but inflates to {size}: the file is damaged, or made to mislead",
                    )

    def _inflates_past(self, size: int, total: int, allowed: int, what: str) -> GovreportError:
        return GovreportError(
            Reason.ARCHIVE_TOO_LARGE,
            f"{what} inflates from {size} bytes to over {total} bytes "
            f"(over {total / max(1, size):.0f}:1, stopped there); this server allows "
            f"{self.max_zip_ratio:.0f}:1 and {self.max_unzipped_bytes} bytes "
            "(GOVREPORT_MAX_ZIP_RATIO, GOVREPORT_MAX_UNZIPPED_BYTES): a zip bomb, or not a "
            "real report",
            details={"limit_bytes": str(allowed)},
        )

    def check_text(self, chars: int, what: str = "the document") -> None:
        """``chars``: characters other than white space."""
        if chars > self.max_text_chars:
            raise GovreportError(
                Reason.TOO_LARGE,
                f"{what} holds {chars} characters of text; this server reads documents of up "
                f"to {self.max_text_chars} (GOVREPORT_MAX_TEXT_CHARS), about a hundred times "
                "a real report: send the report on its own",
                details={"limit_chars": str(self.max_text_chars), "chars": str(chars)},
            )

    def check_cells(self, cells: int, what: str = "the document") -> None:
        if cells > self.max_table_cells:
            raise GovreportError(
                Reason.TOO_LARGE,
                f"{what} holds {cells} table cells; this server reads documents of up to "
                f"{self.max_table_cells} (GOVREPORT_MAX_TABLE_CELLS), a hundred times a "
                "report's tables: send the report on its own",
                details={"limit_cells": str(self.max_table_cells), "cells": str(cells)},
            )

    def check_pdf_objects(self, objects: int, *, claimed: bool = False) -> None:
        """``claimed``: the count is what the file says of itself, before it is parsed."""
        if objects > self.max_pdf_objects:
            has = "claims to hold" if claimed else "has"
            raise GovreportError(
                Reason.TOO_COMPLEX,
                f"the PDF {has} {objects} objects; this server reads PDFs of up to "
                f"{self.max_pdf_objects} (GOVREPORT_MAX_PDF_OBJECTS)",
            )


def _inflated_size(
    archive: zipfile.ZipFile, content: bytes, info: zipfile.ZipInfo, budget: int
) -> int:
    """The bytes ``info`` inflates to, counted up to ``budget`` + 1 (then it stops)."""
    if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 0x1:
        # The raw deflate stream, read past zipfile, which would cut it at the declared size.
        header = content[info.header_offset : info.header_offset + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad local file header")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        pending = content[start : start + info.compress_size]
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        size = 0
        while pending and size <= budget:
            size += len(inflater.decompress(pending, _INFLATE_CHUNK))
            pending = inflater.unconsumed_tail
        return size
    size = 0
    with archive.open(info) as member:  # stored, or another method: read in chunks
        while size <= budget and (chunk := member.read(_INFLATE_CHUNK)):
            size += len(chunk)
    return size
