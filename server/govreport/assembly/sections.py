"""Finding the six sections: their headings, and the blocks each one holds.

A heading is found by the template's wording of it, however a report
numbers it ("三、", "第三部分", "表三", "3.", "（三）"), whatever words it adds
("五、政府信息公开工作存在的主要问题及改进情况") and whatever follows it on the
same line ("一、总体情况。2023年，…": the heading is split from its body).
A heading may also stand in a table: a row that is one cell across the
table (a caption row, or a frame the reader kept as a table).

Headings are hints for the tables: assembly/locate.py finds each table by
its own labels, so a table whose heading is covered by a seal or worded
past recognition is not lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache

from govreport.ir import Block, Paragraph, Table, TextCell
from govreport.normalize import label_key, normalize, similarity
from govreport.templates import HEADING_EXTRA_WORDS, SECTIONS, Section

_NUMERALS = "一二三四五六"
# How a heading may be numbered: "一、", "一.", "第一部分", "表一" (tables titled 表二/表三),
# "（一）", "1." / "1、".
_PREFIX = re.compile(
    r"^\s*(?:第\s*([一二三四五六])\s*部分\s*[、.．:：]?"
    r"|表\s*([一二三四五六])(?![一二三四五六七八九十])\s*[、.．:：]?"
    r"|([一二三四五六])\s*[、.．:：,，]"
    r"|[（(]\s*([一二三四五六])\s*[)）]"
    r"|([1-6])\s*[、.．](?!\d))\s*"
)
_KEY_CHAR = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]")
_YEAR = re.compile(r"(?:19|20)\d{2}")
# Longer than this (in key characters) and unnumbered, a paragraph is prose, not a heading.
_MAX_UNNUMBERED = 30
# A numbered heading's wording starts within this many key characters of its number.
_MAX_LEAD = 16
# Key characters besides the wording and the extra words that a heading may have.
_MAX_OTHER = 2
# A heading numbered as its section, misread by OCR (a seal over it, a bold face read at a
# stroke's cost: 存在的土要问题及改进请), is still its section's when this similar.
_FUZZY = 0.7


@dataclass(frozen=True, slots=True)
class Heading:
    index: int  # into SECTIONS
    numbered: bool  # numbered as the template numbers this section
    end: int  # where the heading ends in the text; the rest is the section's first body text


@dataclass(slots=True)
class SectionSpan:
    section: Section
    heading: Paragraph
    blocks: list[Block] = field(default_factory=list)
    # Indices into Layout.blocks of the heading and of each of ``blocks``.
    start: int = 0
    indices: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Layout:
    # Every block in reading order, with headings split off from the text or table holding them.
    blocks: list[Block]
    preamble: list[Block]
    sections: dict[str, SectionSpan]  # by section number
    # Blocks after the last section that look like a signature (agency, date).
    trailing: list[Block] = field(default_factory=list)


def _keyed(text: str) -> tuple[str, list[int]]:
    """The text's matching key and, for each key character, its offset in the text."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if _KEY_CHAR.match(ch):
            chars.append(ch.lower())
            offsets.append(i)
    return "".join(chars), offsets


def _strip_extras(key: str) -> str:
    key = _YEAR.sub("", key)
    for word in HEADING_EXTRA_WORDS:
        key = key.replace(label_key(word), "")
    return key


def heading_of(text: str) -> Heading | None:
    """The section heading ``text`` is (or starts with), or None."""
    text = normalize(text)
    prefix = _PREFIX.match(text)
    number = None
    start = 0
    if prefix:
        digit = next(g for g in prefix.groups() if g)
        number = int(digit) - 1 if digit.isdigit() else _NUMERALS.index(digit)
        start = prefix.end()
    key, offsets = _keyed(text[start:])
    if not key:
        return None
    # "（一）" also numbers the sub-parts of 一 ("（一）主动公开政府信息情况"): only a section's
    # own number makes it its heading.
    bracketed = prefix is not None and prefix.group(4) is not None
    for index, wordings in enumerate(_wordings()):
        numbered = number == index
        if bracketed and not numbered:
            continue
        for wording in wordings:
            last = _find_wording(key, wording, numbered)
            if last is None:
                continue
            end = _past_punctuation(text, start + offsets[last] + 1)
            return Heading(index, numbered, end)
        wording = wordings[0]
        if numbered and len(key) <= len(wording) + 4 and _misread(key, wording):
            return Heading(index, numbered, len(text))
    return None


