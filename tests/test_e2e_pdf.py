"""Digital PDFs end to end, through the real server: every gold report in every PDF layout
(fixtures/pdf.py: LibreOffice conversions of the DOCX layouts, and PDFs drawn with reportlab)
extracts to its gold, cell for cell, with page and box provenance; and the PDF error contract.

The PDFs are made once per session (the ``pdf_fixtures`` fixture of conftest.py).
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import grpc
import pdfplumber
import pytest
from fixtures import Gold, load_gold
from fixtures.pdf import (
    CONVERTED,
    KANGXI,
    PdfFixtures,
    draw,
    draw_encrypted,
    draw_with_scan,
    page_sizes,
    pdf_cases,
    zero_page_pdf,
)
from goldcheck import compare, compare_meta, expected_notation
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from govreport.paths import iter_cells
from govreport.v1 import report_pb2, service_pb2, service_pb2_grpc

Stub = service_pb2_grpc.ReportExtractorStub
SUM_RULES = {"R1", "R2", "R3", "R3a", "R4", "R5"}


def extract(stub: Stub, content: bytes, name: str) -> service_pb2.Extraction:
    request = service_pb2.ExtractRequest(content=content, filename=name)
    return stub.Extract(request, timeout=60).extraction


def gold_rows(gold: Gold) -> list[dict[str, str]]:
    return [cell._asdict() for cell in gold.cells]


def error_reason(err: grpc.RpcError) -> str:
    assert isinstance(err, grpc.Call)
    status = rpc_status.from_call(err)
    assert status is not None, f"no rich status in {err.details()!r}"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            assert info.domain == "govreport"
            return str(info.reason)
    raise AssertionError(f"no ErrorInfo in {err.details()!r}")


def number_cells(report: report_pb2.AnnualReport) -> list[tuple[str, report_pb2.Cell]]:
    return [
        (f"{p.section} | {p.row.label} | {p.column.label}", p.cell)
        for p in iter_cells(report)
        if p.cell.state == report_pb2.CELL_STATE_NUMBER
    ]


def provenance_faults(
    report: report_pb2.AnnualReport, sizes: list[tuple[float, float]]
) -> list[str]:
    """Every number must point at a page of the PDF and a box, in points, inside that page."""
    faults = []
    for where, cell in number_cells(report):
        place = cell.provenance
        if not 1 <= place.page <= len(sizes):
            faults.append(f"{where}: page {place.page} of {len(sizes)}")
            continue
        width, height = sizes[place.page - 1]
        box = place.box
        if not place.HasField("box") or box.unit != report_pb2.COORDINATE_UNIT_POINTS:
            faults.append(f"{where}: no box in points ({place})")
        elif not (0 <= box.x0 < box.x1 <= width + 0.5 and 0 <= box.y0 < box.y1 <= height + 0.5):
            faults.append(
                f"{where}: box ({box.x0:.1f}, {box.y0:.1f}, {box.x1:.1f}, {box.y1:.1f}) "
                f"outside the {width:.0f}×{height:.0f} page {place.page}"
            )
    return faults


# ---------------------------------------------------------------- every gold × every layout


@pytest.mark.parametrize(("stem", "layout"), pdf_cases(), ids=lambda v: str(v))
def test_pdf_extracts_to_gold(
    stem: str, layout: str, stub: Stub, pdf_fixtures: PdfFixtures
) -> None:
    content, gold = pdf_fixtures.get(stem, layout)
    extraction = extract(stub, content, f"{stem}.pdf")
    document = extraction.document
    assert document.format == service_pb2.DOCUMENT_FORMAT_PDF
    sizes = page_sizes(content)
    assert document.page_count == len(sizes)
    assert list(document.unread_pages) == []

    mismatches = compare(extraction.report, gold_rows(gold))
    assert not mismatches, (
        f"{len(mismatches)} cells differ ({pdf_fixtures.path(stem, layout)}):\n"
        + "\n".join(mismatches)
    )
    # The PDF's CreationDate (a few days before publication, or in January of the next year
    # for a report that gives no date) is not the publication date: the gold stands as is.
    meta_mismatches = compare_meta(extraction.report, gold.meta)
    assert not meta_mismatches, "\n".join(meta_mismatches)

    faults = provenance_faults(extraction.report, sizes)
    assert not faults, "\n".join(faults)
    if stem.startswith("synthetic"):  # built to satisfy R1–R5: a finding is an extraction error
        sums = [f.message_en for f in extraction.validation.findings if f.rule_id in SUM_RULES]
        assert sums == []
        assert extraction.validation.error_count == 0

    pages_of_three = {
        cell.provenance.page
        for where, cell in number_cells(extraction.report)
        if where.startswith("三 ")
    }
    if layout in ("pdf_split", "pdf_split_header"):
        assert len(pages_of_three) == 2, "三 is split across two pages"
    if layout == "pdf_landscape":
        (page,) = pages_of_three
        width, height = sizes[page - 1]
        assert width > height, "三 is on a landscape page"
    # A ruled cell has a grid locator ("page[2]/table/row[5]/cell[4]"); a ragged row's has none.
    in_grids = {bool(cell.provenance.locator) for _, cell in number_cells(extraction.report)}
    if layout == "pdf_borderless":
        assert in_grids == {False}, "a borderless table is read from its lines, not from rules"
    if layout == "pdf_ruled":
        assert in_grids == {True}


def test_every_layout_has_cases() -> None:
    layouts = {layout for _, layout in pdf_cases()}
    assert {"pdf_ruled", "pdf_borderless", "pdf_split", "pdf_landscape", "pdf_kangxi"} <= layouts
    assert set(CONVERTED) <= layouts
    assert {"pdf_lo_merged", "pdf_lo_split"} <= set(CONVERTED)


# ---------------------------------------------------------------- the fixtures show what they claim


def _chars(content: bytes) -> list[dict[str, object]]:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return [char for page in pdf.pages for char in page.chars]


def test_kangxi_layout_text_layer_has_radicals_full_width_digits_and_nbsp() -> None:
    content, _ = draw("synthetic_2021", "pdf_kangxi")
    text = "".join(str(c["text"]) for c in _chars(content))
    assert all(form in text for form in KANGXI.values())  # "⼀" U+2F00, "⽇" U+2F47, …
    assert not any(plain in text for plain in KANGXI)  # the ordinary forms are all replaced
    assert "１" in text and "\u00a0" in text


def test_bold_twice_layout_draws_headings_twice() -> None:
    content, _ = draw("synthetic_2021", "pdf_bold_twice")
    heading = [c for c in _chars(content) if c["text"] == "总" and float(str(c["size"])) == 12.0]
    xs = sorted(float(str(c["x0"])) for c in heading)
    assert len(xs) >= 2 and any(0.1 < b - a < 0.3 for a, b in itertools.pairwise(xs))


# ---------------------------------------------------------------- the error contract


def assert_reason(err: pytest.ExceptionInfo[grpc.RpcError], reason: str) -> None:
    assert isinstance(err.value, grpc.Call)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert error_reason(err.value) == reason, err.value.details()
    assert err.value.details()


def test_user_password_is_encrypted_document(stub: Stub) -> None:
    content, _ = draw_encrypted("synthetic_2021", user_password="secret", owner_password="owner")
    with pytest.raises(grpc.RpcError) as err:
        extract(stub, content, "locked.pdf")
    assert_reason(err, "ENCRYPTED_DOCUMENT")
    assert "password" in err.value.details()  # type: ignore[attr-defined]


def test_owner_password_only_opens_normally(stub: Stub) -> None:
    content, gold = draw_encrypted("synthetic_2021", user_password="", owner_password="owner")
    assert b"/Encrypt" in content
    extraction = extract(stub, content, "restricted.pdf")
    assert compare(extraction.report, gold_rows(gold)) == []
    assert compare_meta(extraction.report, gold.meta) == []


def test_truncated_pdf_is_corrupt_or_never_wrong(stub: Stub) -> None:
    content, gold = draw("synthetic_2021", "pdf_ruled")
    try:
        extraction = extract(stub, content[: len(content) // 2], "truncated.pdf")
    except grpc.RpcError as err:
        assert isinstance(err, grpc.Call)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
        assert error_reason(err) == "CORRUPT_DOCUMENT", err.details()
        assert "truncated" in (err.details() or "")
        return
    # Whatever pages pdfminer recovers, no number may be silently wrong: a cell is its gold or MISSING.
    expected = {(c.section, c.row, c.column): c.expected for c in gold.cells}
    wrong = {
        key: notation
        for placed in iter_cells(extraction.report)
        if (notation := expected_notation(placed.cell)) != "missing"
        and notation != expected.get(key := (placed.section, placed.row.label, placed.column.label))
    }
    assert wrong == {}


def test_text_named_pdf_is_read_as_text(stub: Stub) -> None:
    stem = "003_0664ff578f774794"
    sample = Path(__file__).parents[1] / "server/govreport/samples" / f"{stem}.txt"
    extraction = extract(stub, sample.read_bytes(), "x.pdf")
    assert extraction.document.format == service_pb2.DOCUMENT_FORMAT_TEXT
    gold = load_gold(stem)
    assert compare(extraction.report, gold_rows(gold)) == []


def test_image_only_page_without_text_is_listed_unread(stub: Stub) -> None:
    content, gold = draw_with_scan("synthetic_2021", page=2)
    extraction = extract(stub, content, "scanned-page.pdf")
    unread = list(extraction.document.unread_pages)
    assert [page.page for page in unread] == [2]
    assert "OCR found no text" in unread[0].reason  # bars, not letters: OCR was tried
    assert extraction.document.page_count == len(page_sizes(content))
    # The scan was an extra sheet: everything else is read, and nothing from page 2.
    assert compare(extraction.report, gold_rows(gold)) == []
    assert all(cell.provenance.page != 2 for _, cell in number_cells(extraction.report))


def test_zero_page_pdf_is_empty_document(stub: Stub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        extract(stub, zero_page_pdf(), "empty.pdf")
    assert_reason(err, "EMPTY_DOCUMENT")
