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
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException
from pdfplumber.page import Page
from pdfplumber.pdf import PDF
from pdfplumber.utils.exceptions import PdfminerException

from govreport.errors import GovreportError, Reason, quoted
from govreport.ir import (
    Block,
    Box,
    Document,
    Hints,
    Location,
    Paragraph,
    SourceFormat,
    Table,
    TextCell,
    UnreadPage,
)
from govreport.layout import (
    PAGE_NUMBER,
    Line,
    SlotGrid,
    Word,
    between_ascii,
    between_latin,
    bounds,
    join_lines,
    join_words,
    line_height,
    lines_of,
    paragraphs,
    split_cells,
)
from govreport.limits import Limits
from govreport.normalize import HEADING_MARK, normalize
from govreport.readers.pdf_rulings import closing_rules, visible
from govreport.readers.pdf_scan import read_scanned_pages

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


_PASSWORD_ERRORS = (PDFPasswordIncorrect, PDFEncryptionError)
_SYNTAX_ERRORS = (PDFSyntaxError, PSException, ValueError, KeyError, TypeError)


def _cause(exc: Exception) -> Exception:
    """pdfminer's own exception: pdfplumber wraps it in a PdfminerException."""
    if isinstance(exc, PdfminerException) and exc.args and isinstance(exc.args[0], Exception):
        return exc.args[0]
    return exc


def read(content: bytes, limits: Limits | None = None) -> Document:
    limits = limits or Limits()
    limits.check_pdf_objects(_claimed_objects(content), claimed=True)
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
        pages: list[Page] = []
        try:
            walked = _walked_pages(pdf, limits.max_pages)
            if walked <= limits.max_pages:
                pages = list(pdf.pages)
        except Exception as exc:  # pdfminer raises many kinds on a damaged file
            cause = _cause(exc)
            if isinstance(cause, _PASSWORD_ERRORS):
                raise _encrypted() from exc
            raise _corrupt(cause) from exc
        limits.check_pages(walked, "the PDF", at_least=True)
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


# What a PDF says of its own size before any of it is parsed: trailers' and xref streams'
# /Size, and xref streams' /Index ranges (start, count, start, count, ...).
_SIZE = re.compile(rb"/Size\s+(\d{1,12})")
_INDEX = re.compile(rb"/Index\s*\[([\d\s]{1,4000})\]")


def _claimed_objects(content: bytes) -> int:
    """The most objects any cross-reference section claims, read from the raw bytes.

    pdfminer builds its index of a cross-reference stream from these claims: an xref stream
    of a few hundred KB that claims 50 M objects took 20 s and 700 MB to open, then held
    nothing. The claims are checked before it is opened.
    """
    claimed = max((int(m.group(1)) for m in _SIZE.finditer(content)), default=0)
    for match in _INDEX.finditer(content):
        numbers = [int(n) for n in match.group(1).split()]
        claimed = max(claimed, sum(numbers[1::2]))
    return claimed


def _object_count(pdf: PDF) -> int:
    """Objects in the cross-reference tables as parsed (their entries, not the objects)."""
    count = 0
    for xref in pdf.doc.xrefs:
        ranges = getattr(xref, "ranges", None)
        if ranges is not None:  # a cross-reference stream: (start, count) ranges
            count += sum(n for _, n in ranges)
        else:
            count += len(getattr(xref, "offsets", ()))
    return count


def _walked_pages(pdf: PDF, limit: int) -> int:
    """The pages the page tree holds, walked and counted up to ``limit`` + 1: the tree's
    /Count is the file's own claim (a 5,000-page file may say 1)."""
    return sum(1 for _ in itertools.islice(PDFPage.create_pages(pdf.doc), limit + 1))


def _encrypted() -> GovreportError:
    return GovreportError(
        Reason.ENCRYPTED_DOCUMENT,
        "the PDF is protected by a password; send an unprotected copy (a PDF that only restricts printing or copying opens as is)",
    )


def _corrupt(exc: Exception) -> GovreportError:
    return GovreportError(
        Reason.CORRUPT_DOCUMENT,
        f"the PDF cannot be parsed ({quoted(exc)}); it may be truncated or damaged — send the complete file",
    )


def _hints(metadata: dict[str, Any]) -> Hints:
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
                hints["created"] = date(*map(int, match.groups())).isoformat()
    return Hints(**hints)


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
    lines: list[Line]


