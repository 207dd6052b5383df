"""Reading the tables of 二, 三 and 四: template rows found by their labels, values placed in columns.

The reading is anchored on the template, not on the table's drawn shape:
a row is its label followed by its values, wherever the label stands in the
line and however the source flattened the table. Grid sources (HTML, DOCX)
keep a label's values within its row; ragged text sources let them run on
across lines until the next label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

from govreport.assembly.labels import BlockMatcher, RowMatcher, continues_label, is_header
from govreport.assembly.values import Value, parse_value
from govreport.ir import Block, Paragraph, TextCell
from govreport.normalize import label_key
from govreport.template import Column, Kind, Row, Template


@dataclass(slots=True)
class Filled:
    """One template cell as read: its value and the source cell it came from."""

    value: Value
    source: TextCell | None = None


@dataclass(slots=True)
class _Hit:
    row: Row
    label: TextCell
    grid: bool
    values: list[TextCell] = field(default_factory=list)


@dataclass(slots=True)
class _SourceRow:
    cells: list[TextCell]
    grid: bool  # from a real grid (HTML, DOCX, ruled PDF or scan)
    table: int  # which block it comes from
    first: bool  # the block's first row
    last: bool  # the block's last row


def _rows_of(blocks: list[Block]) -> list[_SourceRow]:
    """Every row of cells in the section, with where it stands."""
    out: list[_SourceRow] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            cell = TextCell(block.text, block.location, block.confidence)
            out.append(_SourceRow([cell], False, index, True, True))
        else:
            count = len(block.rows)
            out.extend(
                _SourceRow(block.own_cells(i), block.grid, index, i == 0, i == count - 1)
                for i in range(count)
            )
    return out


def _is_blank(cell: TextCell) -> bool:
    return not cell.text.strip()


def _looks_like_value(cell: TextCell, column: Column) -> bool:
    return parse_value(cell.text, column).state in ("number", "blank", "n/a")


def _collect(
    blocks: list[Block], matcher: RowMatcher, blocks_matcher: BlockMatcher | None
) -> list[_Hit]:
    hits: list[_Hit] = []
    current: _Hit | None = None
    group = ""
    orphan: _Orphan | None = None  # figures of a grid row no label claimed
    for source in _rows_of(blocks):
        cells, grid = source.cells, source.grid
        if grid:
            # A grid row's values never run into the next row, except the rest of a row that a
            # page break cut: its label's tail, then the figures the first part lacked.
            current = _broken_row_rest(hits[-1], cells) if hits else None
        else:
            while cells and _is_blank(cells[0]):
                cells = cells[1:]  # indentation and empty label columns
        hits_before = len(hits)
        claimed: set[int] = set()  # cells of this row that named a template row
        for cell in cells:
            text = cell.text
            row = matcher.match(text, group) if text.strip() else None
            if row is not None:
                claimed.add(id(cell))
            if row is not None and _continues_last(hits, row, source):
                # The rest of a label a page break cut, itself enough to name the row: the
                # figures stay with the part that has them.
                last = hits[-1]
                current = None if any(c.text.strip() for c in last.values) else last
                if current is not None:
                    current.values = []
                continue
            if row is not None:
                current = _Hit(row, cell, grid)
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
            current.values.append(cell)
        if grid and orphan is not None and source.first and len(hits) > hits_before:
            _take_orphan(hits[-1], orphan, matcher, group)
            orphan = None
        elif grid and source.last:
            orphan = _Orphan.of(cells, claimed, hits[-1] if hits else None)
        else:
            orphan = None
    return hits


_FIGURE = re.compile(r"^[\d\s.,+\-/—–]*$")


def _continues_last(hits: list[_Hit], row: Row, source: _SourceRow) -> bool:
    return bool(hits and source.grid and source.first and hits[-1].grid and hits[-1].row is row)


@dataclass(slots=True)
class _Orphan:
    """The figures at the end of a grid's last row whose label (the text just before them) no
    template row claimed: "1.本" + figures, the label cut by a page break. ``owner`` is the hit
    the figures were given to meanwhile (the row's group label, if any)."""

    label: str
    values: list[TextCell]
    owner: _Hit | None

    @classmethod
    def of(cls, cells: list[TextCell], claimed: set[int], last: _Hit | None) -> _Orphan | None:
        labels = [i for i, c in enumerate(cells) if c.text.strip() and not _FIGURE.match(c.text)]
        if not labels or labels[-1] == len(cells) - 1 or id(cells[labels[-1]]) in claimed:
            return None
        values = cells[labels[-1] + 1 :]
        if not any(c.text.strip() for c in values):
            return None
        owner = last if last is not None and any(v in last.values for v in values) else None
        return cls(cells[labels[-1]].text, values, owner)


def _take_orphan(hit: _Hit, orphan: _Orphan, matcher: RowMatcher, group: str) -> None:
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
    if orphan.owner is not None:
        taken = {id(v) for v in orphan.values}
        orphan.owner.values = [v for v in orphan.owner.values if id(v) not in taken]


def _broken_row_rest(last: _Hit, cells: list[TextCell]) -> _Hit | None:
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
        while cells and _is_blank(cells[-1]):
            cells.pop()  # ragged text: trailing empties are layout, not cells
    while cells and not cells[-1].exists:
        cells.pop()  # slots the source row never had
    while len(cells) > width and _is_blank(cells[-1]):
        cells.pop()
    while len(cells) > width and _is_blank(cells[0]):
        cells.pop(0)
    return cells[:width], cells[width:]


def _place(hit: _Hit) -> dict[str, Filled]:
    row = hit.row
    cells, extra = _fit(hit.values, len(row.columns), hit.grid)
    out: dict[str, Filled] = {}
    for i, column in enumerate(row.columns):
        if i < len(cells) and cells[i].exists:
            value = parse_value(cells[i].text, column)
            out[row.cell_path(column)] = Filled(value, cells[i])
        else:
            out[row.cell_path(column)] = Filled(Value("missing"))
    # Only figures are worth a note: words past the row's end are pieces of a label
    # wrapped in its column (a borderless table read line by line), not lost values.
    leftover = [c.text for c in extra if c.text.strip() and _looks_like_value(c, row.columns[-1])]
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
    if any(p.state != "number" or not isinstance(p.value, int) for p in parsed):
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
            out[path] = Filled(Value("number", number, derived=True, notes=[note]), source)
        return
    note = f"{len(figures)} figures for {len(columns)} columns ({' '.join(map(str, figures))}); which column lacks one cannot be told"
    for path in paths:
        out[path] = Filled(Value("missing", notes=[note]))


def _has_own_figures(hit: _Hit) -> bool:
    """A grid row gives its cells even when blank; ragged text only shows what was written."""
    if hit.grid:
        return len(hit.values) >= len(hit.row.columns)
    return any(c.text.strip() for c in hit.values)


def read_row_table(
    blocks: list[Block], rows: tuple[Row, ...], blocks_of: BlockMatcher | None = None
) -> dict[str, Filled]:
    """Reads a table whose rows have labels (二 and 三)."""
    matcher = RowMatcher(rows)
    out: dict[str, Filled] = {}
    for hit in _collect(blocks, matcher, blocks_of):
        if hit.row.group_row and not _has_own_figures(hit):
            continue  # a group label heading its items, no figures of its own
        for path, filled in _place(hit).items():
            if path not in out or out[path].value.state == "missing":
                out[path] = filled
    return out


def read_disclosure(blocks: list[Block], tpl: Template) -> dict[str, Filled]:
    """二: the article blocks and their rows."""
    return read_row_table(blocks, tpl.disclosure_rows, BlockMatcher(tpl.disclosure_blocks))


def read_applications(blocks: list[Block], tpl: Template) -> dict[str, Filled]:
    """三: rows of the seven applicant columns."""
    return read_row_table(blocks, tpl.application_rows)


def read_review(blocks: list[Block], tpl: Template) -> dict[str, Filled]:
    """四: three groups of five columns, usually one unlabelled data row of fifteen figures.

    Reports that give each group its own labelled row are read by label.
    """
    rows = tpl.review_rows
    labelled = read_row_table(blocks, rows)
    if (
        labelled
        and all(f.value.state in ("number", "blank", "n/a") for f in labelled.values())
        and len(labelled) == 15
    ):
        return labelled
    columns = [c for row in rows for c in row.columns]
    figures: list[TextCell] = []
    for source in _rows_of(blocks):
        cells, grid = source.cells, source.grid
        filled = [c for c in cells if c.text.strip()]
        if not all(_looks_like_value(c, columns[0]) for c in filled):
            continue
        # A grid's data row may be all blank (zeros left empty); a ragged blank line says nothing.
        if not filled and not (grid and len(cells) == len(columns)):
            continue
        if not grid:
            cells = filled if len(filled) == len(cells) else _strip_blanks(cells)
        figures.extend(cells)
    out: dict[str, Filled] = {}
    i = 0
    for row in rows:
        for column in row.columns:
            path = row.cell_path(column)
            if i < len(figures):
                out[path] = Filled(parse_value(figures[i].text, column), figures[i])
            else:
                out[path] = Filled(Value("missing"))
            i += 1
    return out


def _strip_blanks(cells: list[TextCell]) -> list[TextCell]:
    start, end = 0, len(cells)
    while start < end and _is_blank(cells[start]):
        start += 1
    while end > start and _is_blank(cells[end - 1]):
        end -= 1
    return cells[start:end]
