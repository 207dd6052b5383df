"""HTML reader: a report as published on a web page, usually inside the site's page chrome.

The page is parsed with lxml (never fetching anything it links to). Text
outside tables becomes paragraphs, split at block elements and ``<br>``;
each data table becomes a grid Table. Layout tables (tables holding tables,
or one-column tables) are unwrapped so their content reads as blocks.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from dataclasses import dataclass, field

import charset_normalizer
import lxml.etree
import lxml.html

from govreport.errors import GovreportError, Reason, clip
from govreport.ir import Block, Document, Hints, Location, Paragraph, SourceFormat, Table, TextCell
from govreport.layout import SlotGrid, join_lines, unless_solid
from govreport.limits import Limits
from govreport.readers._common import clean, in_row

# Elements whose content is never report text.
_SKIP = frozenset(
    {
        "script", "style", "noscript", "template", "head", "title", "meta", "link",
        "iframe", "object", "embed", "svg", "canvas", "select", "option", "button",
        "textarea", "nav", "aside",
    }
)  # fmt: skip
# Elements that start a new line in a browser.
_BLOCK = frozenset(
    {
        "address", "article", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
        "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend",
        "li", "main", "menu", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_MAX_SPAN = 1000  # a colspan/rowspan beyond this is a typo, not a layout


def read(content: bytes, limits: Limits | None = None) -> Document:
    """``limits`` are for paged and zipped formats; a text is bounded by its size."""
    text, encoding = decode(content)
    if not text.strip():
        raise GovreportError(Reason.EMPTY_DOCUMENT, "the HTML page holds no text")
    root = _parse(text)
    body = root.find("body")
    reader = _Reader(_content(body if body is not None else root))
    reader.walk(body if body is not None else root)
    reader.flush()
    if not reader.blocks:
        raise GovreportError(
            Reason.EMPTY_DOCUMENT,
            "the HTML page holds no visible text (only scripts, styles or navigation); "
            "send the page that shows the report itself",
        )
    return Document(
        SourceFormat.HTML,
        reader.blocks,
        encoding=encoding,
        hints=_hints(root),
        content_end=reader.content_end,
    )


def _content(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The element holding the report on a site page: the nearest common ancestor of its data
    tables (two or more), or None."""
    tables = [
        el
        for el in root.iter("table")
        if not el.xpath(".//table") and _grid_table(el, "") is not None
    ]
    if len(tables) < 2:
        return None
    chains = [list(reversed([t, *t.iterancestors()])) for t in tables]
    common: lxml.html.HtmlElement | None = None
    for level in zip(*chains, strict=False):
        if any(el is not level[0] for el in level):
            break
        common = level[0]
    return common


# ---------------------------------------------------------------- decoding

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)


