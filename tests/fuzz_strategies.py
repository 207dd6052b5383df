"""Hypothesis strategies for test_fuzz.py: inputs shaped like the reports govreport reads.

Every strategy draws plain data (indices, payloads) and applies it to a seed,
so that Hypothesis shrinks a failing input to a small edit of a real report.
Indices are taken modulo the length of what they point into.
"""

from __future__ import annotations

import html as html_lib
import io
import re
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import docx
from fixtures import LAYOUTS, gold_stems, load_gold
from hypothesis import strategies as st

from govreport.ir import Box, Document, Hints, Location, Paragraph, SourceFormat, Table, TextCell
from govreport.templates import HEADER_WORDS, SECTIONS, TEMPLATES, template

SAMPLES = Path(__file__).resolve().parent.parent / "server" / "govreport" / "samples"

# ---------------------------------------------------------------- recipes


class Fuzzed:
    """An input made by a recipe: its repr is the call that rebuilds it, not kilobytes of bytes.

    A failing example prints as e.g. ``fuzz_strategies.mutate_docx(0, [('grid_span', 3, 0,
    '1000000000')])``: paste it (``import fuzz_strategies``, with tests/ on the path) to rebuild it.
    """

    __slots__ = ("content", "recipe")

    def __init__(self, content: Any, recipe: str) -> None:
        self.content = content
        self.recipe = recipe

    def __repr__(self) -> str:
        return self.recipe


def _recipe(function: Callable[..., Any], *args: Any) -> Fuzzed:
    return Fuzzed(function(*args), f"fuzz_strategies.{function.__name__}{args!r}")


# ---------------------------------------------------------------- vocabulary


@cache
def seed_texts() -> tuple[str, ...]:
    """The five real reports, as text."""
    return tuple(p.read_text("utf-8") for p in sorted(SAMPLES.glob("*.txt")))


@cache
def labels() -> tuple[str, ...]:
    """Every wording the assembler anchors on: headings, row names, block labels, header words."""
    out: set[str] = set(HEADER_WORDS)
    for number, section in enumerate(SECTIONS):
        for wording in (section.heading, *section.aliases):
            out.add(wording)
            out.add(f"{'一二三四五六'[number]}、{wording}")
    for version in TEMPLATES:
        tpl = template(version)
        out.update(tpl.signature_labels)
        for block in tpl.disclosure_blocks:
            out.add(block.label)
        for row in tpl.rows():
            out.update(row.names)
            out.add(row.label)
            out.update(column.label for column in row.columns)
    return tuple(sorted(out))


HEADINGS = tuple(f"{'一二三四五六'[i]}、{section.heading}" for i, section in enumerate(SECTIONS))

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
DIGIT = st.sampled_from("0123456789０１２３４５６７８９")
PUNCT = st.sampled_from(
    [
        *"，。、；：？！“”‘’（）《》【】—…·%／/\\|-+.,:;()[]<>&#*~\t 　",
        *("\u00a0", "\u200b", "\ufeff", "\r", "\n", "\u2028", "\x0c", "\x00"),
    ]
)
# Odd code points a reader may meet: combining marks, surrogate-free astral CJK, controls.
ODD = st.characters(
    codec="utf-8",
    categories=["Mn", "Cc", "Cf", "Zs", "Zl", "Zp", "Nd", "No", "Lo", "So"],
)
NOISE_CHAR = st.one_of(CJK, DIGIT, PUNCT, ODD)
NOISE = st.text(NOISE_CHAR, max_size=12)

NUMBER = st.one_of(
    st.integers(0, 99).map(str),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(
        [
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "2147483648",
            "99999999999999999999999",
            "1,234",
            "1,234,567,890,123,456,789",
            "+48",
            "-16",
            "0.5",
            "1e5",
            ".5",
            "32248.5",
            "12万元",
            "3.5元",
            "7件",
            "22（其中修订16件）",
            "/",
            "—",
            "无",
            "",
            " ",
            "NaN",
            "１２",
        ]
    ),
    st.integers(0, 10**30).map(str),
)
TOKEN = st.one_of(st.sampled_from(labels()), NUMBER, NOISE)
SEPARATOR = st.sampled_from(["\t", " | ", "|", "  ", "　　", " ", "", "\t\t"])


