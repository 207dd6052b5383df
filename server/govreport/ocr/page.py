"""One scanned page -> IR blocks: ruled tables cell by cell, the text around them as paragraphs.

Cells are cropped inside their rules with the rules erased, so no rule is
read as a 1 or a dash. A crop with no ink is a blank cell (confidence 1).
Crops whose ink is one line of digit-shaped glyphs are read together with
the digit whitelist; all other crops (labels, headings, prose) together
with ``chi_sim``, labels put back to the template's wording when they are
misread by a stroke. Every cell keeps Tesseract's confidence (the lowest of
its words; 0 when ink was seen but nothing read) and its box in the source
image's pixels with the dpi.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt

from govreport.ir import Block, Location, Paragraph, Table, TextCell
from govreport.layout import (
    PAGE_NUMBER,
    SlotGrid,
    Word,
    after_latin,
    bounds,
    join_lines,
    paragraphs,
    word_height,
)
from govreport.normalize import normalize
from govreport.ocr.grid import Grid, find_tables
from govreport.ocr.preprocess import Image, Prepared, prepare
from govreport.ocr.recognize import (
    Read,
    orientation,
    read_figure,
    read_page,
    read_stacked,
    tesseract_lines,
)
from govreport.ocr.vocabulary import is_prefix, snap

_T = TypeVar("_T")
_NUMBER = re.compile(r"^(?:[+-]?\d+(?:\.\d+)?|/|-)$")
# A number read outside this shape is never trusted above this confidence.
_ODD_NUMBER_CONFIDENCE = 0.3
_CUT_GLYPH_CONFIDENCE = 0.3
_LOOKALIKES = str.maketrans("十一—OoО〇lI|，,。", "+--0000111...")
# Below this mean confidence a page is suspected of lying on its side or upside down.
_UPRIGHT_CONFIDENCE = 0.6


@dataclass(slots=True)
class _Crop:
    grid: int
    cell: int
    image: Image  # black ink on white, trimmed to the ink
    numeric: bool


def _ink(
    crop: Image, dpi: int, gray: Image | None = None
) -> tuple[Image, list[tuple[int, int, int, int]]] | None:
    """The crop's ink without specks, trimmed, and its glyph boxes; None when there is none.

    With ``gray`` (the same region of the grey page) the ink is given in its grey levels,
    with white around the kept glyphs: Tesseract reads the soft edges of small print better
    than their thresholded stairs.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    min_area = max(4, (dpi // 100) ** 2 * 2)
    keep = [i for i in range(1, count) if stats[i][4] >= min_area]
    if not keep:
        return None
    mask = np.isin(labels, keep)
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    if gray is None:
        ink = np.where(mask[y0:y1, x0:x1], 0, 255).astype(np.uint8)
    else:
        near = cv2.dilate(mask[y0:y1, x0:x1].astype(np.uint8), np.ones((3, 3), np.uint8))
        ink = np.where(near > 0, gray[y0:y1, x0:x1], 255).astype(np.uint8)
    boxes = [
        (int(stats[i][0]) - x0, int(stats[i][1]) - y0, int(stats[i][2]), int(stats[i][3]))
        for i in keep
    ]
    return ink, boxes


# Figures are read best at about this glyph height (pixels); smaller scans are enlarged.
_FIGURE_HEIGHT = 40
_MAX_ENLARGE = 3.0


def _sized(ink: Image) -> Image:
    """A figure crop enlarged (never shrunk) to the glyph height Tesseract reads best."""
    factor = min(_MAX_ENLARGE, _FIGURE_HEIGHT / max(1, ink.shape[0]))
    if factor <= 1.1:
        return ink
    return np.asarray(
        cv2.resize(ink, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC),
        dtype=np.uint8,
    )


def _looks_numeric(ink: Image, boxes: list[tuple[int, int, int, int]], dpi: int) -> bool:
    """One line of digit-shaped glyphs: narrow full-height figures, small marks (. + -) only."""
    height = ink.shape[0]
    if height > dpi * 0.22 or height < dpi * 0.04:
        return False
    tall = 0
    for _, _, w, h in boxes:
        if h >= 0.75 * height:
            if w > 0.8 * h:
                return False
            tall += 1
        elif w > 0.75 * height or h > 0.7 * height:  # "+", "-", "." are small
            return False
    return 0 < tall <= 14


def _crops(prepared: Prepared, grids: list[Grid], clean: Image) -> list[_Crop | None]:
    dpi = prepared.dpi
    margin = max(2, dpi // 100)
    out: list[_Crop | None] = []
    for g, grid in enumerate(grids):
        for c, cell in enumerate(grid.cells):
            box = (
                slice(cell.y0 + margin, cell.y1 - margin),
                slice(cell.x0 + margin, cell.x1 - margin),
            )
            region = clean[box]
            found = _ink(region, dpi) if region.size else None
            if found is None:
                out.append(None)
                continue
            ink, boxes = found
            if _looks_numeric(ink, boxes, dpi):
                grey = _ink(region, dpi, prepared.text_gray[box])
                assert grey is not None  # the same ink
                out.append(_Crop(g, c, _sized(grey[0]), True))
            else:
                out.append(_Crop(g, c, ink, False))
    return out


def _drop_cut_glyph(read: Read) -> None:
    """A label's last glyph misread where the page cut it (申请人无正当理由从): dropped when
    what comes before it begins a template label."""
    words = read.words
    if (
        len(words) >= 2
        and words[-1].confidence < _CUT_GLYPH_CONFIDENCE
        and len(words[-1].text) == 1
    ):
        kept = Read(words[:-1])
        if is_prefix(normalize(kept.text())):
            read.words = kept.words


def _number_confidence(text: str, read: Read) -> float:
    confidence = read.confidence
    if not _NUMBER.match(text):
        confidence = min(confidence, _ODD_NUMBER_CONFIDENCE)
    return confidence


def _tables(prepared: Prepared, grids: list[Grid], clean: Image, page: int) -> list[Table]:
    crops = _crops(prepared, grids, clean)
    present = [c for c in crops if c is not None]
    numeric = [c for c in present if c.numeric]
    text = [c for c in present if not c.numeric]
    dpi = prepared.dpi
    results: dict[tuple[int, int], tuple[str, float]] = {}
    for crop, read in zip(
        numeric, read_stacked([c.image for c in numeric], True, dpi), strict=True
    ):
        value = read.text().replace(" ", "")
        results[(crop.grid, crop.cell)] = (value, _number_confidence(value, read))
    lookalikes: list[_Crop] = []
    for crop, read in zip(text, read_stacked([c.image for c in text], False, dpi), strict=True):
        _drop_cut_glyph(read)
        value = normalize(read.text())
        if _NUMBER.match(value.translate(_LOOKALIKES).replace(" ", "")):
            lookalikes.append(crop)  # 十48, O, l2: a figure the shape test let by
        results[(crop.grid, crop.cell)] = (snap(value), read.confidence)
    # Figures read as nothing, or as Chinese lookalikes: once more, digits only, twice the size.
    again = lookalikes + [c for c in numeric if not results[(c.grid, c.cell)][0]]
    if again:
        larger = [
            np.asarray(
                cv2.resize(c.image, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR),
                dtype=np.uint8,
            )
            for c in again
        ]
        for crop, read in zip(again, read_stacked(larger, True, dpi * 2), strict=True):
            value = read.text().replace(" ", "")
            if value:
                results[(crop.grid, crop.cell)] = (value, _number_confidence(value, read))
    # Still nothing: each alone (a lone "5" a stacked sheet dropped). Rare, so one call each.
    for crop in numeric:
        if not results[(crop.grid, crop.cell)][0]:
            read = read_figure(crop.image)
            value = read.text().replace(" ", "")
            if value:
                results[(crop.grid, crop.cell)] = (value, _number_confidence(value, read))
    tables: list[Table] = []
    for g, grid in enumerate(grids):
        slots = SlotGrid(max_columns=grid.n_cols)
        for c, cell in enumerate(grid.cells):
            value, confidence = results.get((g, c), ("", 1.0))
            box = prepared.source_box(cell.x0, cell.y0, cell.x1, cell.y1)
            locator = f"page[{page}]/table[{g + 1}]/row[{cell.row + 1}]/cell[{cell.col + 1}]"
            text_cell = TextCell(
                value, Location(page=page, box=box, locator=locator), confidence, cell.row, cell.col
            )
            slots.place(text_cell, cell.row, cell.col, cell.col_span, cell.row_span)
        rows = slots.rows(grid.n_rows, lambda _r, _c: Location(page=page), grid.n_cols)
        box = prepared.source_box(grid.x0, grid.y0, grid.x1, grid.y1)
        tables.append(Table(rows, grid=True, location=Location(page=page, box=box)))
    return tables


def _paragraphs(prepared: Prepared, words: list[Word], page: int) -> list[tuple[float, Paragraph]]:
    """Tesseract's lines joined into paragraphs where one runs on into the next."""
    lines = sorted(tesseract_lines(words), key=lambda line: line.top)
    if not lines:
        return []
    right = max(line.x1 for line in lines)
    left = min(line.x0 for line in lines)
    lines = [line for line in lines if not PAGE_NUMBER.match(normalize(line.text))]
    out: list[tuple[float, Paragraph]] = []
    for group in paragraphs(lines, left, right, word_height):
        flat = [w for line in group for w in line.words]
        text = normalize(join_lines((line.text for line in group), after_latin))
        x0, y0, x1, y1 = bounds(flat)
        box = prepared.source_box(x0, y0, x1, y1)
        confidence = sum(w.confidence for w in flat) / len(flat)
        out.append((y0, Paragraph(text, Location(page=page, box=box), confidence)))
    return out


def read_image_page(
    image: Image,
    page: int,
    dpi: int,
    turn: int | None = None,
    timings: dict[str, float] | None = None,
    origin: npt.NDArray[np.float64] | None = None,
) -> list[Block]:
    """The blocks of one page image (RGB or grey) in reading order.

    The page is read as it stands unless ``turn`` is given; when what comes
    back is mostly unreadable, Tesseract's orientation detection decides
    whether it lies on its side or upside down, and it is read again turned.
    ``timings``, when given, accumulates seconds spent in ``preprocess``,
    ``grid``, ``recognize`` (the tables' cells) and ``prose``. ``origin`` (3x3) maps ``image``'s pixels to
    those of the file it came from (a photo straightened), for the boxes.
    """
    clock = _Clock(timings)

    def prepared_as(quarter: int) -> Prepared:
        found = prepare(image, dpi, quarter)
        if origin is None:
            return found
        return replace(found, to_source=origin @ found.to_source)

    prepared = clock.run("preprocess", lambda: prepared_as(turn or 0))
    blocks = _read(prepared, page, clock)
    if turn is None and _mean_confidence(blocks) < _UPRIGHT_CONFIDENCE:
        found = clock.run("recognize", lambda: orientation(prepared.gray))
        if found:
            again = clock.run("preprocess", lambda: prepared_as(found))
            turned = _read(again, page, clock)
            if _mean_confidence(turned) > _mean_confidence(blocks):
                blocks = turned
    return blocks


def _mean_confidence(blocks: list[Block]) -> float:
    values: list[float] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            values.append(block.confidence)
        else:
            values.extend(
                c.confidence for i in range(len(block.rows)) for c in block.own_cells(i) if c.text
            )
    return sum(values) / len(values) if values else 1.0


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings

    def run(self, stage: str, work: Callable[[], _T]) -> _T:
        if self.timings is None:
            return work()
        started = time.perf_counter()
        try:
            return work()
        finally:
            elapsed = time.perf_counter() - started
            self.timings[stage] = self.timings.get(stage, 0.0) + elapsed


def _grids(prepared: Prepared) -> tuple[list[Grid], Image]:
    """The page's ruled tables and rules, found on the analysis copy, in full-resolution
    pixels. The rules' mask is widened by the rounding of the enlargement, so that no edge of
    a rule is left to be read as a 1."""
    grids, rules = find_tables(prepared.binary, prepared.analysis_dpi)
    scale = prepared.scale
    if scale == 1.0:
        return grids, rules
    h, w = prepared.text_binary.shape
    full = cv2.resize(rules, (w, h), interpolation=cv2.INTER_NEAREST)
    grow = int(np.ceil(scale))
    full = cv2.dilate(full, cv2.getStructuringElement(cv2.MORPH_RECT, (grow, grow)))
    return [g.scaled(scale) for g in grids], np.asarray(full, dtype=np.uint8)


# Prose is read at no more than this resolution. Measured on the real reports' scans at 300
# dpi (docs/ocr-benchmarks.md): read at 200 dpi, their narrative sections come out as close to
# the documents' own text as at 300 (Hongze 0.953 vs 0.943 similar), 15 % sooner, and
# Tesseract keeps Pingtan's bold 一、总体情况, which it drops at 300 (its whole 一 lost).
PROSE_DPI = 200


def _prose_words(rest: Image, dpi: int) -> list[Word]:
    """The words of the page outside its tables (ink = 255 in ``rest``), read at PROSE_DPI at
    most, in the page's pixels."""
    paper = np.asarray(cv2.bitwise_not(rest), dtype=np.uint8)
    factor = min(1.0, PROSE_DPI / dpi)
    if factor >= 1.0:
        return read_page(paper)
    small = np.asarray(
        cv2.resize(paper, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    words = read_page(small)
    for w in words:
        w.x0, w.top, w.x1, w.bottom = (v / factor for v in (w.x0, w.top, w.x1, w.bottom))
    return words


def _read(prepared: Prepared, page: int, clock: _Clock) -> list[Block]:
    dpi = prepared.dpi
    grids, rules = clock.run("grid", lambda: _grids(prepared))
    clean = np.asarray(
        cv2.bitwise_and(prepared.text_binary, cv2.bitwise_not(rules)), dtype=np.uint8
    )
    placed: list[tuple[float, Block]] = []
    tables = clock.run("recognize", lambda: _tables(prepared, grids, clean, page))
    for grid, table in zip(grids, tables, strict=True):
        placed.append((float(grid.y0), table))
    rest = clean.copy()
    pad = max(2, dpi // 50)
    for grid in grids:
        rest[max(0, grid.y0 - pad) : grid.y1 + pad, max(0, grid.x0 - pad) : grid.x1 + pad] = 0
    if cv2.countNonZero(rest) > (dpi // 10) ** 2:
        words = clock.run("prose", lambda: _prose_words(rest, dpi))
        placed.extend(_paragraphs(prepared, words, page))
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]
