"""Digital PDFs, on pdfplumber: ruled tables become cell grids, the rest becomes paragraphs.

Tables come from the page's ruling lines and rectangles (pdfplumber's
lines strategy), so merged cells keep their real extent; words are placed
in cells by their centre. Where a page has no ruled table, lines whose
words stand in columns become ragged rows, which the assembler reads like
flattened text. Every block keeps its page and box in PDF points, with y
measured from the top of the page.

Pages whose text layer cannot be trusted (none at all, glyph codes without
a Unicode map, or only a page number over a scanned image) are read by OCR
instead (pdf_scan.py); nothing is guessed from their text layer. A page
OCR cannot read either is listed as unread, with the reason.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSException
from pdfplumber.page import Page
from pdfplumber.pdf import PDF
from pdfplumber.utils.exceptions import PdfminerException

from govreport.errors import GovreportError, Reason
from govreport.ir import (
    Block,
    Box,
    Document,
    Location,
    Paragraph,
    SourceFormat,
    Table,
    TextCell,
    UnreadPage,
)
from govreport.limits import Limits
from govreport.normalize import HEADING_MARK, normalize
from govreport.readers.pdf_rulings import closing_rules, visible
from govreport.readers.pdf_scan import read_scanned_pages
from govreport.readers.text import PAGE_NUMBER

# Lines closer than this (points) are one line; ruling lines closer than this are one edge.
_LINE_TOLERANCE = 3.0
_EDGE_TOLERANCE = 2.0
_TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
}
_CID = re.compile(r"\(cid:\d+\)")
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


@dataclass(slots=True)
class _Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(slots=True)
class _Line:
    words: list[_Word]

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
        return _join_words(self.words)


_PASSWORD_ERRORS = (PDFPasswordIncorrect, PDFEncryptionError)
_SYNTAX_ERRORS = (PDFSyntaxError, PSException, ValueError, KeyError, TypeError)


def _cause(exc: Exception) -> Exception:
    """pdfminer's own exception: pdfplumber wraps it in a PdfminerException."""
    if isinstance(exc, PdfminerException) and exc.args and isinstance(exc.args[0], Exception):
        return exc.args[0]
    return exc


def read(content: bytes, limits: Limits | None = None) -> Document:
    limits = limits or Limits()
    try:
        pdf = pdfplumber.open(io.BytesIO(content))
    except (PdfminerException, *_PASSWORD_ERRORS, *_SYNTAX_ERRORS) as exc:
        cause = _cause(exc)
        if isinstance(cause, _PASSWORD_ERRORS):
            raise _encrypted() from exc
        if isinstance(cause, _SYNTAX_ERRORS):
            raise _corrupt(cause) from exc
        raise
    with pdf:
        limits.check_pdf_objects(_object_count(pdf))
        limits.check_pages(_declared_pages(pdf), "the PDF")
        try:
            pages = list(pdf.pages)
        except Exception as exc:  # pdfminer raises many kinds on a damaged file
            cause = _cause(exc)
            if isinstance(cause, _PASSWORD_ERRORS):
                raise _encrypted() from exc
            raise _corrupt(cause) from exc
        if not pages:
            raise GovreportError(Reason.EMPTY_DOCUMENT, "the PDF has no pages")
        document = Document(SourceFormat.PDF, page_count=len(pages), hints=_hints(pdf.metadata))
        read_pages: list[_PageText] = []
        problems: dict[int, str] = {}
        for page in pages:
            try:
                text, problem = _read_page(page)
            except Exception as exc:  # one damaged page must not lose the others
                if isinstance(_cause(exc), _PASSWORD_ERRORS):
                    raise _encrypted() from exc
                text, problem = (
                    None,
                    f"the page could not be parsed ({type(_cause(exc)).__name__}): needs a repaired file or OCR",
                )
            if text is not None:
                read_pages.append(text)
            if problem:
                problems[page.page_number] = problem
    by_page: dict[int, list[Block]] = {}
    margins = _margins(read_pages)
    before: _PageText | None = None
    for text in read_pages:
        placed = text.tables + _blocks_from_lines(text.lines, text.number, margins[text.size])
        placed.sort(key=lambda item: item[0])
        blocks = [block for _, block in placed]
        previous = by_page.get(text.number - 1)
        if before is not None and previous and blocks:
            last, first = previous[-1], blocks[0]
            if (
                isinstance(last, Paragraph)
                and isinstance(first, Paragraph)
                and _runs_over(before, text, margins[text.size])
            ):
                previous[-1] = _joined(last, first)
                blocks.pop(0)
        by_page[text.number] = blocks
        before = text
    if problems:
        scanned_pages = read_scanned_pages(content, sorted(problems), limits.max_page_pixels)
        for number, scanned in scanned_pages.items():
            if scanned.blocks:
                by_page[number] = scanned.blocks
                document.ocr_pages.append(number)
            else:
                reason = problems[number]
                if scanned.problem:
                    reason = f"{reason.removesuffix(': needs OCR')}; {scanned.problem}"
                document.unread_pages.append(UnreadPage(number, reason))
    for number in sorted(by_page):
        document.blocks.extend(by_page[number])
    if not any(document.blocks):
        reasons = "; ".join(f"page {p.page}: {p.reason}" for p in document.unread_pages[:3])
        raise GovreportError(
            Reason.EMPTY_DOCUMENT,
            f"nothing could be read from the PDF, neither a text layer nor by OCR ({reasons})",
        )
    return document


