"""OCR of scanned pages: preprocessing, ruled-table grids, Tesseract recognition, IR blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["read_image_page"]

if TYPE_CHECKING:
    from govreport.ocr.page import read_image_page


def __getattr__(name: str) -> Any:
    # OpenCV and Tesseract are loaded when a page is read, not when the package is imported:
    # the server's parent process imports ocr.pages (the spare-core count) and nothing more.
    if name == "read_image_page":
        from govreport.ocr.page import read_image_page

        return read_image_page
    raise AttributeError(f"module 'govreport.ocr' has no attribute {name!r}")
