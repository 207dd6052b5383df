"""OCR of scanned pages: preprocessing, ruled-table grids, Tesseract recognition, IR blocks."""

from govreport.ocr.page import read_image_page

__all__ = ["read_image_page"]
