"""Plain text: decoding, and tables recovered from the ways text flattens them.

Reports reach us as text copied or converted from other formats, and their
tables arrive flattened in one of a few shapes (see TEMPLATE.md): cells
separated by tabs, one cell per line ending in " |" (from HTML), one
tab-indented cell per line with a blank line between rows (from Word),
Markdown tables (from PDF), or columns aligned with runs of spaces. Lines
that hold cells become rows of a ragged ``Table`` (``grid=False``); other
lines become paragraphs. Every cell keeps its line and character offsets in
the decoded text.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from charset_normalizer import from_bytes

from govreport.errors import GovreportError, Reason
from govreport.ir import (
    Block,
    Document,
    Location,
    Paragraph,
    SourceFormat,
    Table,
    TextCell,
    visible_length,
)
from govreport.layout import PAGE_NUMBER
from govreport.limits import Limits
from govreport.normalize import HEADING_MARK, normalize

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was decoded from (UTF-8, GB18030/GBK, UTF-16, …)."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(encoding), encoding.replace("-sig", "")
            except UnicodeDecodeError as exc:
                raise _undecodable(encoding, exc) from exc
    for encoding in ("utf-8", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" or _mostly_cjk_or_ascii(text):
            return text, encoding
    best = from_bytes(content).best()
    if best is None or best.encoding is None:
        raise GovreportError(
            Reason.UNDECODABLE_TEXT,
            "the text is in no encoding govreport recognises (tried UTF-8, GB18030/GBK, UTF-16 "
            "and detection); save it as UTF-8 and send it again",
        )
    return str(best), best.encoding


def _undecodable(encoding: str, exc: UnicodeDecodeError) -> GovreportError:
    return GovreportError(
        Reason.UNDECODABLE_TEXT,
        f"the text starts with a {encoding} byte-order mark but is not valid {encoding} "
        f"(at byte {exc.start}); save it as UTF-8 and send it again",
    )


def _mostly_cjk_or_ascii(text: str) -> bool:
    """GB18030 decodes many byte strings; accept it only when the result reads as Chinese."""
    sample = text[:4000]
    if not sample:
        return True
    good = sum(
        1
        for ch in sample
        if ch.isascii()
        or "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
    )
    return good >= 0.9 * len(sample)


@dataclass(slots=True)
class _Line:
    number: int  # 1-based
    start: int  # offset of the line in the decoded text
    text: str
    cells: list[tuple[int, int]] | None  # cell spans within the line, None for prose
    # Lines that continue this line's last cell (a cell whose text broke over lines).
    continued: list[_Line] = field(default_factory=list)


_MD_SEPARATOR = re.compile(r"^\|?[\s:|-]+\|?$")
_ALIGNED_SPLIT = re.compile(r"[ \u3000]{2,}")
_VALUEISH = re.compile(r"^[\s0-9０-９.+\-/／—–]+$")


def _split(text: str) -> list[tuple[int, int]] | None:
    """Cell spans of a line that holds table cells, or None for a prose line."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped.startswith("|"):
        if _MD_SEPARATOR.match(stripped) and "-" in stripped:
            return []
        return _spans_between(text, "|", drop_outer=True)
    if "|" in text:
        # One HTML cell per line, "text |", with extra pipes where cells spanned columns.
        spans = _spans_between(text, "|", drop_outer=False)
        first, rest = spans[:1], [s for s in spans[1:] if text[s[0] : s[1]].strip()]
        return first + rest
    if "\t" in text:
        return _spans_between(text, "\t", drop_outer=False, keep_last=True)
    parts = [m for m in _ALIGNED_SPLIT.finditer(stripped)]
    if parts:
        spans = _spans_by_regex(text, _ALIGNED_SPLIT)
        fields = [text[a:b] for a, b in spans]
        if len(fields) >= 2 and any(_VALUEISH.match(f) for f in fields):
            return spans
    return None


def _spans_between(
    text: str, sep: str, *, drop_outer: bool, keep_last: bool = False
) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(text):
        if ch == sep:
            spans.append((start, i))
            start = i + 1
    if keep_last or text[start:].strip():
        spans.append((start, len(text)))
    if drop_outer:
        lead = text.index(sep)
        spans = [s for s in spans if s[1] > lead]  # the indentation before the leading pipe
    return spans


