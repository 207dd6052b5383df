"""Page geometry every reader shares: words into lines, lines into paragraphs, cells into grids.

A paged source (a PDF's text layer, Tesseract's words on a scan) gives
words with boxes, y measured from the top of the page. They are grouped
into lines, a line is cut into cells where its words stand apart, and
lines run on into paragraphs by one rule: a line that reaches the right
margin runs on into the next when that one starts at the left margin, is
not a heading and is not set apart by a blank line.

Text is joined by one function whose spacing rule is a parameter: each
source breaks text differently (a PDF's word breaks are spaces, Tesseract
reports words without the spaces between them, an HTML line break may fall
inside a Chinese word), so each says where a break stands for a space.

A table whose cells span rows or columns (a ruled PDF table, a scanned one,
HTML, DOCX) is laid on a grid of slots, the spanning cell the same object in
every slot it covers and a slot no cell fills an absent cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeAlias

from govreport.ir import Location, TextCell
from govreport.normalize import HEADING_MARK

# Running page furniture: "- 3 -", "— 4 —", "第 3 页", "第3页 共10页", "3 / 10".
PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|第\s*\d{1,4}\s*页(?:\s*[，,]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})\s*$"
)

# ---------------------------------------------------------------- joining text

# Characters that are set solid in Chinese text: a break between two of them
# is typesetting, not a word boundary.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
    "\u2014\u2018-\u201f\u2026\u00b7]"
)

# Whether a break between two pieces of text stands for a space, given the last
# character before it and the first after it.
Spacing: TypeAlias = Callable[[str, str], bool]


def is_cjk(ch: str) -> bool:
    return bool(_CJK.fullmatch(ch))


def solid(before: str, after: str) -> bool:
    """Two characters of Chinese text: nothing stands between them."""
    return is_cjk(before) and is_cjk(after)


def between_ascii(before: str, after: str) -> bool:
    """A PDF's words: its text layer parts words at spaces (and wide gaps), and Chinese
    is set solid, so two ASCII words side by side stood a space apart."""
    return before.isascii() and after.isascii()


def between_latin(before: str, after: str) -> bool:
    """A PDF's lines: a line break between Latin letters or digits parts two words; after
    or before punctuation or Chinese it is only where the line filled up."""
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def after_latin(before: str, after: str) -> bool:
    """Tesseract's words and lines: a space after a Latin letter or digit when ASCII
    follows; a figure and the Chinese after it ("2023年") stay solid."""
    return before.isascii() and before.isalnum() and after.isascii()


def unless_solid(before: str, after: str) -> bool:
    """The lines of a structured source (HTML, DOCX): a break is a space except inside
    Chinese text, where a wrap in the source is no word boundary."""
    return not solid(before, after)


def join_lines(texts: Iterable[str], space: Spacing) -> str:
    """The pieces one after another, a space at each break ``space`` says stands for one.

    Empty pieces add nothing, not even a break.
    """
    out = ""
    for text in texts:
        if not text:
            continue
        if out and space(out[-1], text[0]):
            out += " "
        out += text
    return out


def join_words(words: Iterable[Word], space: Spacing) -> str:
    """A line's words, in the order given."""
    return join_lines((w.text for w in words), space)


# ---------------------------------------------------------------- words and lines


@dataclass(slots=True)
class Word:
    """A word and its box (PDF points or image pixels, y from the top of the page)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float = 1.0  # 0..1; a text layer is certain
    line: tuple[int, int, int] = (0, 0, 0)  # Tesseract's block, paragraph and line

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def size(self) -> float:
        """The word's height, at least 1: the unit gaps and margins are measured in."""
        return max(self.bottom - self.top, 1.0)


@dataclass(slots=True)
class Line:
    """A line's words, left to right, and how its source spaces them."""

    words: list[Word]
    space: Spacing

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def text(self) -> str:
        return join_words(self.words, self.space)


def bounds(words: Iterable[Word]) -> tuple[float, float, float, float]:
    """The box around the words: x0, top, x1, bottom."""
    ws = list(words)
    return (
        min(w.x0 for w in ws),
        min(w.top for w in ws),
        max(w.x1 for w in ws),
        max(w.bottom for w in ws),
    )


def lines_of(words: Iterable[Word], tolerance: float, space: Spacing) -> list[Line]:
    """The words grouped into lines by their centres, top to bottom, each left to right.

    A word joins one of the last three lines begun whose first word's centre
    is within ``tolerance`` of its own: a line's words may sit a little
    higher or lower (a superscript, a bold run), and a table row's cells,
    each wrapped, start new lines beside each other.
    """
    lines: list[Line] = []
    for w in sorted(words, key=lambda w: (w.top, w.x0)):
        for line in lines[-3:]:
            if abs(line.words[0].cy - w.cy) <= tolerance:
                line.words.append(w)
                break
        else:
            lines.append(Line([w], space))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


