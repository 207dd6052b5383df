"""Numbers as the rules read them: blank and "/" in applicant columns are 0, a blank 总计 is not filled in."""

from __future__ import annotations

from decimal import Decimal

from govreport.paths import get_cell, iter_cells
from govreport.templates import Template
from govreport.v1 import report_pb2 as pb

Number = int | Decimal


def number(report: pb.AnnualReport, path: str, *, blank_is_zero: bool) -> Number | None:
    """The cell's figure, or None when the cell says nothing a rule can use.

    A derived figure (read from prose, or placed by the table's sums) counts:
    the finding that uses it will say so through the cell's own flags.
    """
    cell = get_cell(report, path)
    if cell is None or cell.state == pb.CELL_STATE_NOT_IN_LAYOUT:
        return None
    if cell.state in (pb.CELL_STATE_BLANK, pb.CELL_STATE_NOT_APPLICABLE):
        return 0 if blank_is_zero else None
    which = cell.WhichOneof("value")
    if which is None:
        return None
    if which == "amount":
        return Decimal(cell.amount)
    value: int = getattr(cell, which)
    return value


def is_set(report: pb.AnnualReport, path: str) -> bool:
    """True for a cell the report's layout has (read or missing)."""
    cell = get_cell(report, path)
    return cell is not None and cell.state != pb.CELL_STATE_NOT_IN_LAYOUT


def tables_without_figures(report: pb.AnnualReport, tpl: Template) -> set[str]:
    """Table sections ("二", "三", "四") the report has none of the cells of (all MISSING):
    the table was left out, or is an image the reader could not see into."""
    seen: dict[str, bool] = {}
    for placed in iter_cells(report, tpl):
        given = placed.cell.state not in (pb.CELL_STATE_MISSING, pb.CELL_STATE_NOT_IN_LAYOUT)
        seen[placed.section] = seen.get(placed.section, False) or given
    return {section for section in ("二", "三", "四") if not seen.get(section, False)}