def _misread(key: str, wording: str) -> bool:
    """A numbered heading misread by OCR: similar enough to the wording, or its first half (at
    least four characters) read right ("六、其他需要避生的享项": 其他需要报告的事项)."""
    if similarity(key, wording) >= _FUZZY:
        return True
    head = max(4, len(wording) // 2)
    return len(wording) > head and key.startswith(wording[:head])


@cache
def _wordings() -> tuple[tuple[str, ...], ...]:
    """Each section's heading and its aliases, as matching keys."""
    return tuple(
        tuple(label_key(w) for w in (section.heading, *section.aliases)) for section in SECTIONS
    )


def _find_wording(key: str, wording: str, numbered: bool) -> int | None:
    """The key index of the wording's last character when ``key`` is a heading of it."""
    at = key.find(wording)
    if at < 0:
        return None
    lead, tail = key[:at], key[at + len(wording) :]
    if len(_strip_extras(lead)) > _MAX_OTHER or len(lead) > _MAX_LEAD:
        return None
    if len(_strip_extras(tail)) <= _MAX_OTHER:
        if not numbered and len(key) > _MAX_UNNUMBERED:
            return None
        return len(key) - 1  # the whole line is the heading
    if not numbered:
        return None  # a sentence that starts with the section's words
    return at + len(wording) - 1  # the heading, then its body on the same line


def _past_punctuation(text: str, end: int) -> int:
    while end < len(text) and text[end] in " \t：:。．.，,、；;）)":
        end += 1
    return end


def _split_paragraph(block: Paragraph, end: int) -> tuple[Paragraph, Paragraph | None]:
    text = block.text
    if end >= len(text.rstrip()):
        return block, None
    location = block.location
    head_loc, body_loc = location, location
    if location.char_end - location.char_start == len(text):
        # Offsets into the decoded text map one to one: give each part its own.
        head_loc = replace(location, char_end=location.char_start + end)
        body_loc = replace(location, char_start=location.char_start + end)
    head = Paragraph(text[:end].rstrip(), head_loc, block.confidence)
    body = Paragraph(text[end:].strip(), body_loc, block.confidence)
    return head, body


def _heading_rows(table: Table) -> list[tuple[int, Heading]]:
    """Rows of a grid that are one cell across the table holding a whole section heading."""
    if not table.grid:
        return []
    out: list[tuple[int, Heading]] = []
    for r, row in enumerate(table.rows):
        own = {id(c): c for c in row if c.exists}
        if len(own) != 1:
            continue
        (cell,) = own.values()
        found = heading_of(cell.text) if cell.row == r else None
        if found is not None and found.end >= len(cell.text.rstrip()):
            out.append((r, found))
    return out


def _slice(table: Table, start: int, end: int) -> Table:
    """Rows ``start``..``end`` of a grid as a table of their own (cells renumbered)."""
    copies: dict[int, TextCell] = {}
    rows: list[list[TextCell]] = []
    for r in range(start, end):
        out: list[TextCell] = []
        for cell in table.rows[r]:
            copy = copies.get(id(cell))
            if copy is None:
                copy = replace(cell, row=max(cell.row - start, 0))
                copies[id(cell)] = copy
            out.append(copy)
        rows.append(out)
    return Table(rows, table.grid, table.location)


def _paragraph_parts(block: Paragraph) -> list[tuple[Block, Heading | None]]:
    """The paragraph, or the heading it starts with and the text after it."""
    found = heading_of(block.text)
    if found is None:
        return [(block, None)]
    head, body = _split_paragraph(block, found.end)
    return [(head, found)] if body is None else [(head, found), (body, None)]


def _separated(blocks: list[Block]) -> list[tuple[Block, Heading | None]]:
    """The blocks with every heading a block of its own (split off the line or the table
    that holds it), each with the heading it is."""
    out: list[tuple[Block, Heading | None]] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.extend(_paragraph_parts(block))
            continue
        if block.grid and all(len({id(c) for c in row if c.exists}) <= 1 for row in block.rows):
            # One column: a box drawn around text (a frame), not a table: its cells are text.
            for r in range(len(block.rows)):
                for cell in block.own_cells(r):
                    if cell.text.strip():
                        para = Paragraph(cell.text, cell.location, cell.confidence)
                        out.extend(_paragraph_parts(para))
            continue
        cuts = _heading_rows(block)
        if not cuts:
            out.append((block, None))
            continue
        start = 0
        for r, found in cuts:
            if r > start:
                out.append((_slice(block, start, r), None))
            cell = next(c for c in block.rows[r] if c.exists)
            out.append((Paragraph(cell.text, cell.location, cell.confidence), found))
            start = r + 1
        if start < len(block.rows):
            out.append((_slice(block, start, len(block.rows)), None))
    return out


def split_sections(blocks: list[Block]) -> Layout:
    """Splits the blocks at the section headings, which must come in the template's order.

    A heading numbered as the template numbers it may skip sections (a
    report that leaves one out); an unnumbered one must be the next section,
    so that a sentence that happens to name a section does not start it.
    """
    separated = _separated(blocks)
    flat = [block for block, _ in separated]
    preamble: list[Block] = []
    spans: dict[str, SectionSpan] = {}
    current: SectionSpan | None = None
    index = -1
    for i, (block, found) in enumerate(separated):
        if isinstance(block, Paragraph) and found is not None:
            k = found.index
            if k > index and (found.numbered or k == index + 1):
                index = k
                current = SectionSpan(SECTIONS[k], block, start=i)
                spans[SECTIONS[k].number] = current
                continue
        if current is None:
            preamble.append(block)
        else:
            current.blocks.append(block)
            current.indices.append(i)
    return Layout(flat, preamble, spans)
