"""Reading the tables of 二, 三 and 四: template rows found by their labels, values placed in columns.

The reading is anchored on the template, not on the table's drawn shape:
a row is its label followed by its values, wherever the label stands in the
line and however the source flattened the table. Grid sources (HTML, DOCX)
keep a label's values within its row; ragged text sources let them run on
across lines until the next label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import combinations, pairwise

from govreport.assembly.labels import (
    BlockMatcher,
    RowMatcher,
    continues_label,
    is_header,
    similarity,
)
from govreport.assembly.values import Value, parse_value
from govreport.ir import Block, Paragraph, Table, TextCell
from govreport.normalize import label_key
from govreport.template import Column, Kind, Row, Template


@dataclass(slots=True)
class Filled:
    """One template cell as read: its value and the source cell it came from."""

    value: Value
    source: TextCell | None = None
    # Why the cell's place is not sure (its row found by order, a cell spanning columns):
    # the cell is flagged with a confidence under the threshold.
    doubt: str = ""


@dataclass(slots=True)
class _SourceRow:
    cells: list[TextCell]
    grid: bool  # from a real grid (HTML, DOCX, ruled PDF or scan)
    table: int  # which block it comes from
    first: bool  # the block's first row
    last: bool  # the block's last row
    block: Table | None = None  # the grid it is a row of
    index: int = 0  # its row in that grid


@dataclass(slots=True)
class _Hit:
    row: Row
    label: TextCell
    grid: bool
    values: list[TextCell] = field(default_factory=list)
    source: _SourceRow | None = None  # the row the label was read in
    # The rows the values were read from (ids of _SourceRow): one, the label's own, unless a
    # page break cut the row.
    value_rows: set[int] = field(default_factory=set)
    # Why the row's place is not sure (read by its order, not its label): flags its cells.
    doubt: str = ""


def _rows_of(blocks: list[Block]) -> list[_SourceRow]:
    """Every row of cells in the section, with where it stands."""
    out: list[_SourceRow] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            cell = TextCell(block.text, block.location, block.confidence)
            out.append(_SourceRow([cell], False, index, True, True))
        else:
            count = len(block.rows)
            grid = block if block.grid else None
            out.extend(
                _SourceRow(block.own_cells(i), block.grid, index, i == 0, i == count - 1, grid, i)
                for i in range(count)
            )
    return out


def _is_blank(cell: TextCell) -> bool:
    return not cell.text.strip()


def _looks_like_value(cell: TextCell, column: Column) -> bool:
    return parse_value(cell.text, column).state in ("number", "blank", "n/a")


@dataclass(slots=True)
class _Collected:
    hits: list[_Hit]
    # Grid rows with figures that no label claimed, each with how many hits came before it.
    unlabelled: list[tuple[int, _SourceRow]]


def _collect(
    blocks: list[Block], matcher: RowMatcher, blocks_matcher: BlockMatcher | None
) -> _Collected:
    hits: list[_Hit] = []
    unlabelled: list[tuple[int, _SourceRow]] = []
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
                current = _Hit(row, cell, grid, source=source)
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
                and not _looks_like_value(cell, current.row.columns[0])
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
    return _Collected(hits, unlabelled)


_FIGURE = re.compile(r"^[\d\s.,+\-/—–]*$")


def _continues_last(hits: list[_Hit], row: Row, source: _SourceRow) -> bool:
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
    hit.value_rows.add(_ELSEWHERE)
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


# A value_rows entry for figures taken from another row than the label's (a row a page cut).
_ELSEWHERE = -1
# Confidence a cell is given at most when its place is not sure: under any sensible
# GOVREPORT_OCR_MIN_CONFIDENCE, so that Q1 flags the cell for a human look.
DOUBTFUL_CONFIDENCE = 0.5

# Which grid column holds each template column of a table: None when it cannot be told.
ColumnMap = Callable[[Table, tuple[Column, ...]], list[int] | None]


def _slot_cells(hit: _Hit, column_map: ColumnMap | None) -> list[TextCell] | None:
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


def _place_slots(hit: _Hit, cells: list[TextCell]) -> dict[str, Filled]:
    row = hit.row
    out: dict[str, Filled] = {}
    owners: dict[int, int] = {}  # cell id -> how many template columns it stands under
    for cell in cells:
        owners[id(cell)] = owners.get(id(cell), 0) + 1
    placed: set[int] = set()
    for column, cell in zip(row.columns, cells, strict=True):
        path = row.cell_path(column)
        if not cell.exists or cell is hit.label:
            out[path] = Filled(Value("missing"))
            continue
        value = parse_value(cell.text, column)
        notes: list[str] = []
        if owners[id(cell)] > 1 and value.state != "blank":
            if id(cell) in placed:
                note = "one cell of the source spans this column and the one before it"
                out[path] = Filled(Value("missing", notes=[note]))
                continue
            notes.append(f"the cell spans {owners[id(cell)]} of the template's columns")
        if (source := hit.source) and cell.row != source.index and value.state != "blank":
            notes.append("the cell is merged with the row above")
        placed.add(id(cell))
        value.notes.extend(notes)
        out[path] = Filled(value, cell, doubt="; ".join(notes) if notes else hit.doubt)
    return out


def _place(hit: _Hit, column_map: ColumnMap | None = None) -> dict[str, Filled]:
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
    blocks: list[Block],
    rows: tuple[Row, ...],
    blocks_of: BlockMatcher | None = None,
    column_map: ColumnMap | None = None,
) -> dict[str, Filled]:
    """Reads a table whose rows have labels (二 and 三)."""
    matcher = RowMatcher(rows)
    if column_map is not None:
        column_map = _per_table(column_map)
        blocks = _split_merged_labels(blocks, matcher)
    collected = _collect(blocks, matcher, blocks_of)
    hits = collected.hits
    if column_map is not None:
        _in_order(collected, rows)
        hits = _by_order(collected, rows, column_map)
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
                if out.get(path) is None or out[path].value.state == "missing":
                    out[path] = filled
    return out


def _per_table(column_map: ColumnMap) -> ColumnMap:
    """The map worked out once per grid."""
    known: dict[tuple[int, int], list[int] | None] = {}

    def cached(table: Table, columns: tuple[Column, ...]) -> list[int] | None:
        key = (id(table), len(columns))
        if key not in known:
            known[key] = column_map(table, columns)
        return known[key]

    return cached


def _figures(cells: Iterable[Filled]) -> int:
    return sum(1 for f in cells if f.value.state in ("number", "blank", "n/a"))


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


def _split_merged_labels(blocks: list[Block], matcher: RowMatcher) -> list[Block]:
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


def _in_order(collected: _Collected, rows: tuple[Row, ...]) -> None:
    """Drops the grid rows whose labels were read as a row out of the template's order (a
    misread "（三）不予公开" taken for "（一）予以公开" after （二）): the rows are the longest run
    of labels in the template's order, and the others become unlabelled, to be placed by order."""
    hits = collected.hits
    order = {id(row): i for i, row in enumerate(rows)}
    grid = [i for i, hit in enumerate(hits) if hit.grid]
    weights = [1.0 + 0.5 * _label_fit(hits[i]) + 0.5 * _has_written(hits[i]) for i in grid]
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


