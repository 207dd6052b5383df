"""DOCX reader: a report written in Word or WPS.

The body is walked in order (paragraphs and tables interleaved) straight
from its XML: python-docx's own table API repeats a merged cell as a new
object in every slot, while the IR needs one object per cell. Merged cells
(``gridSpan``, ``vMerge``, legacy ``hMerge``) become one TextCell in every
slot they cover. Automatic list numbering ("一、" headings typed as a
numbered list) is rendered into the text, as Word shows it. HTML or plain
text imported whole (``w:altChunk``, how web systems often export .docx) is
read with the HTML reader, its locators prefixed "altChunk[n]/".
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
import lxml.etree
from docx.opc.exceptions import PackageNotFoundError

from govreport.errors import GovreportError, Reason, quoted
from govreport.ir import Block, Document, Hints, Location, Paragraph, SourceFormat, Table, TextCell
from govreport.layout import SlotGrid, join_lines, unless_solid
from govreport.limits import Limits
from govreport.readers import html as html_reader
from govreport.readers._common import clean, in_row

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

Element = Any  # lxml elements of python-docx's oxml classes (untyped)


def _q(tag: str) -> str:
    return f"{{{_W}}}{tag}"


def _val(el: Element | None, default: str = "") -> str:
    if el is None:
        return default
    value = el.get(_q("val"))
    return default if value is None else str(value)


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


# Containers that only wrap body content (content controls, custom XML).
_WRAPPERS = frozenset({_q("sdt"), _q("sdtContent"), _q("customXml"), _q("smartTag")})


def _children(el: Element, *tags: str) -> Iterator[Element]:
    """The children with one of ``tags``, looking through content-control wrappers."""
    wanted = {_q(tag) for tag in tags}
    for child in el:
        if child.tag in wanted:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, *tags)


def read(content: bytes, limits: Limits | None = None) -> Document:
    (limits or Limits()).check_zip(content)
    document = _open(content)
    reader = _Reader(_Numbering(document), dict(document.part.related_parts))
    reader.body(document.element.body)
    if not reader.blocks:
        raise GovreportError(
            Reason.EMPTY_DOCUMENT,
            "the Word document holds no text (its body has no paragraphs or tables)",
        )
    return Document(SourceFormat.DOCX, reader.blocks, hints=_core_hints(content))


def _open(content: bytes) -> Any:
    """The python-docx Document, or a GovreportError saying what is wrong with the file."""
    try:
        return docx.Document(io.BytesIO(content))
    except ValueError as exc:
        if "content type" in str(exc):
            raise GovreportError(
                Reason.UNSUPPORTED_FORMAT,
                "the file is a Word template or macro-enabled document, not a .docx; "
                "save it as a plain Word document (.docx) and send that",
            ) from exc
        raise _corrupt(exc) from exc
    except (zipfile.BadZipFile, KeyError, PackageNotFoundError, lxml.etree.XMLSyntaxError) as exc:
        raise _corrupt(exc) from exc
    except Exception as exc:  # zlib.error, EOFError… from a damaged zip member
        raise _corrupt(exc) from exc


def _corrupt(exc: BaseException) -> GovreportError:
    return GovreportError(
        Reason.CORRUPT_DOCUMENT,
        f"the Word document cannot be opened ({quoted(exc)}); it may be truncated "
        "or damaged: open it in Word or WPS, save it again as .docx and send that",
    )


# ---------------------------------------------------------------- walking the body


class _Reader:
    def __init__(self, numbering: _Numbering, related: dict[str, Any]) -> None:
        self.numbering = numbering
        self.related = related  # relationship id -> part, for altChunk
        self.blocks: list[Block] = []
        self.paragraphs = 0
        self.tables = 0
        self.chunks = 0

    def body(self, el: Element) -> None:
        for child in _children(el, "p", "tbl", "altChunk"):
            if child.tag == _q("p"):
                self.paragraph(child)
            elif child.tag == _q("tbl"):
                self.table(child)
            else:
                self.alt_chunk(child)

    def alt_chunk(self, el: Element) -> None:
        """Content imported whole from another format (web systems export HTML this way)."""
        part = self.related.get(el.get(f"{{{_R}}}id", ""))
        if part is None:
            return
        content_type = str(part.content_type)
        try:
            if "html" in content_type:
                blocks = html_reader.read(part.blob).blocks
            elif content_type.startswith("text/plain"):
                text, _ = html_reader.decode(part.blob)
                blocks = [Paragraph(line) for line in map(clean, text.splitlines()) if line]
            else:
                return  # RTF, MHT: not read
        except GovreportError:
            return  # an empty chunk adds nothing
        self.chunks += 1
        for block in blocks:
            _prefix(block, f"altChunk[{self.chunks}]/")
            self.blocks.append(block)

    def paragraph(self, p: Element) -> None:
        for line in self.numbering.lines(p):
            self.paragraphs += 1
            self.blocks.append(Paragraph(line, Location(locator=f"p[{self.paragraphs}]")))

    def table(self, tbl: Element) -> None:
        """Emits a data table; a layout table (one column, or holding tables) is unwrapped."""
        nested = bool(tbl.findall(f".//{_q('tbl')}"))
        table = None if nested else _grid_table(tbl, f"table[{self.tables + 1}]", self.numbering)
        if table is None:
            for tr in _children(tbl, "tr"):
                for tc in _children(tr, "tc"):
                    self.body(tc)
            return
        self.tables += 1
        self.blocks.append(table)


def _prefix(block: Block, prefix: str) -> None:
    """Prefixes the locators of a block read from an embedded chunk."""
    block.location = dataclasses.replace(block.location, locator=prefix + block.location.locator)
    if isinstance(block, Table):
        for cell in {id(cell): cell for row in block.rows for cell in row}.values():
            cell.location = dataclasses.replace(
                cell.location, locator=prefix + cell.location.locator
            )


def _grid_table(tbl: Element, locator: str, numbering: _Numbering) -> Table | None:
    grid = SlotGrid()
    trs = list(_children(tbl, "tr"))
    for r, tr in enumerate(trs):
        c = _int(_val(tr.find(f"{_q('trPr')}/{_q('gridBefore')}"), "0"), 0)
        for index, tc in enumerate(_children(tr, "tc"), start=1):
            props = tc.find(_q("tcPr"))
            span = max(_int(_val(_prop(props, "gridSpan"), "1"), 1), 1)
            merged = _continued(grid, props, r, c)
            if merged is not None:
                grid.place(merged, r, c, span)
            else:
                text = join_lines(numbering.cell_lines(tc), unless_solid)
                cell = TextCell(
                    text, Location(locator=f"{locator}/row[{r + 1}]/cell[{index}]"), row=r, col=c
                )
                grid.place(cell, r, c, span)
            c += span
    width = len(tbl.findall(f"{_q('tblGrid')}/{_q('gridCol')}"))
    rows = grid.rows(len(trs), in_row(locator), width)
    if not rows or len(rows[0]) < 2 or not any(cell.text for row in rows for cell in row):
        return None
    return Table(rows, grid=True, location=Location(locator=locator))


def _prop(props: Element | None, name: str) -> Element | None:
    return None if props is None else props.find(_q(name))


def _continued(grid: SlotGrid, props: Element | None, r: int, c: int) -> TextCell | None:
    """The cell a vMerge/hMerge continuation belongs to, or None for a cell of its own."""
    vmerge = _prop(props, "vMerge")
    if vmerge is not None and _val(vmerge, "continue") == "continue":
        return grid.at(r - 1, c)
    hmerge = _prop(props, "hMerge")
    if hmerge is not None and _val(hmerge, "continue") == "continue":
        return grid.at(r, c - 1)
    return None


# ---------------------------------------------------------------- text and numbering

_SKIP_TEXT = frozenset(
    {
        _q("instrText"), _q("delText"), _q("txbxContent"), _q("rt"), _q("pPr"), _q("rPr"),
        f"{{{_MC}}}Fallback",
    }
)  # fmt: skip


def _runs_text(el: Element, out: list[str]) -> None:
    """Appends the visible text under ``el``; a line break is "\\n"."""
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP_TEXT:
            continue
        if tag == _q("r") and _hidden_run(child):
            continue
        if tag == _q("t"):
            out.append(child.text or "")
        elif tag == _q("tab"):
            out.append("\t")
        elif tag in (_q("br"), _q("cr")):
            out.append("\n")
        elif tag == _q("noBreakHyphen"):
            out.append("-")
        else:
            _runs_text(child, out)


def _hidden_run(r: Element) -> bool:
    vanish = r.find(f"{_q('rPr')}/{_q('vanish')}")
    return vanish is not None and _val(vanish, "true") not in ("false", "0", "off")


_FORMAT_DIGITS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    """Chinese counting numerals as Word writes them: 十一, 二十, 一百零五."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    out = f"{_FORMAT_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _FORMAT_DIGITS[tens]) + "十"
    elif hundreds and units:
        out += "零"
    if units:
        out += _FORMAT_DIGITS[units]
    return out


