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
import zipfile
from dataclasses import dataclass

from govreport.errors import GovreportError, Reason


@dataclass(frozen=True, slots=True)
class Limits:
    max_pages: int = 500
    # At the dpi a page is read at: a 300 dpi A3 scan is 17 Mpx, a 600 dpi A4 one 35 Mpx.
    max_page_pixels: int = 40_000_000
    # A DOCX's XML compresses ~10:1; a zip bomb 1000:1 and more.
    max_zip_ratio: float = 100.0
    max_unzipped_bytes: int = 512 * 1024 * 1024
    max_pdf_objects: int = 500_000

    def check_pages(self, pages: int, what: str = "the document") -> None:
        if pages > self.max_pages:
            raise GovreportError(
                Reason.TOO_MANY_PAGES,
                f"{what} has {pages} pages; this server reads at most {self.max_pages} "
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

    def check_zip(self, content: bytes) -> None:
        """Refuses a zip whose members would inflate past the ratio or the total."""
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                total = sum(max(0, info.file_size) for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return  # not readable as a zip: the reader says so with its own reason
        ratio = total / max(1, len(content))
        if total > self.max_unzipped_bytes or ratio > self.max_zip_ratio:
            raise GovreportError(
                Reason.ARCHIVE_TOO_LARGE,
                f"the DOCX would expand from {len(content)} to {total} bytes "
                f"({ratio:.0f}:1); this server allows {self.max_zip_ratio:.0f}:1 and "
                f"{self.max_unzipped_bytes} bytes (GOVREPORT_MAX_ZIP_RATIO, "
                "GOVREPORT_MAX_UNZIPPED_BYTES): a zip bomb, or not a real report",
            )

    def check_pdf_objects(self, objects: int) -> None:
        if objects > self.max_pdf_objects:
            raise GovreportError(
                Reason.TOO_COMPLEX,
                f"the PDF has {objects} objects; this server reads PDFs of up to "
                f"{self.max_pdf_objects} (GOVREPORT_MAX_PDF_OBJECTS)",
            )