@st.composite
def report_line(draw: st.DrawFn) -> str:
    """A line made of template labels, figures and noise, joined the ways text flattens tables."""
    tokens = draw(st.lists(TOKEN, max_size=8))
    sep = draw(SEPARATOR)
    line = sep.join(tokens)
    prefix = draw(st.sampled_from(["", "\t", "|", "| ", "  "]))
    suffix = draw(st.sampled_from(["", " |", "|", "\t"]))
    return prefix + line + suffix


@st.composite
def report_text(draw: st.DrawFn) -> str:
    """A report-like text: section headings in order (some left out) and lines between."""
    lines: list[str] = []
    for heading in HEADINGS:
        if draw(st.booleans()) or draw(st.booleans()):
            lines.append(heading)
        lines.extend(draw(st.lists(report_line(), max_size=5)))
        if draw(st.booleans()):
            lines.append("")
    return draw(st.sampled_from(["\n", "\r\n", "\n\n"])).join(lines)


# ---------------------------------------------------------------- text: mutations of real reports

LINE_OPS = (
    "delete",
    "duplicate",
    "swap",
    "insert",
    "replace",
    "retab",
    "renumber",
    "insert_line",
)


def _insertion() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(st.one_of(CJK, DIGIT, PUNCT), min_size=1, max_size=10),
        NUMBER,
        st.sampled_from(labels()),
        report_line(),
    )


def mutate_seed(seed: int, ops: list[tuple[str, int, int, str]], cut: int | None) -> str:
    """Seed ``seed`` with its lines deleted, duplicated, swapped, edited; cut at ``cut``."""
    lines = seed_texts()[seed].split("\n")
    for op, i, j, payload in ops:
        if not lines:
            lines = [payload]
            continue
        i %= len(lines)
        j %= len(lines)
        if op == "delete":
            del lines[i : i + 1 + j % 5]
        elif op == "duplicate":
            lines[i:i] = lines[i : i + 1 + j % 5]
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            at = j % (len(lines[i]) + 1)
            lines[i] = lines[i][:at] + payload + lines[i][at:]
        elif op == "replace":
            lines[i] = payload
        elif op == "retab":  # another flattening: tabs to pipes, spaces or nothing
            lines[i] = lines[i].replace("\t", ["|", "  ", " ", ""][j % 4])
        elif op == "renumber":
            lines[i] = re.sub(r"\d+", lambda _, p=payload: p, lines[i], count=1 + j % 3)
        else:
            lines.insert(i, payload)
    out = "\n".join(lines)
    return out if cut is None else out[: cut % (len(out) + 1)]


@st.composite
def mutated_seed(draw: st.DrawFn) -> Fuzzed:
    """One of the real reports, edited line by line, maybe truncated (content: str)."""
    ops = st.tuples(
        st.sampled_from(LINE_OPS), st.integers(0, 10**6), st.integers(0, 10**6), _insertion()
    )
    return _recipe(
        mutate_seed,
        draw(st.integers(0, len(seed_texts()) - 1)),
        draw(st.lists(ops, min_size=1, max_size=8)),
        draw(st.one_of(st.none(), st.integers(0, 10**5))),
    )


TEXT_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be")