def decode(content: bytes) -> tuple[str, str]:
    """The page as text and the codec that decoded it.

    Valid UTF-8 wins over a declaration: Chinese sites often keep a stale
    ``gb2312`` meta after moving to UTF-8, and GBK text is almost never valid
    UTF-8. GBK and GB2312 are read as GB18030, their superset; a detector
    is asked only when neither fits (UTF-16 without a BOM, say).
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, errors="replace"), codec.removesuffix("-sig")
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = [_declared(content)]
    if b"\x00" not in content:
        # Without a (valid) declaration a Chinese page is GBK far more often than
        # anything a detector guesses from a few dozen bytes.
        candidates.append("gb18030")
    for codec in candidates:
        if codec:
            with contextlib.suppress(UnicodeDecodeError, LookupError):
                return content.decode(codec), codec
    best = charset_normalizer.from_bytes(content).best()
    codec = _canonical(best.encoding) if best is not None else ""
    if codec:
        with contextlib.suppress(UnicodeDecodeError, LookupError):
            return content.decode(codec), codec
    return content.decode("gb18030", errors="replace"), "gb18030"


def _declared(content: bytes) -> str:
    match = _DECLARED.search(content[:8192])
    if match is None:
        return ""
    name = (match.group(1) or match.group(2)).decode("ascii")
    return _canonical(name)


def _canonical(name: str) -> str:
    lowered = name.lower()
    if ("gb" in lowered and "18030" not in lowered) or lowered in {
        "cp936",
        "ms936",
        "euc-cn",
        "hz",
    }:
        return "gb18030"
    try:
        return codecs.lookup(lowered).name
    except LookupError:
        return ""


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _parse(text: str) -> lxml.html.HtmlElement:
    # Re-encoded with an explicit codec so that a <meta charset> in the page
    # cannot make libxml2 decode the text a second time.
    data = _XML_DECLARATION.sub("", text, count=1).encode("utf-8")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(data, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise GovreportError(
            Reason.EMPTY_DOCUMENT, f"the HTML page holds no document: {clip(str(exc))}"
        ) from exc


# ---------------------------------------------------------------- walking the page


def _tag(el: lxml.html.HtmlElement) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _hidden(el: lxml.html.HtmlElement) -> bool:
    return el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style", "")))


@dataclass
class _Lines:
    """Text pieces gathered into lines, each line with the source line it starts on."""

    pieces: list[str] = field(default_factory=list)
    start: int = 0
    done: list[tuple[str, int]] = field(default_factory=list)

    def add(self, text: str | None, line: int) -> None:
        if not text:
            return
        if not self.pieces:
            self.start = line
        self.pieces.append(text)

    def brk(self) -> None:
        if self.pieces:
            text = clean("".join(self.pieces))
            if text:
                self.done.append((text, self.start))
        self.pieces = []


class _Reader:
    def __init__(self, content: lxml.html.HtmlElement | None = None) -> None:
        self.blocks: list[Block] = []
        self.lines = _Lines()
        self.paragraphs = 0
        self.tables = 0
        self.content = content
        self.content_end: int | None = None

    def walk(self, el: lxml.html.HtmlElement) -> None:
        self._walk(el)
        if el is self.content:
            self.flush()
            self.content_end = len(self.blocks)

    def _walk(self, el: lxml.html.HtmlElement) -> None:
        tag = _tag(el)
        if not tag or tag in _SKIP or _hidden(el):
            return
        if tag == "table" and self._table(el):
            return
        if tag == "br":
            self.lines.brk()
            return
        line = el.sourceline or 0
        if tag == "pre":
            self._pre(el, line)
            return
        block = tag in _BLOCK
        if block:
            self.lines.brk()
        self.lines.add(el.text, line)
        for child in el:
            self.walk(child)
            self.lines.add(child.tail, child.sourceline or line)
        if block:
            self.lines.brk()

    def _pre(self, el: lxml.html.HtmlElement, line: int) -> None:
        """Preformatted text: each source line is a line of its own."""
        self.lines.brk()
        for offset, text in enumerate(el.text_content().split("\n")):
            self.lines.add(text, line + offset)
            self.lines.brk()

    def flush(self) -> None:
        """Turns the lines gathered so far into paragraphs."""
        self.lines.brk()
        for text, line in self.lines.done:
            self.paragraphs += 1
            self.blocks.append(
                Paragraph(text, Location(line=line, locator=f"p[{self.paragraphs}]"))
            )
        self.lines.done = []

    def _table(self, el: lxml.html.HtmlElement) -> bool:
        """Emits a data table; False for a layout table, which the caller walks as blocks."""
        if el.xpath(".//table"):
            return False
        locator = f"table[{self.tables + 1}]"
        table = _grid_table(el, locator)
        if table is None:
            return False
        for caption in el.iterchildren("caption"):
            self.walk(caption)  # "表三 …": a paragraph before the table
        self.flush()
        self.tables += 1
        self.blocks.append(table)
        return True


# ---------------------------------------------------------------- tables


def _grid_table(el: lxml.html.HtmlElement, locator: str) -> Table | None:
    """The table as a grid, or None when it is no data table (one column, or no text)."""
    trs = [tr for tr in el.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr") if not _hidden(tr)]
    grid = SlotGrid()
    for r, tr in enumerate(trs):
        c = 0
        tds = [td for td in tr if _tag(td) in ("td", "th") and not _hidden(td)]
        for index, td in enumerate(tds, start=1):
            c = grid.next_free(r, c)
            colspan = _span(td.get("colspan"))
            # rowspan=0 runs to the table's end, and no span runs past it (as browsers do).
            rowspan = min(_span(td.get("rowspan")) or len(trs) - r, len(trs) - r)
            cell = TextCell(
                _cell_text(td),
                Location(line=td.sourceline or 0, locator=f"{locator}/row[{r + 1}]/cell[{index}]"),
                row=r,
                col=c,
            )
            grid.place(cell, r, c, colspan or 1, rowspan)
            c += colspan or 1
    rows = grid.rows(len(trs), in_row(locator))
    if not rows or len(rows[0]) < 2 or not any(cell.text for row in rows for cell in row):
        return None
    return Table(rows, grid=True, location=Location(line=el.sourceline or 0, locator=locator))


def _span(value: str | None) -> int:
    """A span attribute as browsers read it: leading digits; junk is 1, 0 stays 0."""
    match = re.match(r"\s*(\d+)", value or "")
    if match is None:
        return 1
    return min(int(match.group(1)), _MAX_SPAN)


def _cell_text(td: lxml.html.HtmlElement) -> str:
    lines = _Lines()

    def walk(el: lxml.html.HtmlElement) -> None:
        tag = _tag(el)
        if not tag or tag in _SKIP or _hidden(el):
            return
        if tag == "br":
            lines.brk()
            return
        block = tag in _BLOCK
        if block:
            lines.brk()
        lines.add(el.text, 0)
        for child in el:
            walk(child)
            lines.add(child.tail, 0)
        if block:
            lines.brk()

    walk(td)
    lines.brk()
    return join_lines((text for text, _ in lines.done), unless_solid)


# ---------------------------------------------------------------- hints

_DATE = re.compile(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")


def _hints(root: lxml.html.HtmlElement) -> Hints:
    """What the page's head says about the article: its title and publication date."""
    hints: dict[str, str] = {}
    metas = {
        (meta.get("name") or meta.get("property") or "").lower(): meta.get("content") or ""
        for meta in root.iter("meta")
    }
    title = metas.get("articletitle") or metas.get("og:title") or root.findtext(".//title") or ""
    if clean(title):
        hints["title"] = clean(title)
    for name in ("pubdate", "publishdate", "article:published_time", "firstpublishedtime"):
        match = _DATE.search(metas.get(name, ""))
        if match:
            year, month, day = (int(part) for part in match.groups())
            hints["published"] = f"{year:04d}-{month:02d}-{day:02d}"
            break
    return Hints(**hints)
