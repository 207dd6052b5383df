"""Finding the tables of 二, 三 and 四 by their own content, not by the heading above them.

A table is known by its labels: its rows' names (一、本年新收政府信息公开申请数量,
行政许可, 复议后起诉 …) and the column and group headings only it has
(template.TABLE_MARKERS: 自然人, 本年制发件数, 结果维持 …). A table that shows two
or more of one table's labels, clearly more than of any other, is that
table wherever it stands: under its heading, under a heading a seal
covers, inside the previous section. A grid with too few labels of its own
(a continuation page of 三 whose labels OCR could not read) continues the
table just before it when it has the same number of columns. Whatever is
not recognised stays with the section whose heading it follows, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache

from govreport.ir import Block, Paragraph, Table
from govreport.normalize import label_key
from govreport.templates import TABLE_MARKERS, Template

TABLE_SECTIONS = ("二", "三", "四")
# Distinct labels of one table a block must show to be recognised as that table.
_MIN_LABELS = 2
# A label this similar to a cell's text is read there (OCR and text-layer misspellings).
_FUZZY = 0.85
_FUZZY_MIN_LENGTH = 5
# Between two pieces of one table only short lines may stand (page numbers, running heads).
_MAX_BETWEEN = 40


@dataclass(slots=True)
class Located:
    """Which table section each recognised table block belongs to (keys: Layout.blocks indices)."""

    owner: dict[int, str] = field(default_factory=dict)
    # How many of the table's labels each block showed: the evidence, for the record.
    labels: dict[int, int] = field(default_factory=dict)

    def found(self, section: str) -> bool:
        return section in self.owner.values()

    def first(self, section: str) -> int | None:
        indices = [i for i, owner in self.owner.items() if owner == section]
        return min(indices) if indices else None


@cache
def _markers(tpl: Template) -> dict[str, tuple[str, ...]]:
    rows = {"二": tpl.disclosure_rows, "三": tpl.application_rows, "四": tpl.review_rows}
    out: dict[str, tuple[str, ...]] = {}
    for section in TABLE_SECTIONS:
        keys = {label_key(name) for row in rows[section] for name in row.names}
        keys |= {label_key(word) for word in TABLE_MARKERS[section]}
        out[section] = tuple(sorted(k for k in keys if len(k) >= 2))
    return out


def _hits(key: str, markers: tuple[str, ...]) -> set[str]:
    if not key or key.isdigit():
        return set()
    out = {m for m in markers if m == key or (len(m) >= 4 and m in key and len(key) <= len(m) + 6)}
    if out or len(key) < _FUZZY_MIN_LENGTH:
        return out
    for marker in markers:
        if len(marker) < _FUZZY_MIN_LENGTH or abs(len(marker) - len(key)) > 0.3 * len(marker):
            continue
        matcher = SequenceMatcher(None, key, marker, autojunk=False)
        if matcher.quick_ratio() >= _FUZZY and matcher.ratio() >= _FUZZY:
            out.add(marker)
    return out


def _scores(table: Table, tpl: Template) -> dict[str, int]:
    markers = _markers(tpl)
    found: dict[str, set[str]] = {section: set() for section in TABLE_SECTIONS}
    for r in range(len(table.rows)):
        for cell in table.own_cells(r):
            key = label_key(cell.text)
            for section in TABLE_SECTIONS:
                found[section] |= _hits(key, markers[section])
    return {section: len(keys) for section, keys in found.items()}


def _width(table: Table) -> int:
    return max((len(row) for row in table.rows), default=0)


def locate_tables(blocks: list[Block], tpl: Template) -> Located:
    located = Located()
    previous: tuple[Table, str] | None = None  # the last table recognised, and whose it is
    between = 0  # characters of text since it
    for i, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            between += len(block.text.strip())
            continue
        scores = _scores(block, tpl)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        (best, score), (_, runner_up) = ranked[0], ranked[1]
        owner: str | None = None
        if score >= _MIN_LABELS and score >= 2 * runner_up:
            owner = best
        elif (
            block.grid
            and previous is not None
            and between <= _MAX_BETWEEN
            and _width(previous[0]) == _width(block)
        ):
            owner = previous[1]  # the next piece of the table before it
        if owner is not None:
            located.owner[i] = owner
            located.labels[i] = scores[owner]
            previous = (block, owner)
        else:
            previous = None
        between = 0
    return located
