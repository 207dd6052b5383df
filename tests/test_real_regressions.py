"""Regression tests named after the real report that showed each failure (../shared/corpus/).

Each test pins one thing a real published document did that our generated
fixtures never do, at the lowest level that shows it (reader, assembler,
validator). The end-to-end checks against the corpus gold are in
test_real_corpus.py.
"""

from __future__ import annotations

from corpus import HONGZE_PDF, PINGTAN_HTML

from govreport import formats
from govreport.assembly.labels import RowMatcher
from govreport.convert import convert
from govreport.ir import Paragraph, Table
from govreport.render import render
from govreport.templates import template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb


def test_huaian_hongze_framed_text_is_paragraphs_not_tables() -> None:
    """WPS draws each line of prose on a white, unstroked rectangle: invisible frames, not rules."""
    document = formats.read(HONGZE_PDF.read_bytes(), HONGZE_PDF.name)
    paragraphs = [b.text for b in document.blocks if isinstance(b, Paragraph)]
    for heading in ("一、总体情况", "二、主动公开政府信息情况", "六、其他需要报告的事项"):
        assert heading in paragraphs
    for block in document.blocks:
        if isinstance(block, Table):
            widths = {len({id(c) for c in row if c.exists}) for row in block.rows}
            assert max(widths) > 1, f"a one-column table on page {block.location.page}"


def test_huaian_hongze_table_cut_by_page_break_keeps_its_last_row() -> None:
    """Table 三 runs off page 3 with no rule under its last row (2.没有现成信息需要另行制作)."""
    document = formats.read(HONGZE_PDF.read_bytes(), HONGZE_PDF.name)
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


def test_huaian_hongze_paragraph_broken_by_the_page_end_reads_as_one() -> None:
    """Pages 1/2 and 4/5 break a sentence mid-word ("严格执行“分" / "级审核")."""
    report = convert(HONGZE_PDF.read_bytes(), HONGZE_PDF.name).report
    assert "严格执行“分级审核、先审后发”程序" in report.overview.text
    assert "实行政府信息公开工作人员跟班学习制度" in report.problems_and_improvements.text


def test_huaian_hongze_other_handling_as_one_row_is_one_note() -> None:
    """（六）其他处理 is one row with no 1./2./3.: its figures on the group, its items not in the
    layout, one C5 note, and no R6a for cells the layout never had."""
    extraction = convert(HONGZE_PDF.read_bytes(), HONGZE_PDF.name)
    handling = extraction.report.application_handling.outcomes.other_handling
    assert handling.group.natural_persons.state == pb.CELL_STATE_NUMBER
    assert handling.group.total.count == 0
    for item in (handling.not_corrected_in_time, handling.fees_not_paid, handling.other):
        assert item.total.state == pb.CELL_STATE_NOT_IN_LAYOUT
    rules = [(f.rule_id, f.severity) for f in extraction.validation.findings]
    assert rules.count(("C5", vpb.SEVERITY_INFO)) == 1
    assert not [r for r, _ in rules if r in ("R6a", "C2", "C4", "Q1")]


def test_huaian_hongze_review_table_contradicts_itself() -> None:
    """四 prints 行政复议 10, 1, 0, 0 with 总计 0 and 复议后起诉 5, 0, 0, 0 with 总计 0: two true R4."""
    findings = convert(HONGZE_PDF.read_bytes(), HONGZE_PDF.name).validation.findings
    r4 = sorted((f.cells[-1], f.expected, f.found) for f in findings if f.rule_id == "R4")
    assert r4 == [
        ("review_and_litigation.administrative_review.total", "11", "0"),
        ("review_and_litigation.litigation_after_review.total", "5", "0"),
    ]


def test_huaian_hongze_label_with_a_missing_word() -> None:
    """ "2.其他法律行政止公开" (法规禁 lost) is still row 2 of （三）不予公开."""
    rows = template(2021).application_rows
    row = RowMatcher(rows).match("2.其他法律行政止公开", "（三）不予公开")
    assert row is not None and row.field.endswith("not_disclosed.prohibited_by_law")


def test_huaian_hongze_group_label_written_down_a_merged_cell() -> None:
    """三、本年度办理结果 is written one character per line in a vertical merged cell."""
    document = formats.read(HONGZE_PDF.read_bytes(), HONGZE_PDF.name)
    texts = {c.text for b in document.blocks if isinstance(b, Table) for row in b.rows for c in row}
    assert "三、本年度办理结果" in texts


def pingtan_with(old: str, new: str) -> bytes:
    """The Pingtan page with one piece of its markup changed (the change must apply)."""
    content = PINGTAN_HTML.read_bytes()
    assert content.count(old.encode()) == 1, old
    return content.replace(old.encode(), new.encode())


def test_pingtan_header_word_qita_is_not_the_row_3_qita() -> None:
    """The column heading 其他 of 三 is not the row 3.其他 of （六）其他处理."""
    report = convert(PINGTAN_HTML.read_bytes(), PINGTAN_HTML.name).report
    other = report.application_handling.outcomes.other_handling.other
    assert (other.natural_persons.count, other.total.count) == (1, 1)


