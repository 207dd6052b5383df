"""The assembler on grid tables built directly in the IR: what PDF and Word page breaks do to rows."""

from __future__ import annotations

from govreport.assembly import assemble
from govreport.ir import Document, Paragraph, SourceFormat, Table, TextCell
from govreport.paths import get_cell, value_text
from govreport.v1 import report_pb2 as pb

HEADINGS = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]
ROW = "application_handling.outcomes.not_processed.confirmation_requested"


def grid(*rows: list[str]) -> Table:
    return Table(
        [
            [TextCell(text, row=r, col=c) for c, text in enumerate(row)]
            for r, row in enumerate(rows)
        ],
        grid=True,
    )


def report_of(*tables: Table, section: str = "三") -> pb.AnnualReport:
    """A report whose section ``section`` holds ``tables``; the other sections are headings only."""
    blocks: list[Paragraph | Table] = [Paragraph("某局2023年政府信息公开工作年度报告")]
    for heading in HEADINGS:
        blocks.append(Paragraph(heading))
        if heading.startswith(section):
            blocks += tables
    return assemble(Document(SourceFormat.PDF, blocks))


def test_row_cut_by_a_page_break_takes_its_figures_from_the_rest() -> None:
    report = report_of(
        grid(["（五）不予处理", "5.要求行政机关确认或重新出具", "", "", "", "", "", "", ""]),
        grid(["", "已获取信息", "3", "0", "0", "0", "0", "0", "3"]),
    )
    cell = get_cell(report, f"{ROW}.total")
    assert cell is not None and value_text(cell) == "3"
    assert value_text(get_cell(report, f"{ROW}.natural_persons") or pb.Cell()) == "3"


def test_figures_stay_with_the_first_part_when_it_has_them() -> None:
    report = report_of(
        grid(["（五）不予处理", "5.要求行政机关确认或重新出具", "2", "0", "0", "0", "0", "0", "2"]),
        grid(["", "已获取信息", "", "", "", "", "", "", ""]),
    )
    assert value_text(get_cell(report, f"{ROW}.total") or pb.Cell()) == "2"


def test_label_too_short_to_match_keeps_its_figures_across_the_break() -> None:
    """The page ends on the label's start ("1.本", no row yet) with the figures; the next page
    starts with the label's rest and blank cells (a scan of a row LibreOffice split)."""
    not_held = "application_handling.outcomes.unable_to_provide.not_held"
    report = report_of(
        grid(["（四）无法提供", "1.本", "4", "0", "1", "0", "0", "0", "5"]),
        grid(["", "机关不掌握相关政府信息", "", "", "", "", "", "", ""]),
    )
    assert value_text(get_cell(report, f"{not_held}.natural_persons") or pb.Cell()) == "4"
    assert value_text(get_cell(report, f"{not_held}.total") or pb.Cell()) == "5"


def test_label_rest_that_names_the_row_itself_does_not_blank_its_figures() -> None:
    """ "1.申请人无正当理由逾" + figures, then the next page: "期不补正、…申请" and blanks."""
    row = "application_handling.outcomes.other_handling.not_corrected_in_time"
    report = report_of(
        grid(["（六）其他处理", "1.申请人无正当理由逾", "2", "0", "0", "0", "0", "0", "2"]),
        grid(["", "期不补正、行政机关不再处理其政府信息公开申请", "", "", "", "", "", "", ""]),
    )
    assert value_text(get_cell(report, f"{row}.total") or pb.Cell()) == "2"


def test_unclaimed_figures_are_not_given_to_an_unrelated_row() -> None:
    not_held = "application_handling.outcomes.unable_to_provide.not_held"
    report = report_of(
        grid(["（四）无法提供", "某某", "4", "0", "1", "0", "0", "0", "5"]),
        grid(["", "1.本机关不掌握相关政府信息", "", "", "", "", "", "", ""]),
    )
    cell = get_cell(report, f"{not_held}.total")
    assert cell is not None and cell.state == pb.CELL_STATE_BLANK


def test_absent_slot_is_missing_and_empty_cell_is_blank() -> None:
    table = Table(
        [
            [TextCell("第二十条第（一）项", row=0, col=0)] * 4,
            [
                TextCell("行政规范性文件", row=1, col=0),
                TextCell("2", row=1, col=1),
                TextCell("", row=1, col=2),
                TextCell("", exists=False, row=1, col=3),
            ],
        ],
        grid=True,
    )
    report = report_of(table, section="二")
    repealed = get_cell(report, "proactive_disclosure_2021.normative_documents.repealed")
    in_force = get_cell(report, "proactive_disclosure_2021.normative_documents.in_force")
    assert repealed is not None and repealed.state == pb.CELL_STATE_BLANK
    assert in_force is not None and in_force.state == pb.CELL_STATE_MISSING