def _spans_by_regex(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = len(text) - len(text.lstrip())
    for m in pattern.finditer(text, start):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    end = len(text.rstrip())
    if end > start:
        spans.append((start, end))
    return spans


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    offset = 0
    blank_before = False
    for number, raw in enumerate(text.splitlines(keepends=True), start=1):
        body = raw.rstrip("\r\n")
        blank = not body.strip()
        # A run of blank lines says what one says; keeping one keeps a text padded with
        # millions of them linear and cheap (line numbers and offsets stay exact).
        if not (blank and blank_before):
            out.append(_Line(number, offset, body, None if blank else _split(body)))
        blank_before = blank
        offset += len(raw)
    return out


def _cell(line: _Line, span: tuple[int, int], row: int, col: int) -> TextCell:
    a, b = span
    raw = line.text[a:b]
    lead = len(raw) - len(raw.lstrip())
    content = raw.strip()
    start = line.start + a + lead
    end = start + len(content)
    if line.continued and span == (line.cells or [])[-1]:
        for extra in line.continued:
            content += extra.text.strip()
            end = extra.start + len(extra.text.rstrip())
    location = Location(line=line.number, char_start=start, char_end=end)
    return TextCell(normalize(content), location, 1.0, row, col)


def _continues_cell(run: list[_Line], line: _Line) -> bool:
    """A short line right under a tab-indented cell is the rest of that cell ("商业" / "企业")."""
    if not run or not run[-1].cells or not run[-1].text.startswith("\t"):
        return False
    previous = run[-1]
    if sum(1 for a, b in previous.cells or [] if previous.text[a:b].strip()) != 1:
        return False
    text = line.text.strip()
    return 0 < len(text) <= 12 and not HEADING_MARK.match(text)


def _one_cell_per_line(run: list[_Line]) -> bool:
    """Word's shape: each line one tab-indented cell, rows separated by blank lines."""
    filled = [ln for ln in run if ln.cells is not None and ln.text.strip()]
    if not filled or not any(ln.cells is None and not ln.text.strip() for ln in run):
        return False
    single = sum(
        1
        for ln in filled
        if ln.text.startswith("\t")
        and len([s for s in ln.cells or [] if ln.text[s[0] : s[1]].strip()]) <= 1
    )
    return single >= 0.8 * len(filled)


def _table(run: list[_Line]) -> Table:
    rows: list[list[TextCell]] = []
    if _one_cell_per_line(run):
        current: list[tuple[_Line, tuple[int, int]]] = []
        groups: list[list[tuple[_Line, tuple[int, int]]]] = []
        for ln in run:
            if ln.cells is None:  # a blank line closes the row
                if current:
                    groups.append(current)
                    current = []
                continue
            spans = ln.cells
            if spans and ln.text[spans[0][0] : spans[0][1]] == "":
                spans = spans[1:]  # the indentation tab, not a cell
            current.extend((ln, s) for s in spans)
        if current:
            groups.append(current)
        for group in groups:
            r = len(rows)
            rows.append([_cell(ln, span, r, c) for c, (ln, span) in enumerate(group)])
    else:
        for ln in run:
            if not ln.cells:
                continue
            r = len(rows)
            rows.append([_cell(ln, span, r, c) for c, span in enumerate(ln.cells)])
    first = run[0]
    return Table(rows, grid=False, location=Location(line=first.number, char_start=first.start))


def read(content: bytes, limits: Limits | None = None) -> Document:
    """``limits`` are for paged and zipped formats; a text is bounded by its size."""
    text, encoding = decode(content)
    (limits or Limits()).check_text(visible_length(text), "the text")  # before any work on it
    if not text.strip():
        raise GovreportError(
            Reason.EMPTY_DOCUMENT, "the text file holds no text (only white space)"
        )
    blocks: list[Block] = []
    run: list[_Line] = []

    def flush() -> None:
        while run and run[-1].cells is None:
            run.pop()  # trailing blank lines belong to no table
        if run:
            blocks.append(_table(run))
        run.clear()

    for line in _lines(text):
        if PAGE_NUMBER.match(line.text):
            continue  # a page number between the halves of a table is not content
        if line.cells is not None:
            run.append(line)
        elif _continues_cell(run, line):
            run[-1].continued.append(line)
        elif not line.text.strip():
            if run:
                run.append(line)
        else:
            flush()
            content_text = line.text.strip()
            lead = len(line.text) - len(line.text.lstrip())
            start = line.start + lead
            blocks.append(
                Paragraph(
                    normalize(content_text),
                    Location(
                        line=line.number, char_start=start, char_end=start + len(content_text)
                    ),
                )
            )
    flush()
    return Document(SourceFormat.TEXT, blocks, encoding=encoding)