@st.composite
def encoded(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    """Text encoded as a report may be saved: UTF-8 (with or without BOM), GB18030, UTF-16."""
    value = draw(text)
    encoding = draw(st.sampled_from(TEXT_ENCODINGS))
    return value.encode(encoding, errors="surrogatepass")


# ---------------------------------------------------------------- HTML

SMALL_SPAN = st.sampled_from(["0", "1", "2", "3", "-1", "", "abc", "2.5", " 3", "3px", "+2", "０"])
HUGE_SPAN = st.one_of(
    st.sampled_from(["-5", "7", "1000", "1001", "999999999", "99999999999999999999", "0x10"]),
    st.integers(-(10**12), 10**12).map(str),
)


@st.composite
def span_value(draw: st.DrawFn) -> str:
    """Mostly the spans reports use; now and then a huge one (each costs up to 1000 x 1000 slots)."""
    return draw(HUGE_SPAN) if draw(st.integers(0, 11)) == 0 else draw(SMALL_SPAN)


SPAN_VALUE = span_value()
HTML_TAGS = ("table", "tr", "td", "th", "thead", "tbody", "tfoot", "caption", "p", "div", "span")
HTML_TAGS += ("br", "script", "style", "pre", "b", "font", "nav", "h1", "li", "table")
HIDDEN = ('style="display:none"', 'style="visibility: hidden"', "hidden")


@st.composite
def html_attrs(draw: st.DrawFn) -> str:
    attrs = []
    if draw(st.booleans()):
        attrs.append(f'colspan="{draw(SPAN_VALUE)}"')
    if draw(st.booleans()):
        attrs.append(f"rowspan={draw(SPAN_VALUE)}")
    if draw(st.integers(0, 9)) == 0:
        attrs.append(draw(st.sampled_from(HIDDEN)))
    return "".join(" " + a for a in attrs)


def _html_text() -> st.SearchStrategy[str]:
    return st.one_of(
        TOKEN.map(html_lib.escape),
        st.sampled_from(HEADINGS),
        st.sampled_from(["&nbsp;", "&amp;", "&#x4e00;", "&#0;", "&#99999999;", "<", ">", "&"]),
        NOISE,
    )


def _element(children: st.SearchStrategy[list[str]]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        tag = draw(st.sampled_from(HTML_TAGS))
        if draw(st.booleans()):
            tag = tag.upper()
        attrs = draw(html_attrs())
        if tag.lower() == "br":
            return f"<{tag}{attrs}>"
        inner = "".join(draw(children))
        close = f"</{tag}>" if draw(st.integers(0, 4)) else ""  # sometimes left open
        return f"<{tag}{attrs}>{inner}{close}"

    return build()


TAG_SOUP = st.recursive(
    _html_text(),
    lambda inner: _element(st.lists(inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def html_table(draw: st.DrawFn) -> str:
    """A data table of template labels and figures with odd spans, the way reports draw them."""
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        cells = []
        for _ in range(draw(st.integers(0, 5))):
            tag = draw(st.sampled_from(["td", "th"]))
            cells.append(f"<{tag}{draw(html_attrs())}>{draw(_html_text())}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


@st.composite
def html_page(draw: st.DrawFn) -> bytes:
    """Tag soup and data tables under section headings, in one of a few page shells."""
    body = []
    for heading in HEADINGS:
        if draw(st.booleans()):
            body.append(f"<p>{heading}</p>")
        body.extend(draw(st.lists(st.one_of(TAG_SOUP, html_table()), max_size=2)))
    shell = draw(
        st.sampled_from(
            [
                ("", ""),
                ("<html><body>", "</body></html>"),
                (
                    '<!DOCTYPE html><html><head><meta charset="gb2312"><title>'
                    "2023年政府信息公开工作年度报告</title></head><body>",
                    "</body></html>",
                ),
                ("<div>", "</div>"),
            ]
        )
    )
    page = shell[0] + "\n".join(body) + shell[1]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "gb18030", "utf-16"]))
    return page.encode(encoding, errors="surrogatepass")


@cache
def html_renderings() -> tuple[str, ...]:
    return tuple(
        LAYOUTS["html_merged"](load_gold(stem))[0].decode("utf-8") for stem in gold_stems()
    )


_SPAN_ATTR = re.compile(r'((?:col|row)span=")([^"]*)(")')
_CLOSING_HTML = re.compile(r"</(?:td|th|tr|table|p|tbody|div)>")
_TR = re.compile(r"<tr>.*?</tr>", re.DOTALL)
HTML_SNIPPETS = (
    "<table>",
    "</table>",
    "<tr>",
    "<td>",
    '<td rowspan="0">',
    '<td colspan="999999999">',
    '<td rowspan="-3">',
    "<table><tr><td>",
    "<br>",
    "<p>",
    "<script>",
    "<style>",
    "<!--",
    "<![CDATA[",
    "<pre>",
    "&",
    "<",
)
HTML_OPS = ("span", "unclose", "insert", "duplicate_row", "delete", "flip", "text")


def _nth(pattern: re.Pattern[str], text: str, n: int) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[n % len(matches)] if matches else None


def mutate_html(seed: int, ops: list[tuple[str, int, int, str]], cut: int | None) -> bytes:
    """The HTML rendering of gold ``seed`` with spans, tags and text edited; cut at ``cut``."""
    page = html_renderings()[seed]
    for op, i, j, payload in ops:
        if op == "span":
            m = _nth(_SPAN_ATTR, page, i)
            if m:
                page = page[: m.start(2)] + payload + page[m.end(2) :]
        elif op == "unclose":
            m = _nth(_CLOSING_HTML, page, i)
            if m:
                page = page[: m.start()] + page[m.end() :]
        elif op == "duplicate_row":
            m = _nth(_TR, page, i)
            if m:
                page = page[: m.end()] + m.group(0) * (1 + j % 3) + page[m.end() :]
        elif op == "delete":
            at = i % (len(page) + 1)
            page = page[:at] + page[at + j % 200 :]
        elif op == "flip" and page:
            at = i % len(page)
            page = page[:at] + chr((ord(page[at]) ^ (1 + j % 255)) or 1) + page[at + 1 :]
        else:  # insert a tag or text after some tag
            m = _nth(re.compile(">"), page, i)
            at = m.end() if m else 0
            page = page[:at] + payload + page[at:]
    content = page.encode("utf-8", errors="surrogatepass")
    return content if cut is None else content[: cut % (len(content) + 1)]


@st.composite
def mutated_html(draw: st.DrawFn) -> Fuzzed:
    """A real report rendered as HTML, edited, maybe truncated (content: bytes)."""
    payload = st.one_of(SPAN_VALUE, st.sampled_from(HTML_SNIPPETS), _insertion())
    ops = st.tuples(
        st.sampled_from(HTML_OPS), st.integers(0, 10**6), st.integers(0, 10**6), payload
    )
    return _recipe(
        mutate_html,
        draw(st.integers(0, len(html_renderings()) - 1)),
        draw(st.lists(ops, min_size=1, max_size=6)),
        draw(st.one_of(st.none(), st.integers(0, 10**5))),
    )


# ---------------------------------------------------------------- DOCX


@cache
def docx_renderings(layout: str = "docx_merged") -> tuple[bytes, ...]:
    return tuple(LAYOUTS[layout](load_gold(stem))[0] for stem in gold_stems()[:3])


def rezip(
    original: bytes, replace: dict[str, bytes], compression: int = zipfile.ZIP_STORED
) -> bytes:
    """The DOCX with some members replaced, stored uncompressed by default (fast, no zip-ratio limit)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(original)) as source,
        zipfile.ZipFile(out, "w", compression) as target,
    ):
        for info in source.infolist():
            data = replace.get(info.filename)
            target.writestr(info.filename, source.read(info) if data is None else data)
    return out.getvalue()


@cache
def _blank_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("x")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def minimal_docx(body: str, numbering: str = "") -> bytes:
    """A DOCX (python-docx's blank package) whose body is ``body``; ``numbering``: list definitions."""
    w = W_NS
    replace = {
        "word/document.xml": f"<w:document {w}><w:body>{body}</w:body></w:document>".encode()
    }
    if numbering:
        replace["word/numbering.xml"] = f"<w:numbering {w}>{numbering}</w:numbering>".encode()
    return rezip(_blank_docx(), replace, zipfile.ZIP_DEFLATED)


@cache
def _member(content: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(name).decode("utf-8")


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CLOSING_XML = re.compile(r"</w:[A-Za-z]+>")
_GRID_SPAN = re.compile(r'(<w:gridSpan w:val=")([^"]*)(")')
_TC_OPEN = re.compile(r"<w:tc>")
_TCPR_OPEN = re.compile(r"<w:tcPr>")
_TR_OPEN = re.compile(r"<w:tr(?: [^>]*)?>")
_W_TR = re.compile(r"<w:tr(?: [^>]*)?>.*?</w:tr>", re.DOTALL)
MERGE_MARK = st.sampled_from(
    [
        "<w:vMerge/>",
        '<w:vMerge w:val="restart"/>',
        '<w:vMerge w:val="continue"/>',
        "<w:hMerge/>",
        '<w:hMerge w:val="restart"/>',
        '<w:gridSpan w:val="0"/>',
        '<w:gridSpan w:val="-4"/>',
        '<w:gridSpan w:val="1000000000"/>',
        '<w:gridSpan w:val="x"/>',
    ]
)
DOCX_OPS = ("flip", "unclose", "grid_span", "merge", "grid_before", "duplicate_row", "delete")


def mutate_docx(seed: int, ops: list[tuple[str, int, int, str]]) -> bytes:
    """The DOCX rendering of gold ``seed`` with its word/document.xml edited."""
    original = docx_renderings()[seed]
    xml = _member(original, "word/document.xml")
    for op, i, j, payload in ops:
        if op == "flip":
            raw = bytearray(xml.encode("utf-8"))
            raw[i % len(raw)] ^= 1 + j % 255
            xml = raw.decode("utf-8", errors="replace")
        elif op == "unclose":
            m = _nth(_CLOSING_XML, xml, i)
            if m:
                xml = xml[: m.start()] + xml[m.end() :]
        elif op == "grid_span":
            m = _nth(_GRID_SPAN, xml, i)
            if m:
                xml = xml[: m.start(2)] + payload + xml[m.end(2) :]
        elif op == "merge":
            mark = payload if payload.startswith("<") else "<w:vMerge/>"
            m = _nth(_TCPR_OPEN, xml, i) if j % 2 else None
            if m:
                xml = xml[: m.end()] + mark + xml[m.end() :]
            else:
                m = _nth(_TC_OPEN, xml, i)
                if m:
                    xml = xml[: m.end()] + f"<w:tcPr>{mark}</w:tcPr>" + xml[m.end() :]
        elif op == "grid_before":
            m = _nth(_TR_OPEN, xml, i)
            if m:
                value = payload if not payload.startswith("<") else "1000000000"
                props = f'<w:trPr><w:gridBefore w:val="{value}"/></w:trPr>'
                xml = xml[: m.end()] + props + xml[m.end() :]
        elif op == "duplicate_row":
            m = _nth(_W_TR, xml, i)
            if m:
                xml = xml[: m.end()] + m.group(0) * (1 + j % 3) + xml[m.end() :]
        else:
            at = i % (len(xml) + 1)
            xml = xml[:at] + xml[at + j % 300 :]
    return rezip(original, {"word/document.xml": xml.encode("utf-8", errors="surrogatepass")})


@st.composite
def mutated_docx(draw: st.DrawFn) -> Fuzzed:
    """A real DOCX whose word/document.xml has bytes flipped, tags unclosed, odd merges."""
    payload = st.one_of(SMALL_SPAN, HUGE_SPAN, MERGE_MARK)
    ops = st.tuples(
        st.sampled_from(DOCX_OPS), st.integers(0, 10**6), st.integers(0, 10**6), payload
    )
    return _recipe(
        mutate_docx,
        draw(st.integers(0, len(docx_renderings()) - 1)),
        draw(st.lists(ops, min_size=1, max_size=5)),
    )


# (pattern with two groups around the value, the part it is in, values to put there)
NUMBERING_EDITS = (
    (r'(<w:start w:val=")\d+(")', "numbering", ["0", "-1", "27", "3999", "10000000000"]),
    (
        r'(<w:numFmt w:val=")\w+(")',
        "numbering",
        [
            *("upperLetter", "lowerLetter", "upperRoman", "lowerRoman", "decimalZero"),
            *("bullet", "none", "zzz", "chineseCounting", "ideographTraditional"),
            "decimalEnclosedCircle",
        ],
    ),
    (r'(<w:lvlText w:val=")[^"]*(")', "numbering", ["%1", "%9、", "%0", "%1%1%1%1", "%", ""]),
    (r'(<w:ilvl w:val=")\d+(")', "document", ["-1", "8", "9", "99999999999", "x"]),
    (r'(<w:numId w:val=")\d+(")', "document", ["0", "-1", "90", "x", ""]),
)


def mutate_numbering(seed: int, edits: list[tuple[int, int, int]]) -> bytes:
    """The numbered DOCX of gold ``seed``; each edit (kind, value, which) sets a list value."""
    original = docx_renderings("docx_numbered")[seed]
    parts = {
        "numbering": _member(original, "word/numbering.xml"),
        "document": _member(original, "word/document.xml"),
    }
    for kind, value, which in edits:
        pattern, part, values = NUMBERING_EDITS[kind]
        m = _nth(re.compile(pattern), parts[part], which)
        if m:
            parts[part] = parts[part][: m.end(1)] + values[value] + parts[part][m.start(2) :]
    return rezip(original, {f"word/{part}.xml": xml.encode() for part, xml in parts.items()})


@st.composite
def mutated_numbering(draw: st.DrawFn) -> Fuzzed:
    """A DOCX whose headings are Word's automatic list, with the list's definition edited."""
    edits = []
    for kind, (_, _, values) in enumerate(NUMBERING_EDITS):
        if draw(st.booleans()):
            value = draw(st.integers(0, len(values) - 1))
            edits.append((kind, value, draw(st.integers(0, 10**6))))
    return _recipe(
        mutate_numbering, draw(st.integers(0, len(docx_renderings("docx_numbered")) - 1)), edits
    )


def truncate_docx(seed: int, head: bool, at: int, flips: list[tuple[int, int]]) -> bytes:
    """The DOCX of gold ``seed`` cut to its first (``head``) or last bytes, a few bytes flipped."""
    content = docx_renderings()[seed]
    at %= len(content) + 1
    raw = bytearray(content[:at] if head else content[at:])
    for where, mask in flips if raw else ():
        raw[where % len(raw)] ^= mask
    return bytes(raw)


@st.composite
def truncated_docx(draw: st.DrawFn) -> Fuzzed:
    return _recipe(
        truncate_docx,
        draw(st.integers(0, len(docx_renderings()) - 1)),
        draw(st.booleans()),
        draw(st.integers(0, 10**6)),
        draw(st.lists(st.tuples(st.integers(0, 10**7), st.integers(1, 255)), max_size=3)),
    )


# ---------------------------------------------------------------- ir.Document for the assembler

CELL_TEXT = st.one_of(st.sampled_from(labels()), NUMBER, NOISE, st.sampled_from(HEADINGS))


# A handful of locations of every kind (drawing each field per cell makes examples slow).
LOCATIONS = (
    Location(),
    Location(line=3, char_start=10, char_end=14),
    Location(line=120_000, char_start=9_000_000, char_end=9_000_040),
    Location(page=2, box=Box(10.0, 20.5, 80.0, 40.0)),
    Location(page=1, box=Box(-5.0, 1e6, 0.0, 3e4, "pixels", 300)),
    Location(locator="table[1]/row[2]/cell[3]"),
    Location(page=600, locator="p[4]"),
)


def location() -> st.SearchStrategy[Location]:
    return st.sampled_from(LOCATIONS)


CONFIDENCE = st.sampled_from([1.0, 1.0, 0.99, 0.5, 0.0, 0.62])


@st.composite
def table(draw: st.DrawFn) -> Table:
    """A table as readers make it: ragged rows (text) or a full grid with merged cells."""
    grid = draw(st.booleans())
    height = draw(st.integers(1, 6))
    if not grid:
        rows = []
        for r in range(height):
            texts = draw(st.lists(CELL_TEXT, max_size=8))
            rows.append(
                [TextCell(t, draw(location()), draw(CONFIDENCE), r, c) for c, t in enumerate(texts)]
            )
        return Table(rows, grid=False, location=draw(location()))
    width = draw(st.integers(1, 8))
    slots: list[list[TextCell | None]] = [[None] * width for _ in range(height)]
    for r in range(height):
        for c in range(width):
            if slots[r][c] is not None:
                continue
            exists = draw(st.integers(0, 9)) > 0
            cell = TextCell(
                draw(CELL_TEXT) if exists else "",
                draw(location()),
                draw(CONFIDENCE) if exists else 0.0,
                r,
                c,
                exists,
            )
            rowspan = draw(st.integers(1, 3)) if exists and draw(st.booleans()) else 1
            colspan = draw(st.integers(1, 3)) if exists and draw(st.booleans()) else 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    rr, cc = r + dr, c + dc
                    if rr < height and cc < width and slots[rr][cc] is None:
                        slots[rr][cc] = cell
    rows = [[cell for cell in row if cell is not None] for row in slots]
    return Table(rows, grid=True, location=draw(location()))


@st.composite
def paragraph(draw: st.DrawFn) -> Paragraph:
    text = draw(st.one_of(st.sampled_from(HEADINGS), report_line(), CELL_TEXT))
    return Paragraph(text, draw(location()), draw(CONFIDENCE))


@st.composite
def ir_document(draw: st.DrawFn) -> Document:
    """Headings (in order, some left out) with paragraphs and tables of labels, figures, noise."""
    blocks: list[Paragraph | Table] = []
    blocks.extend(draw(st.lists(paragraph(), max_size=3)))
    for heading in HEADINGS:
        if draw(st.integers(0, 3)):
            blocks.append(
                Paragraph(draw(st.sampled_from([heading, heading[2:]])), draw(location()))
            )
        blocks.extend(draw(st.lists(st.one_of(paragraph(), table()), max_size=3)))
    hints = draw(
        st.dictionaries(
            st.sampled_from(["title", "published", "created", "modified"]), NOISE, max_size=2
        )
    )
    return Document(
        draw(st.sampled_from(list(SourceFormat))),
        blocks,
        page_count=draw(st.integers(0, 500)),
        encoding=draw(st.sampled_from(["", "utf-8", "gb18030"])),
        hints=Hints(**hints),
    )
