"""Finding the six sections: their headings, and the blocks each one holds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from govreport.ir import Block, Paragraph
from govreport.normalize import label_key
from govreport.template import SECTIONS, Section

_NUMERALS = "一二三四五六"
# How a heading may be numbered: "一、", "一.", "第一部分", "表一" (tables titled 表二/表三), "1."
_PREFIX = re.compile(
    r"^\s*(?:([一二三四五六])\s*[、.．:：]|第([一二三四五六])部分|表([一二三四五六])|([1-6])\s*[、.．])"
)


@dataclass(slots=True)
class SectionSpan:
    section: Section
    heading: Paragraph
    blocks: list[Block] = field(default_factory=list)


@dataclass(slots=True)
class Layout:
    preamble: list[Block]
    sections: dict[str, SectionSpan]  # by section number
    # Blocks after the last section that look like a signature (agency, date).
    trailing: list[Block] = field(default_factory=list)


def _heading_of(paragraph: Paragraph) -> tuple[int, bool] | None:
    """(section index, numbered) when the paragraph is a section heading."""
    text = paragraph.text.strip()
    key = label_key(text)
    if not key or len(key) > 40:
        return None
    prefix = _PREFIX.match(text)
    number = None
    if prefix:
        digit = next(g for g in prefix.groups() if g)
        number = int(digit) - 1 if digit.isdigit() else _NUMERALS.index(digit)
    for index, section in enumerate(SECTIONS):
        for wording in (section.heading, *section.aliases):
            wk = label_key(wording)
            if wk in key and len(key) - len(wk) <= 8:
                return index, number == index
    return None


def split_sections(blocks: list[Block]) -> Layout:
    """Splits the blocks at the section headings, which must come in the template's order.

    A heading numbered as the template numbers it may skip sections (a
    report that leaves one out); an unnumbered one must be the next section,
    so that a sentence that happens to name a section does not start it.
    """
    preamble: list[Block] = []
    spans: dict[str, SectionSpan] = {}
    current: SectionSpan | None = None
    index = -1
    for block in blocks:
        if isinstance(block, Paragraph):
            found = _heading_of(block)
            if found is not None:
                k, numbered = found
                if k > index and (numbered or k == index + 1):
                    index = k
                    current = SectionSpan(SECTIONS[k], block)
                    spans[SECTIONS[k].number] = current
                    continue
        if current is None:
            preamble.append(block)
        else:
            current.blocks.append(block)
    return Layout(preamble, spans)
