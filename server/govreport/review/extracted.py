"""An HTML or DOCX source as it was extracted: the lines of a text pane built from the
Extraction alone, never from reading the file again.

What is shown is what the extraction holds, in the template's order: the
title, each section's heading and text (一, 五, 六), and for 二, 三 and 四
the heading as written and every row of the document a cell was read from,
as the cells' raw text in the document's order (by locator) under the
template's name for the row. With ``--server`` that is the server's reading,
whatever this machine's readers would make of the file. What the extraction
does not hold (a table's label cells and header rows, text outside the
sections) is not shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from govreport.paths import TABLE_SOURCE_FIELDS, report_version
from govreport.review.model import CellView, has_provenance
from govreport.review.text import TextDoc
from govreport.templates import template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2

# Between two cells of a row, as the page writes a table row on one line.
SEPARATOR = " │ "
_IN_TABLE = re.compile(r"(?P<table>.*?table\[\d+\])/row\[(?P<row>\d+)\](?:/cell\[(?P<cell>\d+)\])?")

# A row of the document: (container, row number). The container is a table's locator
# ("table[2]", "altChunk[1]/table[1]"), or a paragraph's ("p[12]"), or "line N" for a
# cell that gives only its line; a paragraph or a line is one row, number 0.
_RowKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class _Place:
    row: _RowKey
    cell: int | None  # the cell's number in its row; None for a slot the row has no cell for


def _place(provenance: pb.Provenance) -> _Place | None:
    """Where in the rebuilt document a provenance points; None when it names no row."""
    locator = provenance.locator
    if locator:
        found = _IN_TABLE.fullmatch(locator)
        if found is None:
            return _Place((locator, 0), 1)
        cell = found.group("cell")
        return _Place((found.group("table"), int(found.group("row"))), int(cell) if cell else None)
    if provenance.line:
        return _Place((f"line {provenance.line}", 0), 1)
    return None


def _where(provenance: pb.Provenance) -> str:
    """A line's tooltip: its locator and source line, as the reader gave them."""
    parts = [provenance.locator] if provenance.locator else []
    if provenance.line:
        parts.append(f"line {provenance.line}")
    return " · ".join(parts)


def _flat(text: str) -> str:
    """One line of the pane: white space runs (line breaks included) as one space."""
    return " ".join(text.split())


@dataclass(slots=True)
class _Lines:
    """The pane's lines, and where each cell's text went in them."""

    lines: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    spans: dict[tuple[_RowKey, int], tuple[int, int]] = field(default_factory=dict)
    row_ends: dict[_RowKey, int] = field(default_factory=dict)
    offset: int = 0

    def add(self, text: str, title: str = "", label: str = "") -> int:
        """Appends a line; returns its offset (lines are joined by one separator)."""
        start = self.offset
        self.lines.append(text)
        self.starts.append(start)
        self.titles.append(title)
        self.labels.append(label)
        self.offset += len(text) + 1
        return start

    def narrative(self, section: pb.NarrativeSection) -> None:
        """A free-text section: its heading, then its paragraphs, one a line."""
        self.add(_flat(section.heading), _where(section.provenance))
        subheads = [(s.heading, _where(s.provenance)) for s in section.subsections if s.heading]
        if section.text:
            for paragraph in section.text.split("\n"):
                title = next((t for h, t in subheads if paragraph.startswith(h)), "")
                self.add(_flat(paragraph), title)
            return
        for sub in section.subsections:  # a section with no text of its own but its parts'
            self.add(_flat(sub.heading), _where(sub.provenance))
            for paragraph in sub.text.split("\n") if sub.text else ():
                self.add(_flat(paragraph))

    def row(self, key: _RowKey, views: Sequence[CellView]) -> None:
        """One row of the document: the text of each cell read from it, in its order."""
        cells: dict[int, str] = {}
        for view in views:
            place = _place(view.placed.cell.provenance)
            if place is not None and place.cell is not None:
                cells.setdefault(place.cell, _flat(view.placed.cell.raw_text))
        pieces: list[str] = []
        spans: list[tuple[int, int, int]] = []
        length = 0
        for number in sorted(cells):
            if pieces:
                length += len(SEPARATOR)
            spans.append((number, length, length + len(cells[number])))
            pieces.append(cells[number])
            length += len(cells[number])
        names = list(dict.fromkeys(v.placed.row.label for v in views))
        title = f"{_row_where(key, views)} · 模板 template: {' | '.join(names)}"
        label = " | ".join(name.split(" / ")[-1] for name in names)
        start = self.add(SEPARATOR.join(pieces), title, label)
        for number, a, b in spans:
            self.spans[(key, number)] = (start + a, start + b)
        self.row_ends[key] = start + length

    def locate(self, provenance: pb.Provenance) -> tuple[int, int] | None:
        place = _place(provenance)
        if place is None:
            return None
        if place.cell is None:  # a missing cell: the end of its row
            end = self.row_ends.get(place.row)
            return None if end is None else (end, end)
        return self.spans.get((place.row, place.cell))


def _row_where(key: _RowKey, views: Sequence[CellView]) -> str:
    """Where a row was read: the table row's locator (and its first cell's source line), or the
    paragraph's."""
    container, number = key
    line = next((v.placed.cell.provenance.line for v in views if v.placed.cell.provenance.line), 0)
    where = f"{container}/row[{number}]" if number else container
    if container.startswith("line "):
        return where
    return where + (f" · line {line}" if line else "")


def _rows_by_section(views: Sequence[CellView]) -> dict[str, list[tuple[_RowKey, list[CellView]]]]:
    """Each section's rows of the document, in the document's order; a row belongs to the
    section of its first cell in the template's order."""
    rows: dict[_RowKey, list[CellView]] = {}
    section_of: dict[_RowKey, str] = {}
    container_order: dict[str, int] = {}
    for view in views:
        if not has_provenance(view.placed.cell):
            continue  # completed from the sums: read nowhere
        place = _place(view.placed.cell.provenance)
        if place is None:
            continue  # located by page or box only: listed as not placed
        container_order.setdefault(place.row[0], len(container_order))
        section_of.setdefault(place.row, view.placed.section)
        rows.setdefault(place.row, []).append(view)
    out: dict[str, list[tuple[_RowKey, list[CellView]]]] = {}
    for key in sorted(rows, key=lambda k: (container_order[k[0]], k[1])):
        out.setdefault(section_of[key], []).append((key, rows[key]))
    return out


def extracted_text_doc(extraction: service_pb2.Extraction, views: Sequence[CellView]) -> TextDoc:
    """The document as the extraction holds it, with every located cell's span known."""
    report = extraction.report
    tpl = template(report_version(report))
    out = _Lines()
    meta = report.metadata
    if meta.title:
        # A map of messages: reading a key it lacks would add it, and the extraction is not ours.
        out.add(_flat(meta.title), _where(meta.sources["title"]) if "title" in meta.sources else "")
    rows = _rows_by_section(views)
    for section in tpl.sections:
        if not section.table:
            narrative: pb.NarrativeSection = getattr(report, section.field)
            if narrative.present:
                out.narrative(narrative)
            continue
        source: pb.TableSource = getattr(report, TABLE_SOURCE_FIELDS[section.number])
        if source.heading:
            out.add(_flat(source.heading), _where(source.heading_provenance))
        elif section.number in rows:  # the table, without a heading of its own
            out.add("", "", f"{section.number}、{section.heading}")
        for key, in_row in rows.get(section.number, ()):
            out.row(key, in_row)
    return TextDoc(out.lines, out.starts, out.titles, out.locate, out.labels)