def _object_count(pdf: PDF) -> int:
    """Objects in the cross-reference tables: read without parsing any of them."""
    return sum(len(list(xref.get_objids())) for xref in pdf.doc.xrefs)


def _declared_pages(pdf: PDF) -> int:
    """The page tree's /Count, so a 5,000-page file is refused before its pages are walked."""
    with contextlib.suppress(Exception):  # a damaged tree: the walk itself will say so
        count = resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"])
        if isinstance(count, int):
            return count
    return 0


def _encrypted() -> GovreportError:
    return GovreportError(
        Reason.ENCRYPTED_DOCUMENT,
        "the PDF is protected by a password; send an unprotected copy (a PDF that only restricts printing or copying opens as is)",
    )


def _corrupt(exc: Exception) -> GovreportError:
    return GovreportError(
        Reason.CORRUPT_DOCUMENT,
        f"the PDF cannot be parsed ({type(exc).__name__}: {exc}); it may be truncated or damaged — send the complete file",
    )


def _hints(metadata: dict[str, Any]) -> dict[str, str]:
    hints: dict[str, str] = {}
    title = metadata.get("Title")
    if isinstance(title, str) and title.strip():
        hints["title"] = normalize(title.strip())
    created = metadata.get("CreationDate")
    if isinstance(created, str | bytes):
        text = created.decode("latin-1") if isinstance(created, bytes) else created
        match = re.match(r"D:(\d{4})(\d{2})(\d{2})", text)
        if match:
            with contextlib.suppress(ValueError):
                hints["creation_date"] = date(*map(int, match.groups())).isoformat()
    return hints


def _unusable(page: Page) -> str | None:
    """Why the page's text layer cannot be read, or None when it can."""
    chars = page.chars
    images = bool(page.images)
    if not chars:
        return "no text layer (an image-only page): needs OCR" if images else None
    text = "".join(c["text"] for c in chars)
    cid = sum(len(m) for m in _CID.findall(text))
    if cid > 0.2 * len(text):
        return "the text layer is glyph codes without a Unicode map (CID garbage): needs OCR"
    meaningful = _MEANINGFUL.findall(text)
    odd = sum(
        1 for ch in text if 0xE000 <= ord(ch) <= 0xF8FF or (ord(ch) < 32 and ch not in "\t\n")
    )
    if odd > 0.3 * len(text):
        return "the text layer is unreadable (private-use or control characters): needs OCR"
    if images and (len(meaningful) < 12 or PAGE_NUMBER.match(text.strip())):
        return f"the text layer holds only {len(meaningful)} characters over an image (a page number or watermark): needs OCR"
    return None


@dataclass(slots=True)
class _PageText:
    """A page as read: its ruled tables placed by their top, and the lines outside them."""

    number: int
    size: tuple[int, int]
    tables: list[tuple[float, Block]]
    lines: list[_Line]


def _read_page(page: Page) -> tuple[_PageText | None, str | None]:
    problem = _unusable(page)
    if problem is not None or not page.chars:
        return None, problem
    page = page.dedupe_chars(tolerance=1)  # text drawn twice to look bold
    number = page.page_number
    words = [
        _Word(normalize(w["text"]), w["x0"], w["top"], w["x1"], w["bottom"])
        for w in page.extract_words(
            x_tolerance=1.5, y_tolerance=_LINE_TOLERANCE, keep_blank_chars=False
        )
    ]
    words = [w for w in words if w.text.strip()]
    placed: list[tuple[float, Block]] = []
    rest = words
    ruled = visible(page)
    settings = {**_TABLE_SETTINGS, "explicit_horizontal_lines": closing_rules(ruled)}
    for found in ruled.find_tables(settings):
        inside, outside = _split_words(rest, found.bbox)
        table = _grid(found.cells, inside, number)
        if table is None or _is_frame(table):
            continue  # a box drawn around text: its words are read as lines
        rest = outside
        placed.append((found.bbox[1], table))
    lines = _lines(rest)
    lines = [ln for ln in lines if not PAGE_NUMBER.match(ln.text)]
    size = (round(float(page.width)), round(float(page.height)))
    return _PageText(number, size, placed, lines), None