def _has_written(hit: _Hit) -> bool:
    return any(c.text.strip() for c in hit.values)


def _label_fit(hit: _Hit) -> float:
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


def _by_order(collected: _Collected, rows: tuple[Row, ...], column_map: ColumnMap) -> list[_Hit]:
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
    whole = {h.row.names[0] for h in hits if h.row.group_row and _has_written(h)}
    expected = [
        r
        for r in rows
        if (not r.group_row or not any(o.parent == r.names[0] for o in rows))
        and r.parent not in whole
    ]
    found = {id(hit.row) for hit in hits}
    out: list[_Hit] = []
    gaps: dict[int, list[_SourceRow]] = {}
    for position, source in collected.unlabelled:
        if _has_figures(source, rows[0].columns, column_map):
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
                    hit = _Hit(row, label, True, source=source, doubt=note)
                    hit.values = list(source.cells)
                    hit.value_rows.add(id(source))
                    out.append(hit)
        if position < len(hits):
            out.append(hits[position])
    return out


def _has_figures(source: _SourceRow, columns: tuple[Column, ...], column_map: ColumnMap) -> bool:
    """A grid row whose cells under the template's columns are figures (some written)."""
    if source.block is None:
        return False
    slots = column_map(source.block, columns)
    if slots is None:
        return False
    cells = [source.block.rows[source.index][c] for c in slots]
    written = [c for c in cells if c.text.strip()]
    # Most, not all: a figure misread as "0." or "命" must not cost the row its place.
    figures = sum(1 for c in written if _looks_like_value(c, columns[0]))
    return bool(written) and figures * 2 > len(written)


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
        and all(f.value.state in ("number", "blank", "n/a") for f in labelled.values())
        and len(labelled) == 15
    ):
        return labelled
    columns = [c for row in rows for c in row.columns]
    figures: list[TextCell] = []
    doubts: dict[int, str] = {}  # index into figures -> why its place is not sure
    for source in _rows_of(blocks):
        cells, grid = source.cells, source.grid
        block = source.block
        if block is not None and len(block.rows[source.index]) >= len(columns):
            # The grid's last fifteen columns, slot by slot: a blank cell merged with its
            # neighbour is blank in both and shifts nothing after it.
            slots = block.rows[source.index][-len(columns) :]
            cells = slots
        filled = [c for c in cells if c.text.strip()]
        if not all(_looks_like_value(c, columns[0]) for c in filled):
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
