"""Tesseract, a page's many crops per call: crops stacked into one image, words mapped back.

Starting Tesseract costs about as much as reading a few cells, so the
crops of a page (all its numeric cells, or all its label cells) are
stacked one under another with blank space between them and read in one
call with ``--psm 6``; every word Tesseract reports is given back to the
crop its centre falls in. Numbers are read with the English model and a
digit whitelist; labels and free text with ``chi_sim``. Tesseract itself
is behind ocr.engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from govreport.layout import Line, Word, after_latin, join_lines
from govreport.ocr.engine import Mode, engine
from govreport.ocr.preprocess import Image

DIGITS = "0123456789.+-/"
NUMBERS = Mode("eng", 6, DIGITS)
TEXT = Mode("chi_sim", 6)
PAGE = Mode("chi_sim", 4)


@dataclass(slots=True)
class Read:
    """What Tesseract made of one crop: its words in reading order."""

    words: list[Word] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return min((w.confidence for w in self.words), default=0.0)

    def lines(self) -> list[Line]:
        """Its lines in Tesseract's order."""
        return sorted(tesseract_lines(self.words), key=lambda line: line.words[0].line)

    def text(self) -> str:
        return join_lines((line.text for line in self.lines()), after_latin)


def tesseract_lines(words: list[Word]) -> list[Line]:
    """The words grouped into the lines Tesseract's page layout found, in the order it first
    reports them, each left to right."""
    out: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        out.setdefault(w.line, []).append(w)
    return [Line(sorted(ws, key=lambda w: w.x0), after_latin) for ws in out.values()]


def orientation(image: Image) -> int:
    """The clockwise quarter turn (0/90/180/270) that makes the page upright."""
    return engine().orientation(image)


def read_page(image: Image, lang: str = "chi_sim") -> list[Word]:
    """Every word on a page (free text), with Tesseract's page layout."""
    return engine().words(image, Mode(lang, PAGE.psm))


def split_lines(crop: Image) -> list[Image]:
    """A crop (black on white) cut into its lines of text at the blank rows between them.

    Pieces much lower than the tallest (the strokes of 二 or 三 alone on a
    line, a stray mark) are joined to their nearer neighbour.
    """
    rows = np.asarray((crop < 128).any(axis=1), dtype=bool)
    ink: list[bool] = [bool(v) for v in rows.tolist()]
    spans: list[list[int]] = []
    start = -1
    for y, on in enumerate(ink):
        if on and start < 0:
            start = y
        elif not on and start >= 0:
            spans.append([start, y])
            start = -1
    if start >= 0:
        spans.append([start, len(ink)])
    if len(spans) <= 1:
        return [crop]
    tallest = max(b - a for a, b in spans)
    changed = True
    while changed and len(spans) > 1:
        changed = False
        for i, (a, b) in enumerate(spans):
            if b - a >= 0.6 * tallest:
                continue
            gap_up = a - spans[i - 1][1] if i > 0 else None
            gap_down = spans[i + 1][0] - b if i + 1 < len(spans) else None
            if gap_down is None or (gap_up is not None and gap_up <= gap_down):
                spans[i - 1][1] = b
            else:
                spans[i + 1][0] = a
            del spans[i]
            changed = True
            break
    return [crop[a:b] for a, b in spans]


def read_figure(crop: Image) -> Read:
    """One figure crop read on its own: Tesseract drops a lone glyph on a line of a stacked
    sheet now and then, and reads it as a single character (``--psm 10``) or a single line
    (``--psm 7``) when given alone, with a margin; what those modes still find nothing in is
    read as a raw line (``--psm 13``, no layout analysis: a serif 1 alone on a sheet)."""
    pad = max(8, crop.shape[0] // 2)
    sheet = np.asarray(
        cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255),
        dtype=np.uint8,
    )
    glyphs = cv2.connectedComponents(np.asarray(sheet < 128, dtype=np.uint8))[0] - 1
    read = Read()
    for psm in (10 if glyphs <= 1 else 7, 13):
        read = Read(engine().words(sheet, Mode("eng", psm, DIGITS)))
        if read.words:
            break
    return read


def read_stacked(crops: list[Image], numeric: bool, dpi: int) -> list[Read]:
    """Reads many crops (black on white) in one Tesseract call; one Read per crop, in order.

    Every line of every crop is a line of its own on the sheet, with blank
    space around it, so that Tesseract never merges lines of different crops
    or of different heights.
    """
    if not crops:
        return []
    items: list[tuple[int, Image]] = [
        (i, line) for i, crop in enumerate(crops) for line in split_lines(crop)
    ]
    gap = max(16, dpi // 6)
    pad = gap
    width = max(line.shape[1] for _, line in items) + 2 * pad
    height = sum(line.shape[0] for _, line in items) + gap * (len(items) + 1)
    sheet = np.full((height, width), 255, dtype=np.uint8)
    spans: list[tuple[int, int]] = []
    y = gap
    for _, line in items:
        h, w = line.shape
        sheet[y : y + h, pad : pad + w] = line
        spans.append((y, y + h))
        y += h + gap
    words = engine().words(sheet, NUMBERS if numeric else TEXT)
    reads = [Read() for _ in crops]
    starts = [s for s, _ in spans]
    for word in words:
        cy = word.cy
        index = int(np.searchsorted(starts, cy, side="right")) - 1
        if 0 <= index < len(spans) and spans[index][0] - gap / 2 <= cy <= spans[index][1] + gap / 2:
            word.line = (index, 0, 0)
            reads[items[index][0]].words.append(word)
    return reads