def _margins(pages: list[_PageText]) -> dict[tuple[int, int], tuple[float, float]]:
    """The text's left and right edges for each page size, from all the pages of that size.

    A document keeps its margins from page to page, so a page holding only
    short lines (a heading and one line of text, a signature) is judged by
    the edges its full pages show, not by its own longest line.
    """
    edges: dict[tuple[int, int], tuple[float, float]] = {}
    for page in pages:
        text_lines = [ln for ln in page.lines if len(_gaps(ln)) == 1]
        if not text_lines:
            continue
        left = min(ln.x0 for ln in text_lines)
        right = max(ln.x1 for ln in text_lines)
        if page.size in edges:
            left, right = min(left, edges[page.size][0]), max(right, edges[page.size][1])
        edges[page.size] = (left, right)
    for page in pages:
        edges.setdefault(page.size, (0.0, 0.0))
    return edges


def _runs_over(page: _PageText, following: _PageText, margins: tuple[float, float]) -> bool:
    """True when the page's last line of text fills the line to the right margin and the next
    page's first line starts flush left (a new paragraph is indented, a heading is marked):
    one paragraph broken by the page end. Both lines must be the ends of their pages' text,
    not lines above or below a table."""
    left, right = margins
    if not page.lines or not following.lines or right <= left:
        return False
    last, first = page.lines[-1], following.lines[0]
    if any(top > last.top for top, _ in page.tables):
        return False
    if any(top < first.top for top, _ in following.tables):
        return False
    size = max(last.bottom - last.top, 1.0)
    return (
        last.x1 >= right - 2 * size
        and first.x0 <= left + size / 2
        and len(_gaps(last)) == 1
        and len(_gaps(first)) == 1
        and not HEADING_MARK.match(first.text)
    )


def _joined(last: Paragraph, first: Paragraph) -> Paragraph:
    return Paragraph("".join(_join_lines([last.text, first.text])), last.location, last.confidence)


def _split_words(words: list[_Word], bbox: Sequence[float]) -> tuple[list[_Word], list[_Word]]:
    x0, top, x1, bottom = bbox
    inside: list[_Word] = []
    outside: list[_Word] = []
    for w in words:
        (inside if x0 <= w.cx <= x1 and top <= w.cy <= bottom else outside).append(w)
    return inside, outside


