"""Numbers as the rules read them: blank and "/" in applicant columns are 0, a blank 总计 is not filled in."""

from __future__ import annotations

from decimal import Decimal

from govreport.paths import get_cell
from govreport.v1 import report_pb2 as pb

Number = int | Decimal


def number(report: pb.AnnualReport, path: str, *, blank_is_zero: bool) -> Number | None:
    """The cell's figure, or None when the cell says nothing a rule can use.

    A derived figure (read from prose, or placed by the table's sums) counts:
    the finding that uses it will say so through the cell's own flags.
    """
    cell = get_cell(report, path)
    if cell is None:
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
    return get_cell(report, path) is not None
