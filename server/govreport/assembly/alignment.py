"""Placing a grid's rows and columns where its labels and rules fail (scans, above all).

Columns come from the grid, never from where figures sit in a row: 三's
seven columns stand under their header cells, or are the grid's rightmost
seven. Rows found by their labels must follow the template's order; the
ones that do not, and the rows whose labels could not be read, are placed
by their order between the rows that were, and flagged. A label cell
spanning two rows (a rule lost under a seal) is cut in two when its text
is two labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise

from govreport.assembly.labels import RowMatcher
from govreport.assembly.rows import Collected, Hit, SourceRow, has_written, looks_like_value
from govreport.ir import Block, Table, TextCell
from govreport.normalize import label_key, similarity
from govreport.templates import Column, Row

# Which grid column holds each template column of a table: None when it cannot be told.
ColumnMap = Callable[[Table, tuple[Column, ...]], list[int] | None]


def per_table(column_map: ColumnMap) -> ColumnMap:
    """The map worked out once per grid."""
    known: dict[tuple[int, int], list[int] | None] = {}

    def cached(table: Table, columns: tuple[Column, ...]) -> list[int] | None:
        key = (id(table), len(columns))
        if key not in known:
            known[key] = column_map(table, columns)
        return known[key]

    return cached


def applicant_columns(table: Table, columns: tuple[Column, ...]) -> list[int] | None:
    """Where 三's seven columns stand in a grid: under their header cells (自然人 … 总计) when
    the grid has its header, else its rightmost seven columns (the labels are on the left)."""
    width = len(table.rows[0]) if table.rows else 0
    if width <= len(columns):
        return None
    header = _header_columns(table, columns)
    return header or list(range(width - len(columns), width))


def _header_columns(table: Table, columns: tuple[Column, ...]) -> list[int] | None:
    keys = [label_key(c.label.split(" / ")[-1]) for c in columns]
    at: dict[str, int] = {}
    for r in range(len(table.rows)):
        for cell in table.own_cells(r):
            key = label_key(cell.text)
            if key in keys and key not in at:
                at[key] = cell.col
    found = [at.get(k) for k in keys]
    if any(c is None for c in found):
        return None
    placed = [c for c in found if c is not None]
    if any(b <= a for a, b in pairwise(placed)):
        return None
    return placed


# Where one row's label may end and the next one's begin inside a merged cell: a group marker
# "（二）", an item number "2.", a top-level "四、".
_LABEL_START = re.compile(
    r"(?=[（(]\s*[一二三四五六七]\s*[)）])|(?=(?<!\d)\d{1,2}\s*[.．、])|(?=[一二三四]、)"
)


def _rows_spanned(block: Table, cell: TextCell) -> int:
    span = 0
    for r in range(cell.row, len(block.rows)):
        if not any(c is cell for c in block.rows[r]):
            break
        span += 1
    return span


def split_merged_labels(blocks: list[Block], matcher: RowMatcher) -> list[Block]:
    """Grids with the labels of several rows in one cell spanning them (a rule lost under a seal
    merged "一、本年新收…" with "二、上年结转…") given one label cell a row again, when the text
    cuts into as many labels as the cell spans rows and each names a row."""
    out: list[Block] = []
    for block in blocks:
        if not isinstance(block, Table) or not block.grid:
            out.append(block)
            continue
        splits: dict[int, list[TextCell]] = {}
        for r in range(len(block.rows)):
            for cell in block.own_cells(r):
                span = _rows_spanned(block, cell)
                if span < 2 or id(cell) in splits:
                    continue
                parts = [p for p in _LABEL_START.split(cell.text) if label_key(p)]
                if len(parts) != span or any(matcher.match(p) is None for p in parts[1:]):
                    continue
                splits[id(cell)] = [
                    replace(cell, text=part.strip(), row=cell.row + i, confidence=cell.confidence)
                    for i, part in enumerate(parts)
                ]
        if not splits:
            out.append(block)
            continue
        rows = [
            [splits[id(c)][r - c.row] if id(c) in splits else c for c in row]
            for r, row in enumerate(block.rows)
        ]
        out.append(Table(rows, block.grid, block.location))
    return out


def in_order(collected: Collected, rows: tuple[Row, ...]) -> None:
    """Drops the grid rows whose labels were read as a row out of the template's order (a
    misread "（三）不予公开" taken for "（一）予以公开" after （二）): the rows are the longest run
    of labels in the template's order, and the others become unlabelled, to be placed by order."""
    hits = collected.hits
    order = {id(row): i for i, row in enumerate(rows)}
    grid = [i for i, hit in enumerate(hits) if hit.grid]
    weights = [1.0 + 0.5 * _label_fit(hits[i]) + 0.5 * has_written(hits[i]) for i in grid]
    kept = {grid[k] for k in _increasing([order[id(hits[i].row)] for i in grid], weights)}
    kept |= {i for i, hit in enumerate(hits) if not hit.grid}
    if len(kept) == len(hits):
        return
    before = [0] * (len(hits) + 1)  # kept hits before each old position
    for i in range(len(hits)):
        before[i + 1] = before[i] + (i in kept)
    survivors = [hits[i] for i in sorted(kept)]
    claimed = {id(h.source) for h in survivors}
    unlabelled = [(before[pos], source) for pos, source in collected.unlabelled]
    for i, hit in enumerate(hits):
        if i not in kept and hit.source is not None and id(hit.source) not in claimed:
            claimed.add(id(hit.source))
            unlabelled.append((before[i], hit.source))
    unlabelled.sort(key=lambda u: (u[0], u[1].table, u[1].index))
    collected.hits = survivors
    collected.unlabelled = unlabelled


