"""A section's table rows as the sources give them, and the template rows they are read as.

A ``SourceRow`` is one row of cells (a grid row, a ragged line, a paragraph);
a ``Hit`` is a template row found in one, with the cells read as its values;
``Filled`` is one template cell as finally read. tables.py collects the hits,
alignment.py places the grid rows whose labels could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govreport.assembly.values import Value, parse_value
from govreport.domain import FIGURE_STATES
from govreport.ir import Block, Paragraph, Table, TextCell
from govreport.templates import Column, Row


@dataclass(slots=True)
class Filled:
    """One template cell as read: its value and the source cell it came from."""

    value: Value
    source: TextCell | None = None
    # Why the cell's place is not sure (its row found by order, a cell spanning columns):
    # the cell is flagged with a confidence under the threshold.
    doubt: str = ""


@dataclass(slots=True)
class SourceRow:
    cells: list[TextCell]
    grid: bool  # from a real grid (HTML, DOCX, ruled PDF or scan)
    table: int  # which block it comes from
    first: bool  # the block's first row
    last: bool  # the block's last row
    block: Table | None = None  # the grid it is a row of
    index: int = 0  # its row in that grid


@dataclass(slots=True)
class Hit:
    row: Row
    label: TextCell
    grid: bool
    values: list[TextCell] = field(default_factory=list)
    source: SourceRow | None = None  # the row the label was read in
    # The rows the values were read from (ids of SourceRow): one, the label's own, unless a
    # page break cut the row.
    value_rows: set[int] = field(default_factory=set)
    # Why the row's place is not sure (read by its order, not its label): flags its cells.
    doubt: str = ""


@dataclass(slots=True)
class Collected:
    hits: list[Hit]
    # Grid rows with figures that no label claimed, each with how many hits came before it.
    unlabelled: list[tuple[int, SourceRow]]


def rows_of(blocks: list[Block]) -> list[SourceRow]:
    """Every row of cells in the section, with where it stands."""
    out: list[SourceRow] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            cell = TextCell(block.text, block.location, block.confidence)
            out.append(SourceRow([cell], False, index, True, True))
        else:
            count = len(block.rows)
            grid = block if block.grid else None
            out.extend(
                SourceRow(block.own_cells(i), block.grid, index, i == 0, i == count - 1, grid, i)
                for i in range(count)
            )
    return out


def is_blank(cell: TextCell) -> bool:
    return not cell.text.strip()


def looks_like_value(cell: TextCell, column: Column) -> bool:
    return parse_value(cell.text, column).state in FIGURE_STATES


def has_written(hit: Hit) -> bool:
    return any(c.text.strip() for c in hit.values)


# A value_rows entry for figures taken from another row than the label's (a row a page cut).
ELSEWHERE = -1


# Confidence a cell is given at most when its place is not sure: under any sensible
# GOVREPORT_OCR_MIN_CONFIDENCE, so that Q1 flags the cell for a human look.
DOUBTFUL_CONFIDENCE = 0.5