def test_pingtan_problems_heading_with_extra_words() -> None:
    """ "五、政府信息公开工作存在的主要问题及改进情况" is section 五's heading."""
    content = pingtan_with(
        "五、存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况"
    )
    extraction = convert(content, PINGTAN_HTML.name)
    section = extraction.report.problems_and_improvements
    assert section.present and section.heading == "五、政府信息公开工作存在的主要问题及改进情况"
    assert section.text.startswith("存在的问题主要有以下几个方面")
    assert [f for f in extraction.validation.findings if f.rule_id == "C2"] == []


def test_pingtan_heading_and_its_text_on_one_line() -> None:
    """ "六、其他需要报告的事项2023年，无收取…" in one paragraph: the heading is split off."""
    content = pingtan_with(
        '六、其他需要报告的事项</strong></p><p style="text-indent: 2em;">',
        "六、其他需要报告的事项</strong>",
    )
    extraction = convert(content, PINGTAN_HTML.name)
    other = extraction.report.other_matters
    assert other.heading == "六、其他需要报告的事项"
    assert other.text == "2023年，无收取信息处理费情况。"
    assert [f.rule_id for f in extraction.validation.findings if f.rule_id.startswith("C")] == []


def test_pingtan_table_whose_heading_is_lost_is_found_by_its_labels() -> None:
    """A seal over "三、收到和处理政府信息公开申请情况" (here: the heading unreadable): table 三 is
    still found by its own row and column labels, and no section is reported missing."""
    content = pingtan_with(
        "<strong>三、收到和处理政府信息公开申请情况</strong>", "<strong>三、收■■■■■■</strong>"
    )
    extraction = convert(content, PINGTAN_HTML.name)
    report = extraction.report
    assert report.application_handling_source.table_found
    assert report.application_handling_source.heading == ""
    assert report.application_handling.new_applications.total.count == 81
    assert report.application_handling.outcomes.total.natural_persons.count == 80
    assert [f.rule_id for f in extraction.validation.findings] == []


def test_pingtan_heading_inside_the_table() -> None:
    """The heading of 三 as the first row of its table (one cell across it) is still a heading,
    and the table under it still table 三."""
    content = pingtan_with(
        '<p style="text-indent: 2em;"><strong>三、收到和处理政府信息公开申请情况</strong></p>'
        '<table style="border-collapse:collapse;border:none" cellspacing="0" align="center" '
        'border="1"><tbody>',
        '<table style="border-collapse:collapse;border:none" cellspacing="0" align="center" '
        'border="1"><tbody><tr><td colspan="10">三、收到和处理政府信息公开申请情况</td></tr>',
    )
    extraction = convert(content, PINGTAN_HTML.name)
    report = extraction.report
    assert report.application_handling_source.heading == "三、收到和处理政府信息公开申请情况"
    assert report.application_handling.new_applications.total.count == 81
    assert [f.rule_id for f in extraction.validation.findings] == []


def test_pingtan_site_footer_is_not_section_six() -> None:
    """The portal's links and copyright after the report's container are not section 六's text."""
    report = convert(PINGTAN_HTML.read_bytes(), PINGTAN_HTML.name).report
    assert report.other_matters.text == "2023年，无收取信息处理费情况。"


def test_pingtan_publication_date_from_the_source_and_time_line() -> None:
    """ "来源：平潭综合实验区管委会办公室 时间：2024-03-08 15:34" above the report."""
    report = convert(PINGTAN_HTML.read_bytes(), PINGTAN_HTML.name).report
    assert report.metadata.publication_date == "2024-03-08"


def pingtan_without_review_table(keep_heading: bool) -> bytes:
    content = PINGTAN_HTML.read_bytes().decode("utf-8")
    heading = "<strong>四、政府信息公开行政复议、行政诉讼情况</strong></p>"
    start = content.index(heading) + len(heading)
    end = content.index("</table>", start) + len("</table>")
    if not keep_heading:
        start = content.rindex("<p", 0, start)
    return (content[:start] + content[end:]).encode("utf-8")


def test_pingtan_table_left_out_is_one_finding_and_its_cells_are_listed() -> None:
    """Section 四's heading without its table: one C4 naming what was looked for, and every cell
    of 四 still in the cells output, as missing."""
    extraction = convert(pingtan_without_review_table(keep_heading=True), PINGTAN_HTML.name)
    findings = [f for f in extraction.validation.findings if f.rule_id in ("C2", "C4", "R6a")]
    assert [(f.rule_id, f.severity) for f in findings] == [("C4", vpb.SEVERITY_ERROR)]
    assert "行政复议" in findings[0].message_zh and "结果维持" in findings[0].message_en
    source = extraction.report.review_and_litigation_source
    assert source.heading and not source.table_found
    lines = [ln for ln in render(extraction, "cells").splitlines() if ln.startswith("四,")]
    assert len(lines) == 15 and all(ln.endswith(",missing") for ln in lines)


def test_pingtan_section_left_out_entirely_is_c2_naming_heading_and_table() -> None:
    extraction = convert(pingtan_without_review_table(keep_heading=False), PINGTAN_HTML.name)
    findings = [f for f in extraction.validation.findings if f.rule_id in ("C2", "C4", "R6a")]
    assert [f.rule_id for f in findings] == ["C2"]
    assert "neither its heading nor its table" in findings[0].message_en
    lines = [ln for ln in render(extraction, "cells").splitlines() if ln.startswith("四,")]
    assert len(lines) == 15 and all(ln.endswith(",missing") for ln in lines)
