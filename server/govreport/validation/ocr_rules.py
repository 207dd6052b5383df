"""Doubtful cells: flagging the ones read or placed with low confidence (Q1), and pointing at the
likely culprit of a broken sum on a scan.

A cell was read by OCR when its box is in pixels. Tesseract's confidence is
a weak signal on its own, so the sums help: a broken R1–R4 finding on a
scanned report names, among its cells, the ones read with the lowest
confidence as the ones to check first (``Finding.suspect_cells``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from govreport.domain import Severity
from govreport.paths import iter_cells, value_text
from govreport.templates import Template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation.findings import finding, label_of
from govreport.validation.registry import Context, check, sum_rules


def read_by_ocr(cell: pb.Cell) -> bool:
    return cell.provenance.box.unit == pb.COORDINATE_UNIT_PIXELS


_EMPTY = (pb.CELL_STATE_MISSING, pb.CELL_STATE_NOT_IN_LAYOUT)


@check(
    "Q1",
    Severity.WARNING,
    "识别置信度低或位置不确定的单元格需人工核对",
    "A cell read by OCR with low confidence, or placed without certainty, needs a human check",
)
def check_confidence(ctx: Context) -> Iterator[vpb.Finding]:
    """Q1: one finding per cell read (by OCR) or placed (its row found by its order, a cell
    spanning columns) with a confidence under the threshold."""
    threshold = ctx.ocr_min_confidence
    for placed in iter_cells(ctx.report, ctx.tpl):
        cell = placed.cell
        if cell.state in _EMPTY or cell.derived or cell.confidence >= threshold:
            continue
        found = value_text(cell) or cell.raw_text
        where = label_of(placed.path)
        if read_by_ocr(cell):
            zh = f"{where}：OCR识别置信度 {cell.confidence:.2f}，低于 {threshold:.2f}，请对照原件核对"
            en = (
                f"{where}: read by OCR with confidence {cell.confidence:.2f}, under "
                f"{threshold:.2f}; check it against the source"
            )
        else:
            why = "; ".join(cell.notes) or "its place in the table is not sure"
            zh = f"{where}：单元格的位置不能确定（{why}），请对照原件核对"
            en = f"{where}: the cell's place is not sure ({why}); check it against the source"
        yield finding("Q1", [placed.path], "", found, zh, en)


def has_ocr_cells(report: pb.AnnualReport, tpl: Template) -> bool:
    return any(read_by_ocr(p.cell) for p in iter_cells(report, tpl))


def point_at_suspects(
    findings: Iterable[vpb.Finding], report: pb.AnnualReport, tpl: Template
) -> None:
    """Fills ``suspect_cells`` of broken sums whose cells were read by OCR."""
    cells = {p.path: p.cell for p in iter_cells(report, tpl)}
    sums = sum_rules()
    for found in findings:
        if found.rule_id not in sums:
            continue
        scanned = [path for path in found.cells if path in cells and read_by_ocr(cells[path])]
        if not scanned:
            continue
        lowest = min(cells[path].confidence for path in scanned)
        found.suspect_cells.extend(p for p in scanned if cells[p].confidence <= lowest + 1e-6)