def _boundaries(values: Iterable[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _EDGE_TOLERANCE:
            out.append(v)
    return out


def _index(bounds: list[float], v: float) -> int:
    return min(range(len(bounds)), key=lambda i: abs(bounds[i] - v))


def _grid(
    cells: list[tuple[float, float, float, float]], words: list[_Word], page: int
) -> Table | None:
    """The table's cells as a grid: a merged cell is one TextCell in every slot it covers."""
    if not cells:
        return None
    xs = _boundaries(v for c in cells for v in (c[0], c[2]))
    ys = _boundaries(v for c in cells for v in (c[1], c[3]))
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows < 1 or n_cols < 1:
        return None
    slots: list[list[TextCell | None]] = [[None] * n_cols for _ in range(n_rows)]
    members: dict[int, list[_Word]] = {}
    boxes: list[tuple[TextCell, tuple[float, float, float, float]]] = []
    for bbox in sorted(cells, key=lambda c: (c[1], c[0])):
        c0, c1 = _index(xs, bbox[0]), _index(xs, bbox[2])
        r0, r1 = _index(ys, bbox[1]), _index(ys, bbox[3])
        if c1 <= c0 or r1 <= r0:
            continue
        location = Location(
            page=page, box=Box(*bbox), locator=f"page[{page}]/table/row[{r0 + 1}]/cell[{c0 + 1}]"
        )
        cell = TextCell("", location, 1.0, r0, c0)
        boxes.append((cell, bbox))
        members[id(cell)] = []
        for r in range(r0, r1):
            for c in range(c0, c1):
                if slots[r][c] is None:
                    slots[r][c] = cell
    for w in words:
        for cell, (x0, top, x1, bottom) in boxes:
            if x0 <= w.cx <= x1 and top <= w.cy <= bottom:
                members[id(cell)].append(w)
                break
    for cell, _ in boxes:
        cell.text = _cell_text(members[id(cell)])
    rows: list[list[TextCell]] = []
    for r, row in enumerate(slots):
        filled: list[TextCell] = []
        for c, slot in enumerate(row):
            if slot is None:
                box = Box(xs[c], ys[r], xs[c + 1], ys[r + 1])
                slot = TextCell("", Location(page=page, box=box), 0.0, r, c, exists=False)
            filled.append(slot)
        rows.append(filled)
    return Table(
        rows, grid=True, location=Location(page=page, box=Box(xs[0], ys[0], xs[-1], ys[-1]))
    )


def _is_frame(table: Table) -> bool:
    """A ruled box around text rather than a table: a single column of cells."""
    return all(len({id(c) for c in row if c.exists}) <= 1 for row in table.rows)


def _cell_text(words: list[_Word]) -> str:
    """A cell's words in reading order; a label wrapped in a narrow column joins without spaces."""
    return "".join(_join_lines([ln.text for ln in _lines(words)]))


def _join_lines(texts: list[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        if (
            out
            and out[-1]
            and text
            and out[-1][-1].isascii()
            and out[-1][-1].isalnum()
            and text[0].isascii()
            and text[0].isalnum()
        ):
            out.append(" ")
        out.append(text)
    return out


def _join_words(words: list[_Word]) -> str:
    out = ""
    for w in sorted(words, key=lambda w: w.x0):
        if out and (out[-1].isascii() and w.text[0].isascii()):
            out += " "
        out += w.text
    return out


def _lines(words: list[_Word]) -> list[_Line]:
    lines: list[_Line] = []
    for w in sorted(words, key=lambda w: (w.top, w.x0)):
        for line in lines[-3:]:
            if abs(line.words[0].cy - w.cy) <= _LINE_TOLERANCE:
                line.words.append(w)
                break
        else:
            lines.append(_Line([w]))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


def _gaps(line: _Line) -> list[list[_Word]]:
    """The line's words grouped into cells at gaps wider than two characters.

    Once a line shows such a gap it is a table row, and a gap of about one
    character also parts two cells: inside a cell Chinese characters touch
    and Latin words stand a space (a third of a character) apart, while a
    label that fills its column stands only the cells' padding away from the
    next one. Prose, which has no wide gap, is never cut at its narrow ones.
    """
    pairs = list(zip(line.words, line.words[1:], strict=False))
    sizes = [max(prev.bottom - prev.top, 1.0) for prev, _ in pairs]
    is_row = any(w.x0 - prev.x1 > 2 * size for (prev, w), size in zip(pairs, sizes, strict=True))
    limit = 0.8 if is_row else 2.0
    groups: list[list[_Word]] = [[line.words[0]]]
    for (prev, w), size in zip(pairs, sizes, strict=True):
        if w.x0 - prev.x1 > limit * size:
            groups.append([w])
        else:
            groups[-1].append(w)
    return groups


def _box(words: Iterable[_Word]) -> Box:
    ws = list(words)
    return Box(
        min(w.x0 for w in ws),
        min(w.top for w in ws),
        max(w.x1 for w in ws),
        max(w.bottom for w in ws),
    )


def _blocks_from_lines(
    lines: list[_Line], page: int, margins: tuple[float, float] = (0.0, 0.0)
) -> list[tuple[float, Block]]:
    """Paragraphs, and ragged table rows where a line's words stand apart in columns.

    ``margins`` are the text's left and right edges on pages of this size
    (see _margins): a line reaching the right edge runs on into the next.
    """
    out: list[tuple[float, Block]] = []
    right = max((ln.x1 for ln in lines), default=margins[1])
    right = max(right, margins[1])
    left = min((ln.x0 for ln in lines), default=margins[0])
    if margins[1] > 0:
        left = min(left, margins[0])
    rows: list[list[TextCell]] = []
    paragraph: list[_Line] = []

    def flush_paragraph() -> None:
        if paragraph:
            text = "".join(_join_lines([ln.text for ln in paragraph]))
            box = _box(w for ln in paragraph for w in ln.words)
            out.append((box.y0, Paragraph(text, Location(page=page, box=box))))
            paragraph.clear()

    def flush_rows() -> None:
        if rows:
            first = rows[0][0].location.box
            top = first.y0 if first else 0.0
            out.append((top, Table(list(rows), grid=False, location=Location(page=page))))
            rows.clear()

    for line in lines:
        groups = _gaps(line)
        if len(groups) >= 2:
            flush_paragraph()
            r = len(rows)
            rows.append(
                [
                    TextCell(_join_words(g), Location(page=page, box=_box(g)), 1.0, r, c)
                    for c, g in enumerate(groups)
                ]
            )
            continue
        flush_rows()
        size = max(line.bottom - line.top, 1.0)
        continues = (
            paragraph
            and paragraph[-1].x1 >= right - 2 * size
            and line.x0 <= left + 3 * size
            and not HEADING_MARK.match(line.text)
            and line.top - paragraph[-1].bottom < 1.5 * size
        )
        if not continues:
            flush_paragraph()
        paragraph.append(line)
    flush_paragraph()
    flush_rows()
    return out
