"""Every gold report rendered as HTML and DOCX in every layout extracts to its gold, through the real server.

The fixture writer (tests/fixtures/writer.py) renders the five seeds and two
synthetic reports with non-zero figures; each layout adjusts the gold to what
it shows (zeros left empty become blank cells).
"""

from __future__ import annotations

import pytest
from fixtures import cases, filename, render
from goldcheck import compare, compare_meta

from govreport.paths import iter_cells
from govreport.v1 import report_pb2, service_pb2, service_pb2_grpc, validation_pb2

FORMATS = {
    "html": service_pb2.DOCUMENT_FORMAT_HTML,
    "docx": service_pb2.DOCUMENT_FORMAT_DOCX,
}


@pytest.mark.parametrize(("stem", "layout"), cases(), ids=lambda v: str(v))
def test_fixture_extracts_to_gold(
    stem: str, layout: str, stub: service_pb2_grpc.ReportExtractorStub
) -> None:
    content, gold = render(stem, layout)
    name = filename(stem, layout)
    extraction = stub.Extract(
        service_pb2.ExtractRequest(content=content, filename=name), timeout=60
    ).extraction
    assert extraction.document.format == FORMATS[name.rsplit(".", 1)[1]]
    mismatches = compare(extraction.report, [c._asdict() for c in gold.cells])
    assert not mismatches, "\n".join(mismatches)
    meta_mismatches = compare_meta(extraction.report, gold.meta)
    assert not meta_mismatches, "\n".join(meta_mismatches)
    # Paged or not, every number points back into the source.
    for cell in _number_cells(extraction.report):
        assert cell.provenance.locator, cell


def test_synthetic_figures_pass_the_rules(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    """The synthetic golds are built to satisfy R1–R5: a finding here is an extraction error."""
    synthetic = [(stem, layout) for stem, layout in cases() if stem.startswith("synthetic")]
    assert synthetic
    for stem, layout in synthetic:
        content, _ = render(stem, layout)
        validation = stub.Extract(
            service_pb2.ExtractRequest(content=content, filename=filename(stem, layout)), timeout=60
        ).extraction.validation
        sums = [
            f for f in validation.findings if f.rule_id in {"R1", "R2", "R3", "R3a", "R4", "R5"}
        ]
        assert sums == [], (stem, layout, [f.message_en for f in sums])
        assert validation.error_count == 0, (stem, layout)
        assert all(f.severity == validation_pb2.SEVERITY_WARNING for f in validation.findings)


def _number_cells(report: report_pb2.AnnualReport) -> list[report_pb2.Cell]:
    return [
        p.cell
        for p in iter_cells(report)
        if p.cell.state == report_pb2.CELL_STATE_NUMBER and not p.cell.derived
    ]