def split_cells(line: Line) -> list[list[Word]]:
    """The line's words grouped into cells at gaps wider than two characters.

    Once a line shows such a gap it is a table row, and a gap of about one
    character also parts two cells: inside a cell Chinese characters touch
    and Latin words stand a space (a third of a character) apart, while a
    label that fills its column stands only the cells' padding away from the
    next one. Prose, which has no wide gap, is never cut at its narrow ones.
    """
    pairs = list(zip(line.words, line.words[1:], strict=False))
    sizes = [prev.size for prev, _ in pairs]
    is_row = any(w.x0 - prev.x1 > 2 * size for (prev, w), size in zip(pairs, sizes, strict=True))
    limit = 0.8 if is_row else 2.0
    groups: list[list[Word]] = [[line.words[0]]]
    for (prev, w), size in zip(pairs, sizes, strict=True):
        if w.x0 - prev.x1 > limit * size:
            groups.append([w])
        else:
            groups[-1].append(w)
    return groups


# ---------------------------------------------------------------- paragraphs


def line_height(line: Line) -> float:
    """A text layer's line: its words share their font's box, so the line is as tall as its type."""
    return max(line.bottom - line.top, 1.0)


def word_height(line: Line) -> float:
    """A scanned line: Tesseract's word boxes hug the ink, each word higher or lower by its
    glyphs, so the tallest word, not the line's whole extent, tells the size of its type."""
    return max(w.size for w in line.words)


def runs_on(above: Line, line: Line, left: float, right: float, size: float) -> bool:
    """True when ``line`` continues the paragraph whose last line is ``above``.

    The line above filled the measure (it reaches the right margin, within
    two characters), and this one starts at the left margin (a new paragraph
    is indented by two characters, within three of the margin counting the
    ragged edge), is no heading, and follows with no blank line between.
    """
    return (
        above.x1 >= right - 2 * size
        and line.x0 <= left + 3 * size
        and not HEADING_MARK.match(line.text)
        and line.top - above.bottom < 1.5 * size
    )


def paragraphs(
    lines: Iterable[Line],
    left: float,
    right: float,
    size: Callable[[Line], float] = line_height,
) -> list[list[Line]]:
    """The lines (in reading order) grouped into paragraphs by the run-on rule.

    ``left`` and ``right`` are the margins of the text; ``size`` measures a
    line's type (``line_height`` or ``word_height``).
    """
    groups: list[list[Line]] = []
    for line in lines:
        if groups and runs_on(groups[-1][-1], line, left, right, size(line)):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


# ---------------------------------------------------------------- grids

# No report table has more than ~20 columns (Word allows 63): a span or offset past this is a
# typo or a hostile file, and honouring it would cost memory by the gigabyte.
MAX_COLUMNS = 256


class SlotGrid:
    """Cells laid on a grid of slots; a spanning cell is one object in every slot it covers.

    The first cell laid on a slot keeps it. Columns past ``max_columns`` are
    dropped: MAX_COLUMNS where the source declares spans and offsets as
    numbers (HTML, DOCX); a ruled table's width is the rules it draws.
    """

    def __init__(self, max_columns: int = MAX_COLUMNS) -> None:
        self._slots: list[dict[int, TextCell]] = []
        self._max_columns = max_columns

    def _row(self, r: int) -> dict[int, TextCell]:
        while len(self._slots) <= r:
            self._slots.append({})
        return self._slots[r]

    def at(self, r: int, c: int) -> TextCell | None:
        if r < 0 or r >= len(self._slots):
            return None
        return self._slots[r].get(c)

    def next_free(self, r: int, c: int) -> int:
        """The first column at or after ``c`` that no earlier row's span occupies."""
        row = self._row(r)
        while c in row:
            c += 1
        return c

    def place(self, cell: TextCell, r: int, c: int, colspan: int = 1, rowspan: int = 1) -> None:
        colspan = max(0, min(colspan, self._max_columns - c))
        for dr in range(rowspan):
            row = self._row(r + dr)
            for dc in range(colspan):
                row.setdefault(c + dc, cell)

    def rows(
        self, row_count: int, absent: Callable[[int, int], Location], width: int = 0
    ) -> list[list[TextCell]]:
        """Complete rows, at least ``width`` wide; a slot nothing fills gets an empty cell
        with confidence 0 at ``absent(row, col)``.

        Such a slot is absent in the source (a ragged row), not a blank cell.
        """
        row_count = max(row_count, 0)
        width = max([width, *((max(row) + 1) for row in self._slots[:row_count] if row)])
        width = min(width, self._max_columns)
        out: list[list[TextCell]] = []
        for r in range(row_count):
            row = self._slots[r] if r < len(self._slots) else {}
            out.append([row.get(c) or _absent(absent(r, c), r, c) for c in range(width)])
        return out


def _absent(location: Location, r: int, c: int) -> TextCell:
    return TextCell("", location, confidence=0.0, row=r, col=c, exists=False)
