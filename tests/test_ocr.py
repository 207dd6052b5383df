"""Scanned reports: simulated scans of rendered gold reports read back by OCR to their gold.

Two reports (one synthetic with non-zero figures, one real seed) are
rendered DOCX -> PDF (LibreOffice, once per session) and scanned by
tests/fixtures/scans.py at 200 and 300 dpi with a red seal over table 三
and the signature, 0.5–3° skew, grey paper, noise, blur and JPEG. The
bigger measurement (every gold report, timings, a full-page baseline) is
bench/ocr_bench.py -> docs/ocr-benchmarks.md.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fixtures.scans import (
    SEAL_BLUE,
    Judgement,
    Scan,
    judge,
    scan_pdf,
    source_pdfs,
    to_image,
    to_pdf,
    to_tiff,
    with_scanned_pages,
)
from fixtures.writer import Gold
from PIL import Image

from govreport import formats
from govreport.convert import convert
from govreport.errors import GovreportError, Reason
from govreport.ir import SourceFormat, Table
from govreport.ocr import read_image_page
from govreport.ocr.grid import find_tables
from govreport.ocr.preprocess import binarize, drop_colour, skew_angle
from govreport.paths import iter_cells
from govreport.settings import Settings
from govreport.v1 import report_pb2, service_pb2

assert shutil.which("tesseract") and shutil.which("soffice"), (
    "the OCR tests need tesseract-ocr (+chi-sim) and LibreOffice: run `make system-deps`"
)

STEMS = ("synthetic_2021", "000_920faedf84c991f1")
DPIS = (200, 300)
# Measured on this corpus (bench/ocr_bench.py has the full run): every cell right but for a
# rare flagged one; a report must keep 99 % of its cells right.
MIN_ACCURACY = 0.99
THRESHOLD = Settings().ocr_min_confidence


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Gold]]:
    return source_pdfs(STEMS, tmp_path_factory.mktemp("ocr-pdfs"))


@pytest.fixture(scope="session")
def scans(pdfs: dict[str, tuple[Path, Gold]]) -> dict[tuple[str, int], list[Image.Image]]:
    return {
        (stem, dpi): scan_pdf(pdf, Scan(dpi=dpi, seed=1))
        for stem, (pdf, _) in pdfs.items()
        for dpi in DPIS
    }


@pytest.fixture(scope="session")
def extractions(
    pdfs: dict[str, tuple[Path, Gold]], scans: dict[tuple[str, int], list[Image.Image]]
) -> Iterator[dict[tuple[str, int], tuple[object, Judgement]]]:
    out: dict[tuple[str, int], tuple[object, Judgement]] = {}
    for (stem, dpi), pages in scans.items():
        extraction = convert(to_tiff(pages, dpi), f"{stem}.tif")
        out[(stem, dpi)] = (extraction, judge(extraction, pdfs[stem][1], THRESHOLD))
    yield out


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("stem", STEMS)
def test_scan_reads_to_gold(
    stem: str, dpi: int, extractions: dict[tuple[str, int], tuple[object, Judgement]]
) -> None:
    extraction, judgement = extractions[(stem, dpi)]
    assert extraction.document.format == service_pb2.DOCUMENT_FORMAT_IMAGE
    assert judgement.checked >= 190
    assert judgement.accuracy >= MIN_ACCURACY, "\n".join(judgement.wrong)
    # A wrong figure never comes back unflagged.
    assert not judgement.unflagged, "\n".join(judgement.unflagged)


def test_cells_carry_pixel_provenance_and_confidence(
    extractions: dict[tuple[str, int], tuple[object, Judgement]],
    scans: dict[tuple[str, int], list[Image.Image]],
) -> None:
    for (stem, dpi), (extraction, _) in extractions.items():
        pages = scans[(stem, dpi)]
        numbers = [
            p.cell
            for p in iter_cells(extraction.report)
            if p.cell.state == report_pb2.CELL_STATE_NUMBER and not p.cell.derived
        ]
        assert numbers
        for cell in numbers:
            box = cell.provenance.box
            assert box.unit == report_pb2.COORDINATE_UNIT_PIXELS
            assert box.dpi == dpi
            page = pages[cell.provenance.page - 1]
            assert 0 <= box.x0 < box.x1 <= page.width
            assert 0 <= box.y0 < box.y1 <= page.height
            assert 0.0 <= cell.confidence <= 1.0
            assert cell.provenance.locator.startswith(f"page[{cell.provenance.page}]/table[")


def test_scanned_pdf_is_read_by_ocr(
    pdfs: dict[str, tuple[Path, Gold]], scans: dict[tuple[str, int], list[Image.Image]]
) -> None:
    """An image-only PDF (a scanner's "scan to PDF", seal and skew): every page goes to OCR,
    rendered at the scan's own dpi."""
    gold = pdfs["synthetic_2021"][1]
    pages = scans[("synthetic_2021", 200)]
    extraction = convert(to_pdf(pages, 200), "scanned.pdf")
    assert extraction.document.format == service_pb2.DOCUMENT_FORMAT_PDF
    assert list(extraction.document.unread_pages) == []
    judgement = judge(extraction, gold, THRESHOLD)
    assert judgement.checked >= 190
    assert judgement.accuracy >= MIN_ACCURACY, "\n".join(judgement.wrong)
    assert not judgement.unflagged, "\n".join(judgement.unflagged)
    boxes = {
        (p.cell.provenance.box.unit, p.cell.provenance.box.dpi)
        for p in iter_cells(extraction.report)
        if p.cell.state == report_pb2.CELL_STATE_NUMBER and not p.cell.derived
    }
    assert boxes == {(report_pb2.COORDINATE_UNIT_PIXELS, 200)}


def test_mixed_pdf_reads_text_pages_and_ocrs_the_scanned_one(
    pdfs: dict[str, tuple[Path, Gold]],
) -> None:
    """A digital PDF with one page (the one holding most of 三) swapped for a 300 dpi scan."""
    from goldcheck import compare

    pdf, gold = pdfs["synthetic_2021"]
    extraction = convert(with_scanned_pages(pdf, {2}, Scan(dpi=300, seed=1)), "mixed.pdf")
    assert list(extraction.document.unread_pages) == []
    assert compare(extraction.report, [c._asdict() for c in gold.cells]) == []
    units = {
        p.cell.provenance.page: (p.cell.provenance.box.unit, p.cell.provenance.box.dpi)
        for p in iter_cells(extraction.report)
        if p.cell.state == report_pb2.CELL_STATE_NUMBER and not p.cell.derived
    }
    assert units[2] == (report_pb2.COORDINATE_UNIT_PIXELS, 300)
    assert {u for page, u in units.items() if page != 2} == {(report_pb2.COORDINATE_UNIT_POINTS, 0)}


def test_single_page_formats_are_read_as_images(
    scans: dict[tuple[str, int], list[Image.Image]],
) -> None:
    """PNG, JPEG, BMP and WebP pages go through the same reader (the first page: 二's table)."""
    page = scans[("synthetic_2021", 200)][0]
    for fmt in ("PNG", "JPEG", "BMP", "WEBP"):
        content = to_image(page, 200, fmt)
        document = formats.read(content, f"page.{fmt.lower()}")
        assert document.format is SourceFormat.IMAGE
        texts = {
            c.text for b in document.blocks if isinstance(b, Table) for row in b.rows for c in row
        }
        assert {"120", "35", "12.5", "行政许可"} <= texts, (fmt, texts)


def test_page_on_its_side_is_turned_upright(pdfs: dict[str, tuple[Path, Gold]]) -> None:
    pdf, _ = pdfs["synthetic_2021"]
    page = scan_pdf(pdf, Scan(dpi=200, seed=2, seal=False, turn=90))[0]
    blocks = read_image_page(np.asarray(page), 1, 200)
    texts = {c.text for b in blocks if isinstance(b, Table) for row in b.rows for c in row}
    assert {"120", "35", "行政许可"} <= texts


def test_upside_down_page_is_turned_upright(pdfs: dict[str, tuple[Path, Gold]]) -> None:
    pdf, _ = pdfs["synthetic_2021"]
    page = scan_pdf(pdf, Scan(dpi=200, seed=3, seal=False, turn=180))[0]
    blocks = read_image_page(np.asarray(page), 1, 200)
    texts = {c.text for b in blocks if isinstance(b, Table) for row in b.rows for c in row}
    assert {"120", "35", "行政许可"} <= texts


def test_blue_seal_over_the_table_is_read_through(pdfs: dict[str, tuple[Path, Gold]]) -> None:
    """A blue seal stamped over 三 (and the signature): the report still reads to its gold."""
    pdf, gold = pdfs["synthetic_2021"]
    pages = scan_pdf(pdf, Scan(dpi=300, seed=4, seal_colour=SEAL_BLUE))
    judgement = judge(convert(to_tiff(pages, 300), "blue.tif"), gold, THRESHOLD)
    assert judgement.accuracy >= MIN_ACCURACY, "\n".join(judgement.wrong)
    assert not judgement.unflagged, "\n".join(judgement.unflagged)


def test_seal_colour_is_dropped_and_print_beneath_kept() -> None:
    page = np.full((60, 60, 3), 235, dtype=np.uint8)
    page[20:40, 10:50] = (20, 20, 20)  # black print
    seal = np.array([215, 30, 40], dtype=np.float32) / 255
    stamped = (page * seal).astype(np.uint8)  # red ink multiplied over everything
    gray = drop_colour(stamped)
    assert gray[5, 5] > 180  # red over paper: light
    assert gray[30, 30] < 40  # red over black print: still black


def test_skew_is_measured() -> None:
    page = np.full((1400, 1000), 255, dtype=np.uint8)
    for y in range(100, 1300, 40):
        cv2.putText(page, "1234567890 1234567890", (80, y), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    matrix = cv2.getRotationMatrix2D((500, 700), 2.5, 1.0)
    turned = cv2.warpAffine(page, matrix, (1000, 1400), borderValue=255)
    assert abs(skew_angle(binarize(turned)) + 2.5) <= 0.2


def test_grid_keeps_merged_cells() -> None:
    """A 3x3 ruled table whose first column's last two cells are one merged cell."""
    page = np.zeros((800, 1000), dtype=np.uint8)  # ink = 255
    xs, ys = (100, 400, 650, 900), (100, 300, 500, 700)
    for x in xs:
        cv2.line(page, (x, ys[0]), (x, ys[-1]), 255, 2)
    for i, y in enumerate(ys):
        x_start = xs[1] if i == 2 else xs[0]  # no rule across the merged cell
        cv2.line(page, (x_start, y), (xs[-1], y), 255, 2)
    grids, _ = find_tables(page, 200)
    assert len(grids) == 1
    grid = grids[0]
    assert (grid.n_rows, grid.n_cols) == (3, 3)
    merged = [c for c in grid.cells if c.row_span == 2]
    assert len(merged) == 1 and (merged[0].row, merged[0].col) == (1, 0)
    assert len(grid.cells) == 8


def test_broken_image_is_corrupt() -> None:
    page = Image.new("RGB", (100, 100), "white")
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    with pytest.raises(GovreportError) as caught:
        formats.read(buffer.getvalue()[:60], "cut.png")
    assert caught.value.reason is Reason.CORRUPT_DOCUMENT


def test_blank_page_is_empty() -> None:
    page = Image.new("RGB", (850, 1100), "white")
    buffer = io.BytesIO()
    page.save(buffer, "PNG", dpi=(100, 100))
    with pytest.raises(GovreportError) as caught:
        formats.read(buffer.getvalue(), "blank.png")
    assert caught.value.reason is Reason.EMPTY_DOCUMENT
