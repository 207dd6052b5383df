"""Regression tests named after the real report that showed each failure (../shared/corpus/).

Each test pins one thing a real published document did that our generated
fixtures never do, at the lowest level that shows it (reader, assembler,
validator). The end-to-end checks against the corpus gold are in
test_real_corpus.py.
"""

from __future__ import annotations

from corpus import HONGZE_PDF

from govreport import readers
from govreport.convert import convert
from govreport.ir import Paragraph, Table


def test_huaian_hongze_framed_text_is_paragraphs_not_tables() -> None:
    """WPS draws each line of prose on a white, unstroked rectangle: invisible frames, not rules."""
    document = readers.read(HONGZE_PDF.read_bytes(), HONGZE_PDF.name)
    paragraphs = [b.text for b in document.blocks if isinstance(b, Paragraph)]
    for heading in ("一、总体情况", "二、主动公开政府信息情况", "六、其他需要报告的事项"):
        assert heading in paragraphs
    for block in document.blocks:
        if isinstance(block, Table):
            widths = {len({id(c) for c in row if c.exists}) for row in block.rows}
            assert max(widths) > 1, f"a one-column table on page {block.location.page}"


def test_huaian_hongze_table_cut_by_page_break_keeps_its_last_row() -> None:
    """Table 三 runs off page 3 with no rule under its last row (2.没有现成信息需要另行制作)."""
    document = readers.read(HONGZE_PDF.read_bytes(), HONGZE_PDF.name)
    rows = [
        [c.text for c in block.own_cells(i)]
        for block in document.blocks
        if isinstance(block, Table) and block.location.page == 3
        for i in range(len(block.rows))
    ]
    assert ["2.没有现成信息需要另行制作", "3", "0", "0", "0", "0", "0", "3"] in rows


def test_huaian_hongze_has_all_six_sections() -> None:
    extraction = convert(HONGZE_PDF.read_bytes(), HONGZE_PDF.name)
    assert [f.rule_id for f in extraction.validation.findings if f.rule_id == "C2"] == []
    cells = extraction.report.proactive_disclosure_2021
    assert cells.licensing_decisions.count == 550
    assert cells.fees_amount.amount == "7730.28"