def _read_page(page: Page) -> tuple[_PageText | None, str | None]:
    problem = _unusable(page)
    if problem is not None or not page.chars:
        return None, problem
    page = page.dedupe_chars(tolerance=1)  # text drawn twice to look bold
    number = page.page_number
    words = [
        Word(normalize(w["text"]), w["x0"], w["top"], w["x1"], w["bottom"])
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
    lines = lines_of(rest, _LINE_TOLERANCE, between_ascii)
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
        text_lines = [ln for ln in page.lines if len(split_cells(ln)) == 1]
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
    size = line_height(last)
    return (
        last.x1 >= right - 2 * size
        and first.x0 <= left + size / 2
        and len(split_cells(last)) == 1
        and len(split_cells(first)) == 1
        and not HEADING_MARK.match(first.text)
    )


def _joined(last: Paragraph, first: Paragraph) -> Paragraph:
    return Paragraph(
        join_lines([last.text, first.text], between_latin), last.location, last.confidence
    )


def _split_words(words: list[Word], bbox: Sequence[float]) -> tuple[list[Word], list[Word]]:
    x0, top, x1, bottom = bbox
    inside: list[Word] = []
    outside: list[Word] = []
    for w in words:
        (inside if x0 <= w.cx <= x1 and top <= w.cy <= bottom else outside).append(w)
    return inside, outside


def _boundaries(values: Iterable[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _EDGE_TOLERANCE:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def _grid(
    cells: list[tuple[float, float, float, float]], words: list[Word], page: int
) -> Table | None:
    """The table's cells as a grid: a merged cell is one TextCell in every slot it covers."""
    if not cells:
        return None
    xs = _boundaries(v for c in cells for v in (c[0], c[2]))
    ys = _boundaries(v for c in cells for v in (c[1], c[3]))
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows < 1 or n_cols < 1:
        return None
    grid = SlotGrid(max_columns=n_cols)
    members: dict[int, list[Word]] = {}
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
        grid.place(cell, r0, c0, c1 - c0, r1 - r0)
    for w in words:
        for cell, (x0, top, x1, bottom) in boxes:
            if x0 <= w.cx <= x1 and top <= w.cy <= bottom:
                members[id(cell)].append(w)
                break
    for cell, _ in boxes:
        cell.text = _cell_text(members[id(cell)])

    def absent(r: int, c: int) -> Location:
        return Location(page=page, box=Box(xs[c], ys[r], xs[c + 1], ys[r + 1]))

    return Table(
        grid.rows(n_rows, absent, n_cols),
        grid=True,
        location=Location(page=page, box=Box(xs[0], ys[0], xs[-1], ys[-1])),
    )


def _is_frame(table: Table) -> bool:
    """A ruled box around text rather than a table: a single column of cells."""
    return all(len({id(c) for c in row if c.exists}) <= 1 for row in table.rows)


def _cell_text(words: list[Word]) -> str:
    """A cell's words in reading order; a label wrapped in a narrow column joins without spaces."""
    lines = lines_of(words, _LINE_TOLERANCE, between_ascii)
    return join_lines((ln.text for ln in lines), between_latin)


def _blocks_from_lines(
    lines: list[Line], page: int, margins: tuple[float, float] = (0.0, 0.0)
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
    prose: list[Line] = []  # the lines since the last table row

    def flush_prose() -> None:
        for group in paragraphs(prose, left, right):
            text = join_lines((ln.text for ln in group), between_latin)
            box = Box(*bounds(w for ln in group for w in ln.words))
            out.append((box.y0, Paragraph(text, Location(page=page, box=box))))
        prose.clear()

    def flush_rows() -> None:
        if rows:
            first = rows[0][0].location.box
            top = first.y0 if first else 0.0
            out.append((top, Table(list(rows), grid=False, location=Location(page=page))))
            rows.clear()

    for line in lines:
        groups = split_cells(line)
        if len(groups) >= 2:
            flush_prose()
            r = len(rows)
            rows.append(
                [
                    TextCell(
                        join_words(g, between_ascii),
                        Location(page=page, box=Box(*bounds(g))),
                        1.0,
                        r,
                        c,
                    )
                    for c, g in enumerate(groups)
                ]
            )
            continue
        flush_rows()
        prose.append(line)
    flush_prose()
    flush_rows()
    return out