def _letters(n: int) -> str:
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        count, n = divmod(n, value)
        out += numeral * count
    return out


_MAX_LIST_NUMBER = 10_000
_CHINESE_FORMATS = frozenset(
    {"chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting"}
)


def _format(n: int, fmt: str) -> str:
    if not 0 < n <= _MAX_LIST_NUMBER:
        return str(n)  # a hostile start value: digits, never "A" * 10**12
    if fmt in _CHINESE_FORMATS:
        return _chinese(n)
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt.startswith("decimalEnclosedCircle") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "upperLetter":
        return _letters(n)
    if fmt == "lowerLetter":
        return _letters(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


class _Numbering:
    """Word's automatic list numbering, rendered as the text Word displays."""

    def __init__(self, document: Any) -> None:
        # abstract id -> ilvl -> (start, format, level text)
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}
        # num id -> (abstract id, start overrides by ilvl)
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}  # style id -> (num id, ilvl)
        self.counters: dict[str, dict[int, int]] = {}  # abstract id -> ilvl -> last number shown
        self.overridden: set[str] = set()
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            numbering = None
        if numbering is not None:
            self._load_numbering(numbering)
        self._load_styles(document.styles.element)

    def _load_numbering(self, numbering: Element) -> None:
        for abstract in numbering.findall(_q("abstractNum")):
            levels: dict[int, tuple[int, str, str]] = {}
            for lvl in abstract.findall(_q("lvl")):
                ilvl = _int(lvl.get(_q("ilvl"), "0"), 0)
                start = _int(_val(lvl.find(_q("start")), "1"), 1)
                levels[ilvl] = (
                    start,
                    _val(lvl.find(_q("numFmt")), "decimal"),
                    _val(lvl.find(_q("lvlText"))),
                )
            self.levels[abstract.get(_q("abstractNumId"), "")] = levels
        for num in numbering.findall(_q("num")):
            overrides = {
                _int(override.get(_q("ilvl"), "0"), 0): _int(
                    _val(override.find(_q("startOverride")), "1"), 1
                )
                for override in num.findall(_q("lvlOverride"))
                if override.find(_q("startOverride")) is not None
            }
            self.nums[num.get(_q("numId"), "")] = (_val(num.find(_q("abstractNumId"))), overrides)

    def _load_styles(self, styles: Element) -> None:
        based_on: dict[str, str] = {}
        for style in styles.findall(_q("style")):
            style_id = style.get(_q("styleId"), "")
            based_on[style_id] = _val(style.find(_q("basedOn")))
            num_pr = style.find(f"{_q('pPr')}/{_q('numPr')}")
            if num_pr is not None:
                ilvl = _int(_val(num_pr.find(_q("ilvl")), "0"), 0)
                self.style_num[style_id] = (_val(num_pr.find(_q("numId"))), ilvl)
        for style_id in list(based_on):  # inherit numbering through basedOn, a few levels deep
            parent = based_on[style_id]
            for _ in range(8):
                if style_id in self.style_num or not parent:
                    break
                if parent in self.style_num:
                    self.style_num[style_id] = self.style_num[parent]
                    break
                parent = based_on.get(parent, "")

    def _num_pr(self, p: Element) -> tuple[str, int] | None:
        props = p.find(_q("pPr"))
        num_pr = None if props is None else props.find(_q("numPr"))
        if num_pr is not None and num_pr.find(_q("numId")) is not None:
            return _val(num_pr.find(_q("numId"))), _int(_val(num_pr.find(_q("ilvl")), "0"), 0)
        style = _val(None if props is None else props.find(_q("pStyle")))
        return self.style_num.get(style)

    def label(self, p: Element) -> str:
        """The number Word shows before the paragraph ("一、", "（三）", "1."), advancing the list."""
        num_pr = self._num_pr(p)
        if num_pr is None or num_pr[0] in ("", "0") or num_pr[0] not in self.nums:
            return ""
        num_id, ilvl = num_pr
        abstract, overrides = self.nums[num_id]
        levels = self.levels.get(abstract, {})
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract, {})
        # Word shares counters among the lists of one definition; a startOverride restarts them.
        if num_id not in self.overridden:
            self.overridden.add(num_id)
            for level, start in overrides.items():
                counters[level] = start - 1
        start, fmt, text = levels[ilvl]
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else start
        for deeper in [level for level in counters if level > ilvl]:
            del counters[deeper]
        if fmt in ("bullet", "none"):
            return ""

        def number(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            level_start, level_fmt, _ = levels.get(level, (1, "decimal", ""))
            return _format(counters.get(level, level_start), level_fmt)

        return re.sub(r"%([1-9])", number, text)

    def lines(self, p: Element) -> list[str]:
        """The paragraph's lines (split at line breaks), numbered, cleaned, empty ones dropped."""
        label = self.label(p)
        pieces: list[str] = []
        _runs_text(p, pieces)
        lines = [clean(line) for line in "".join(pieces).split("\n")]
        lines = [line for line in lines if line]
        if label and lines:
            lines[0] = join_lines([clean(label), lines[0]], unless_solid)
        return lines

    def cell_lines(self, tc: Element) -> list[str]:
        """Every line of a cell, nested tables included, in order."""
        out: list[str] = []
        for child in _children(tc, "p", "tbl"):
            if child.tag == _q("p"):
                out.extend(self.lines(child))
            else:
                for tr in _children(child, "tr"):
                    for inner in _children(tr, "tc"):
                        out.extend(self.cell_lines(inner))
        return out


# ---------------------------------------------------------------- core properties

_CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_SAFE_XML = lxml.etree.XMLParser(resolve_entities=False, no_network=True)
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def _core_hints(content: bytes) -> Hints:
    """Title and creation date from the document's core properties, when it has them.

    Read from the package itself: python-docx invents defaults ("Word
    Document", today's date) for a file without core properties.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            path = _core_path(archive)
            if path not in archive.namelist():
                return Hints()
            core = lxml.etree.fromstring(archive.read(path), _SAFE_XML)
    except (zipfile.BadZipFile, KeyError, lxml.etree.XMLSyntaxError, OSError):
        return Hints()
    hints: dict[str, str] = {}
    title = clean(core.findtext("{http://purl.org/dc/elements/1.1/}title") or "")
    if title:
        hints["title"] = title
    for name in ("created", "modified"):
        match = _ISO_DATE.match(
            (core.findtext(f"{{http://purl.org/dc/terms/}}{name}") or "").strip()
        )
        if match:
            hints[name] = match.group(1)
    return Hints(**hints)


def _core_path(archive: zipfile.ZipFile) -> str:
    try:
        rels = lxml.etree.fromstring(archive.read("_rels/.rels"), _SAFE_XML)
    except (KeyError, lxml.etree.XMLSyntaxError):
        return "docProps/core.xml"
    for rel in rels:
        if rel.get("Type") == _CORE_REL:
            return str(rel.get("Target", "")).lstrip("/")
    return "docProps/core.xml"
