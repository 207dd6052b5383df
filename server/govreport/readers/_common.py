"""What the structured readers (HTML, DOCX) share: cleaning text and laying cells on a grid."""

from __future__ import annotations

import re
from collections.abc import Iterable

from govreport.ir import Location, TextCell
from govreport.normalize import normalize

# Characters that are set solid in Chinese text: a line break between two of
# them is typesetting, not a word boundary.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
    "\u2014\u2018-\u201f\u2026\u00b7]"
)
_WHITESPACE = re.compile(r"\s+")


def is_cjk(ch: str) -> bool:
    return bool(_CJK.fullmatch(ch))


def _solid(left: str, right: str) -> bool:
    return bool(left) and bool(right) and is_cjk(left[-1]) and is_cjk(right[0])


def clean(text: str) -> str:
    """Normalises one line and collapses its white space.

    Source line breaks between two CJK characters vanish (Word's HTML export
    wraps Chinese text mid-word); any other run of white space becomes one space.
    """
    text = normalize(text)

    def squeeze(match: re.Match[str]) -> str:
        run = match.group(0)
        if ("\n" in run or "\r" in run) and _solid(text[: match.start()], text[match.end() :]):
            return ""
        return " "

    return _WHITESPACE.sub(squeeze, text).strip()


def join_lines(lines: Iterable[str]) -> str:
    """Joins the lines of a cell: solid between CJK characters, a space otherwise."""
    out = ""
    for line in lines:
        if not line:
            continue
        if out and not _solid(out, line):
            out += " "
        out += line
    return out


# No report table has more than ~20 columns (Word allows 63): a span or offset past this is a
# typo or a hostile file, and honouring it would cost memory by the gigabyte.
MAX_COLUMNS = 256


class Grid:
    """Cells laid on a grid of slots; a spanning cell is one object in every slot it covers.
    Columns past MAX_COLUMNS are dropped."""

    def __init__(self) -> None:
        self._slots: list[dict[int, TextCell]] = []

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
        colspan = max(0, min(colspan, MAX_COLUMNS - c))
        for dr in range(rowspan):
            row = self._row(r + dr)
            for dc in range(colspan):
                row.setdefault(c + dc, cell)

    def rows(self, row_count: int, locator: str, width: int = 0) -> list[list[TextCell]]:
        """Complete rows; a slot nothing fills gets an empty cell with confidence 0.

        Such a slot is absent in the source (a ragged row), not a blank cell.
        """
        row_count = max(row_count, 0)
        width = max([width, *((max(row) + 1) for row in self._slots[:row_count] if row)])
        width = min(width, MAX_COLUMNS)
        out: list[list[TextCell]] = []
        for r in range(row_count):
            row = self._slots[r] if r < len(self._slots) else {}
            out.append([row.get(c) or _absent(locator, r, c) for c in range(width)])
        return out


def _absent(locator: str, r: int, c: int) -> TextCell:
    return TextCell(
        "", Location(locator=f"{locator}/row[{r + 1}]"), confidence=0.0, row=r, col=c, exists=False
    )
