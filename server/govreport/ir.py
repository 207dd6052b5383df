"""The intermediate representation every reader produces and the assembler consumes.

A document is a sequence of blocks in reading order: paragraphs and tables.
Every piece of text keeps where it came from (page and box for paged
sources, line and character offsets for text, a structural locator for HTML
and DOCX) and how sure the reader is of it, so that provenance and
confidence survive all the way into the response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class SourceFormat(StrEnum):
    TEXT = "text"
    HTML = "html"
    DOCX = "docx"
    PDF = "pdf"
    IMAGE = "image"
    PAGE_SET = "page_set"  # a zip of page images, one report
    LEGACY_WORD = "legacy_word"  # .doc or .wps, read as the DOCX LibreOffice makes of it


class Unit(StrEnum):
    """What a Box's coordinates count."""

    POINTS = "points"  # PDF points (1/72 inch)
    PIXELS = "pixels"  # pixels of a page image, at its dpi


@dataclass(frozen=True, slots=True)
class Box:
    """A box on a page; y grows downwards from the top."""

    x0: float
    y0: float
    x1: float
    y1: float
    unit: Unit = Unit.POINTS
    dpi: int = 0


@dataclass(frozen=True, slots=True)
class Location:
    """Where a piece of text was read. Unused fields stay at their zero value."""

    page: int = 0  # 1-based; 0 for sources without pages
    box: Box | None = None
    line: int = 0  # 1-based line in the decoded text (or HTML source)
    char_start: int = 0  # code-point offsets in the decoded text
    char_end: int = 0
    locator: str = ""  # e.g. "table[2]/row[5]/cell[3]"


@dataclass(slots=True)
class TextCell:
    """One cell of a table as the source gives it (after normalisation)."""

    text: str
    location: Location = field(default_factory=Location)
    confidence: float = 1.0
    row: int = 0  # the row the cell starts in (spans copy the same object into later slots)
    col: int = 0
    # False for a grid slot the source has no cell for (a row shorter than the
    # table): the template's cell there is missing, not blank.
    exists: bool = True


@dataclass(slots=True)
class Table:
    """A table as rows of cells.

    ``grid`` is True when the reader knows the real cell grid (HTML, DOCX,
    ruled PDF tables): then rows are complete, an empty cell is a real blank
    cell, and a cell spanning several slots is the same object in each.
    Text sources give ragged rows (``grid`` False): a row is whatever one
    line (or group of lines) held, and trailing empties mean nothing.
    """

    rows: list[list[TextCell]]
    grid: bool
    location: Location = field(default_factory=Location)

    def own_cells(self, index: int) -> list[TextCell]:
        """The cells that start in row ``index``, each once, left to right."""
        seen: set[int] = set()
        out: list[TextCell] = []
        for cell in self.rows[index]:
            if id(cell) in seen or cell.row != index:
                continue
            seen.add(id(cell))
            out.append(cell)
        return out


@dataclass(slots=True)
class Paragraph:
    text: str
    location: Location = field(default_factory=Location)
    confidence: float = 1.0


Block = Paragraph | Table


@dataclass(slots=True)
class UnreadPage:
    page: int
    reason: str


@dataclass(frozen=True, slots=True)
class Hints:
    """What a document's container says about it (a PDF's Info dictionary, a DOCX's core
    properties, a web page's head): used only where the report's own text says nothing.
    Dates are ISO (YYYY-MM-DD)."""

    title: str = ""
    created: str = ""  # the file was made (PDF CreationDate, DOCX dcterms:created)
    modified: str = ""  # last saved (DOCX dcterms:modified)
    published: str = ""  # a web page's publication date (its meta tags)


@dataclass(slots=True)
class Document:
    """What a reader hands to the assembler."""

    format: SourceFormat
    blocks: list[Block] = field(default_factory=list)
    page_count: int = 0
    encoding: str = ""
    unread_pages: list[UnreadPage] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # 1-based, read from pixels
    # Metadata the container itself carries (a PDF's Title, a DOCX's core
    # properties): used only where the report's own text says nothing.
    hints: Hints = field(default_factory=Hints)
    # A web page: how many blocks the element holding the report's tables gives; the
    # blocks after it are the site's footer and links (unless a section heading follows).
    content_end: int | None = None

    def size(self) -> tuple[int, int]:
        """Characters of text (white space left out) and table cells: what the assembler's
        work grows with."""
        chars = cells = 0
        for block in self.blocks:
            if isinstance(block, Paragraph):
                chars += visible_length(block.text)
            else:
                for row in block.rows:
                    cells += len(row)
                    chars += sum(visible_length(cell.text) for cell in row)
        return chars, cells


_BLANKS = re.compile(r"\s+")


def visible_length(text: str) -> int:
    """Characters other than white space: padding costs a reader next to nothing."""
    return len(text) - sum(len(run) for run in _BLANKS.findall(text))
