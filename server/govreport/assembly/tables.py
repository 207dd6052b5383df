"""Reading the tables of 二, 三 and 四: template rows found by their labels, values placed in columns.

The reading is anchored on the template, not on the table's drawn shape:
a row is its label followed by its values, wherever the label stands in the
line and however the source flattened the table. Grid sources (HTML, DOCX)
keep a label's values within its row; ragged text sources let them run on
across lines until the next label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from govreport.assembly.alignment import (
    ColumnMap,
    applicant_columns,
    by_order,
    in_order,
    per_table,
    split_merged_labels,
)
from govreport.assembly.labels import BlockMatcher, RowMatcher, continues_label, is_header
from govreport.assembly.rows import (
    DOUBTFUL_CONFIDENCE,
    ELSEWHERE,
    Collected,
    Filled,
    Hit,
    SourceRow,
    is_blank,
    looks_like_value,
    rows_of,
)
from govreport.assembly.values import Value, parse_value
from govreport.domain import FIGURE_STATES, CellState
from govreport.ir import Block, TextCell
from govreport.normalize import label_key
from govreport.templates import Kind, Row, Template

__all__ = ["DOUBTFUL_CONFIDENCE", "Filled", "read_applications", "read_disclosure", "read_review"]


def _collect(
    blocks: list[Block], matcher: RowMatcher, blocks_matcher: BlockMatcher | None
) -> Collected:
    hits: list[Hit] = []
    unlabelled: list[tuple[int, SourceRow]] = []
    current: Hit | None = None
    group = ""
    orphan: _Orphan | None = None  # figures of a grid row no label claimed
    for source in rows_of(blocks):
        cells, grid = source.cells, source.grid
        if grid:
            # A grid row's values never run into the next row, except the rest of a row that a
            # page break cut: its label's tail, then the figures the first part lacked.
            current = _broken_row_rest(hits[-1], cells) if hits else None
        else:
            while cells and is_blank(cells[0]):
                cells = cells[1:]  # indentation and empty label columns
        hits_before = len(hits)
        claimed: set[int] = set()  # cells of this row that named a template row
        unreadable = False  # an item's label no row matched, after its group's label
        for cell in cells:
            text = cell.text
            row = matcher.match(text, group) if text.strip() else None
            if row is not None:
                claimed.add(id(cell))
            if row is not None and _continues_last(hits, row, source):
                # The rest of a label a page break cut, itself enough to name the row: the
                # figures stay with the part that has them.
                last = next(h for h in reversed(hits) if h.row is row)
                current = None if any(c.text.strip() for c in last.values) else last
                if current is not None:
                    current.values = []
                continue
            if row is not None:
                current = Hit(row, cell, grid, source=source)
                hits.append(current)
                group = row.names[0] if row.group_row else (row.parent or group)
                continue
            if blocks_matcher is not None and blocks_matcher.match(text):
                current = None
                continue
            if current is None:
                continue
            if text.strip() and continues_label(text, current.row, current.label.text):
                continue
            if text.strip() and is_header(text):
                current = None
                continue
            if (
                grid
                and current.row.group_row
                and current.source is source
                and not current.values
                and text.strip()
                and not looks_like_value(cell, current.row.columns[0])
            ):
                # The group's label, then words no row matched: an item's label misread (OCR),
                # not the group's own figures. The row is placed by its order.
                current = None
                unreadable = True
                continue
            current.values.append(cell)
            current.value_rows.add(id(source))
        leaf = any(not h.row.group_row for h in hits[hits_before:])
        if grid and not leaf and (unreadable or (not claimed and current is None)):
            unlabelled.append((len(hits), source))
        if grid and orphan is not None and source.first and len(hits) > hits_before:
            _take_orphan(hits[-1], orphan, matcher, group)
            orphan = None
        elif grid and source.last:
            orphan = _Orphan.of(cells, claimed, hits[-1] if hits else None)
        else:
            orphan = None
    return Collected(hits, unlabelled)


_FIGURE = re.compile(r"^[\d\s.,+\-/—–]*$")


def _continues_last(hits: list[Hit], row: Row, source: SourceRow) -> bool:
    """True for a label at the top of a grid that repeats one of the last rows read: the rest
    of a row a page break cut (its item's label, and its group's when that was cut too)."""
    return bool(source.grid and source.first and any(h.grid and h.row is row for h in hits[-2:]))


@dataclass(slots=True)
class _Orphan:
    """The figures at the end of a grid's last row whose label (the text just before them) no
    template row claimed: "1.本" + figures, the label cut by a page break. ``owner`` is the hit
    the figures were given to meanwhile (the row's group label, if any)."""

    label: str
    values: list[TextCell]
    owner: Hit | None

    @classmethod
    def of(cls, cells: list[TextCell], claimed: set[int], last: Hit | None) -> _Orphan | None:
        labels = [i for i, c in enumerate(cells) if c.text.strip() and not _FIGURE.match(c.text)]
        if not labels or labels[-1] == len(cells) - 1 or id(cells[labels[-1]]) in claimed:
            return None
        values = cells[labels[-1] + 1 :]
        if not any(c.text.strip() for c in values):
            return None
        owner = last if last is not None and any(v in last.values for v in values) else None
        return cls(cells[labels[-1]].text, values, owner)


def _take_orphan(hit: Hit, orphan: _Orphan, matcher: RowMatcher, group: str) -> None:
    """The first row of the next page's grid gives the label's rest with blank cells: the
    figures are the orphan's, when the two halves of the label make the row's name."""
    if not hit.grid or hit.row.group_row or any(c.text.strip() for c in hit.values):
        return
    names = {label_key(name) for name in hit.row.names}
    if label_key(hit.label.text) in names:
        return  # the whole label: a row of its own, not the rest of a cut one
    if matcher.match(orphan.label + hit.label.text, group) is not hit.row:
        return
    hit.values = orphan.values
    hit.value_rows.add(ELSEWHERE)
    if orphan.owner is not None:
        taken = {id(v) for v in orphan.values}
        orphan.owner.values = [v for v in orphan.owner.values if id(v) not in taken]


def _broken_row_rest(last: Hit, cells: list[TextCell]) -> Hit | None:
    if not last.grid or last.row.group_row or any(c.text.strip() for c in last.values):
        return None
    texts = [c.text for c in cells if c.text.strip()]
    if texts and continues_label(texts[0], last.row, last.label.text):
        last.values = []
        return last
    return None


def _fit(values: list[TextCell], width: int, grid: bool) -> tuple[list[TextCell], list[TextCell]]:
    """The row's value cells cut to the template's width, and the cells left over."""
    cells = list(values)
    if not grid:
        while cells and is_blank(cells[-1]):
            cells.pop()  # ragged text: trailing empties are layout, not cells
    while cells and not cells[-1].exists:
        cells.pop()  # slots the source row never had
    while len(cells) > width and is_blank(cells[-1]):
        cells.pop()
    while len(cells) > width and is_blank(cells[0]):
        cells.pop(0)
    return cells[:width], cells[width:]


def _slot_cells(hit: Hit, column_map: ColumnMap | None) -> list[TextCell] | None:
    """The cells of the label's own grid row under the template's columns, when the grid's
    columns are known: figures are placed by the columns they stand in, never by counting
    the cells of the row, so a blank cell merged with its neighbour shifts nothing."""
    source = hit.source
    if column_map is None or source is None or source.block is None:
        return None
    if not hit.value_rows <= {id(source)}:
        return None  # figures from the rest of a row a page break cut
    columns = column_map(source.block, hit.row.columns)
    if columns is None:
        return None
    row = source.block.rows[source.index]
    return [row[c] for c in columns]


def _place_slots(hit: Hit, cells: list[TextCell]) -> dict[str, Filled]:
    row = hit.row
    out: dict[str, Filled] = {}
    owners: dict[int, int] = {}  # cell id -> how many template columns it stands under
    for cell in cells:
        owners[id(cell)] = owners.get(id(cell), 0) + 1
    placed: set[int] = set()
    for column, cell in zip(row.columns, cells, strict=True):
        path = row.cell_path(column)
        if not cell.exists or cell is hit.label:
            out[path] = Filled(Value(CellState.MISSING))
            continue
        value = parse_value(cell.text, column)
        notes: list[str] = []
        if owners[id(cell)] > 1 and value.state != CellState.BLANK:
            if id(cell) in placed:
                note = "one cell of the source spans this column and the one before it"
                out[path] = Filled(Value(CellState.MISSING, notes=[note]))
                continue
            notes.append(f"the cell spans {owners[id(cell)]} of the template's columns")
        if (source := hit.source) and cell.row != source.index and value.state != CellState.BLANK:
            notes.append("the cell is merged with the row above")
        placed.add(id(cell))
        doubt = "; ".join(n for n in (hit.doubt, *notes) if n)
        out[path] = Filled(value, cell, doubt=doubt)
    return out


def _place(hit: Hit, column_map: ColumnMap | None = None) -> dict[str, Filled]:
    row = hit.row
    slots = _slot_cells(hit, column_map)
    if slots is not None:
        return _place_slots(hit, slots)
    cells, extra = _fit(hit.values, len(row.columns), hit.grid)
    out: dict[str, Filled] = {}
    for i, column in enumerate(row.columns):
        if i < len(cells) and cells[i].exists:
            value = parse_value(cells[i].text, column)
            out[row.cell_path(column)] = Filled(value, cells[i])
        else:
            out[row.cell_path(column)] = Filled(Value(CellState.MISSING))
    # Only figures are worth a note: words past the row's end are pieces of a label
    # wrapped in its column (a borderless table read line by line), not lost values.
    leftover = [c.text for c in extra if c.text.strip() and looks_like_value(c, row.columns[-1])]
    if leftover:
        note = f"figures after the row's {len(row.columns)} columns ignored: {' '.join(leftover)}"
        for filled in out.values():
            filled.value.notes.append(note)
    if 0 < len(cells) < len(row.columns):
        _complete_from_total(row, cells, out)
    return out


def _complete_from_total(row: Row, cells: list[TextCell], out: dict[str, Filled]) -> None:
    """A row short of figures (a column lost at a page break): place them if only one way fits.

    Each way of spreading the figures over the columns, with the gaps solved
    from 总计 = the sum of the others, is tried. When every way that holds
    gives the same numbers, those are the row's values (flagged derived);
    otherwise the row is left as read, with its cells marked missing.
    """
    columns = row.columns
    if (
        len(columns) < 3
        or any(c.kind is not Kind.COUNT for c in columns)
        or columns[-1].field != "total"
    ):
        return
    parsed = [parse_value(c.text, columns[0]) for c in cells]
    if any(p.state != CellState.NUMBER or not isinstance(p.value, int) for p in parsed):
        return
    figures = [int(p.value) for p in parsed if isinstance(p.value, int)]
    gaps = len(columns) - len(figures)
    if gaps != 1:
        return
    outcomes: set[tuple[int, ...]] = set()
    for missing in combinations(range(len(columns)), gaps):
        values: list[int | None] = []
        it = iter(figures)
        for i in range(len(columns)):
            values.append(None if i in missing else next(it))
        gap = missing[0]
        if gap == len(columns) - 1:
            values[gap] = sum(v for v in values[:-1] if v is not None)
        else:
            total = values[-1]
            assert total is not None
            rest = total - sum(v for i, v in enumerate(values[:-1]) if v is not None and i != gap)
            if rest < 0:
                continue
            values[gap] = rest
        outcomes.add(tuple(v for v in values if v is not None))
    paths = [row.cell_path(c) for c in columns]
    if len(outcomes) == 1:
        (solution,) = outcomes
        note = (
            f"{len(figures)} figures for {len(columns)} columns; placed by 总计 = sum of the others"
        )
        for path, number in zip(paths, solution, strict=True):
            source = out[path].source
            out[path] = Filled(Value(CellState.NUMBER, number, derived=True, notes=[note]), source)
        return
    note = f"{len(figures)} figures for {len(columns)} columns ({' '.join(map(str, figures))}); which column lacks one cannot be told"
    for path in paths:
        out[path] = Filled(Value(CellState.MISSING, notes=[note]))


def _has_own_figures(hit: Hit) -> bool:
    """A grid row gives its cells even when blank; ragged text only shows what was written."""
    if hit.grid:
        return len(hit.values) >= len(hit.row.columns)
    return any(c.text.strip() for c in hit.values)


def read_row_table(
    blocks: list[Block],
    rows: tuple[Row, ...],
    blocks_of: BlockMatcher | None = None,
    column_map: ColumnMap | None = None,
) -> dict[str, Filled]:
    """Reads a table whose rows have labels (二 and 三)."""
    matcher = RowMatcher(rows)
    if column_map is not None:
        column_map = per_table(column_map)
        blocks = split_merged_labels(blocks, matcher)
    collected = _collect(blocks, matcher, blocks_of)
    hits = collected.hits
    if column_map is not None:
        in_order(collected, rows)
        hits = by_order(collected, rows, column_map)
    out: dict[str, Filled] = {}
    for hit in hits:
        if hit.row.group_row and not _has_own_figures(hit):
            continue  # a group label heading its items, no figures of its own
        placed = _place(hit, column_map)
        # A row named twice (a label, and a heading word that looks like it) keeps the
        # reading with more figures; the first of two equal ones.
        kept = [out[p] for p in placed if p in out]
        if not kept or _figures(placed.values()) > _figures(kept):
            out.update(placed)
        else:
            for path, filled in placed.items():
                if out.get(path) is None or out[path].value.state == CellState.MISSING:
                    out[path] = filled
    return out


def _figures(cells: Iterable[Filled]) -> int:
    return sum(1 for f in cells if f.value.state in FIGURE_STATES)


def read_disclosure(blocks: list[Block], tpl: Template) -> dict[str, Filled]:
    """二: the article blocks and their rows."""
    return read_row_table(blocks, tpl.disclosure_rows, BlockMatcher(tpl.disclosure_blocks))


def read_applications(blocks: list[Block], tpl: Template) -> dict[str, Filled]:
    """三: rows of the seven applicant columns."""
    return read_row_table(blocks, tpl.application_rows, column_map=applicant_columns)


def read_review(blocks: list[Block], tpl: Template) -> dict[str, Filled]:
    """四: three groups of five columns, usually one unlabelled data row of fifteen figures.

    Reports that give each group its own labelled row are read by label.
    """
    rows = tpl.review_rows
    labelled = read_row_table(blocks, rows)
    if (
        labelled
        and all(f.value.state in FIGURE_STATES for f in labelled.values())
        and len(labelled) == 15
    ):
        return labelled
    columns = [c for row in rows for c in row.columns]
    figures: list[TextCell] = []
    doubts: dict[int, str] = {}  # index into figures -> why its place is not sure
    for source in rows_of(blocks):
        cells, grid = source.cells, source.grid
        block = source.block
        if block is not None and len(block.rows[source.index]) >= len(columns):
            # The grid's last fifteen columns, slot by slot: a blank cell merged with its
            # neighbour is blank in both and shifts nothing after it.
            slots = _one_slot_a_figure(block.rows[source.index], len(columns))
            cells = slots[-len(columns) :]
        filled = [c for c in cells if c.text.strip()]
        if not all(looks_like_value(c, columns[0]) for c in filled):
            continue
        # A grid's data row may be all blank (zeros left empty); a ragged blank line says nothing.
        if not filled and not (grid and len(cells) == len(columns)):
            continue
        if not grid:
            cells = filled if len(filled) == len(cells) else _strip_blanks(cells)
        for k, cell in enumerate(cells):
            if cell.text.strip() and any(other is cell for other in cells[:k]):
                doubts[len(figures) + k] = "one cell of the source spans this column and another"
        figures.extend(cells)
    out: dict[str, Filled] = {}
    i = 0
    for row in rows:
        for column in row.columns:
            path = row.cell_path(column)
            if i < len(figures):
                value = parse_value(figures[i].text, column)
                out[path] = Filled(value, figures[i], doubt=doubts.get(i, ""))
            else:
                out[path] = Filled(Value(CellState.MISSING))
            i += 1
    return out


def _one_slot_a_figure(slots: list[TextCell], wanted: int) -> list[TextCell]:
    """A row with more grid slots than columns, less the second slot of each figure that spans
    two: a converted .doc gives a column boundary of one row to every row, so 行政复议's 总计
    spans two slots and the fifteen figures stand in sixteen. Blank spans stay (two blank
    columns merged are two columns), and so does everything when too few would remain."""
    if len(slots) <= wanted:
        return slots
    merged = [
        cell
        for k, cell in enumerate(slots)
        if k == 0 or cell is not slots[k - 1] or not cell.text.strip()
    ]
    return merged if len(merged) >= wanted else slots


def _strip_blanks(cells: list[TextCell]) -> list[TextCell]:
    start, end = 0, len(cells)
    while start < end and is_blank(cells[start]):
        start += 1
    while end > start and is_blank(cells[end - 1]):
        end -= 1
    return cells[start:end]