def _label_fit(hit: Hit) -> float:
    """How well the label read matches the row's own wording (0..1): a tie-breaker between two
    orders of the same length, in favour of the labels read most cleanly."""
    key = label_key(hit.label.text)
    return max(similarity(key, label_key(name)) for name in hit.row.names)


def _increasing(values: list[int], weights: list[float]) -> list[int]:
    """Indices of the heaviest strictly increasing subsequence of ``values`` (n is a table's
    rows: the quadratic search is cheap)."""
    best = list(weights)
    previous = [-1] * len(values)
    for i in range(len(values)):
        for j in range(i):
            if values[j] < values[i] and best[j] + weights[i] > best[i]:
                best[i] = best[j] + weights[i]
                previous[i] = j
    out: list[int] = []
    at = max(range(len(values)), key=lambda i: best[i]) if values else -1
    while at >= 0:
        out.append(at)
        at = previous[at]
    return out[::-1]


def by_order(collected: Collected, rows: tuple[Row, ...], column_map: ColumnMap) -> list[Hit]:
    """The hits, and grid rows whose labels could not be read placed by their order.

    Between two rows found by their labels (or before the first, after the
    last), the unlabelled grid rows with figures are the template's rows not
    found there, in order, when there are exactly as many of each. Their
    cells are flagged: the row was placed by where it stands, not by what
    it says.
    """
    hits = collected.hits
    order = {id(row): i for i, row in enumerate(rows)}
    # A group read as one row with its own figures has no items in this report's layout.
    whole = {h.row.names[0] for h in hits if h.row.group_row and has_written(h)}
    expected = [
        r
        for r in rows
        if (not r.group_row or not any(o.parent == r.names[0] for o in rows))
        and r.parent not in whole
    ]
    found = {id(hit.row) for hit in hits}
    out: list[Hit] = []
    gaps: dict[int, list[SourceRow]] = {}
    for position, source in collected.unlabelled:
        if has_figures(source, rows[0].columns, column_map):
            gaps.setdefault(position, []).append(source)
    for position in range(len(hits) + 1):
        waiting = gaps.get(position, [])
        if waiting:
            low = order[id(hits[position - 1].row)] if position > 0 else -1
            high = order[id(hits[position].row)] if position < len(hits) else len(rows)
            free = [r for r in expected if low < order[id(r)] < high and id(r) not in found]
            if len(free) == len(waiting):
                for row, source in zip(free, waiting, strict=True):
                    label = source.cells[0]
                    note = "its label could not be read; placed by its order in the template"
                    hit = Hit(row, label, True, source=source, doubt=note)
                    hit.values = list(source.cells)
                    hit.value_rows.add(id(source))
                    out.append(hit)
        if position < len(hits):
            out.append(hits[position])
    return out


def has_figures(source: SourceRow, columns: tuple[Column, ...], column_map: ColumnMap) -> bool:
    """A grid row whose cells under the template's columns are figures (some written)."""
    if source.block is None:
        return False
    slots = column_map(source.block, columns)
    if slots is None:
        return False
    cells = [source.block.rows[source.index][c] for c in slots]
    written = [c for c in cells if c.text.strip()]
    # Most, not all: a figure misread as "0." or "命" must not cost the row its place.
    figures = sum(1 for c in written if looks_like_value(c, columns[0]))
    return bool(written) and figures * 2 > len(written)
