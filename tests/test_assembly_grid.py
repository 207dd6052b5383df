"""The assembler on grid tables built directly in the IR: what PDF and Word page breaks do to rows."""

from __future__ import annotations

from govreport.assembly import assemble
from govreport.ir import Document, Paragraph, SourceFormat, Table, TextCell
from govreport.paths import get_cell, value_text
from govreport.v1 import report_pb2 as pb
from govreport.validation import validate

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


# ---------------------------------------------------------------- alignment (the real scans)

NEW = "application_handling.new_applications"
CARRIED = "application_handling.carried_over_from_previous_year"
COLUMNS = (
    "natural_persons",
    "commercial_enterprises",
    "research_institutions",
    "social_welfare_organizations",
    "legal_service_organizations",
    "other_organizations",
    "total",
)


def cells(*texts: str, row: int = 0) -> list[TextCell]:
    return [TextCell(t, row=row, col=c) for c, t in enumerate(texts)]


def values(report: pb.AnnualReport, row: str) -> list[str]:
    return [value_text(get_cell(report, f"{row}.{c}") or pb.Cell()) for c in COLUMNS]


def test_blank_cell_merged_with_its_neighbour_shifts_no_figure() -> None:
    """A scan loses the rule between two blank cells (a seal, a faint print): the two are one
    cell. The figure after them stays under 总计 (the 2019 scans read 18 into 其他)."""
    row = cells("一、本年新收政府信息公开申请数量", "", "", "", "", "", "", "18")
    merged = TextCell("", row=0, col=2)
    row[2] = row[3] = merged
    report = report_of(Table([row], grid=True))
    assert values(report, NEW) == ["", "", "", "", "", "", "18"]
    total = get_cell(report, f"{NEW}.total")
    assert total is not None and total.state == pb.CELL_STATE_NUMBER
    assert get_cell(report, f"{NEW}.other_organizations").state == pb.CELL_STATE_BLANK  # type: ignore[union-attr]


def test_figure_in_a_cell_spanning_two_columns_is_flagged() -> None:
    row = cells("一、本年新收政府信息公开申请数量", "21", "", "0", "0", "0", "0", "21")
    merged = TextCell("21", row=0, col=1)
    row[1] = row[2] = merged
    report = report_of(Table([row], grid=True))
    first = get_cell(report, f"{NEW}.natural_persons")
    second = get_cell(report, f"{NEW}.commercial_enterprises")
    assert first is not None and first.confidence < 0.8
    assert second is not None and second.state == pb.CELL_STATE_MISSING
    assert "Q1" in {f.rule_id for f in validate(report).findings}


def test_row_whose_label_is_unreadable_is_placed_by_its_order_and_flagged() -> None:
    """The Hongze scan: the seal over （一）予以公开 leaves "〈《“-)拖以" of its label."""
    table = Table(
        [
            cells("二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0", row=0),
            cells("〈《“-)拖以", "3", "0", "0", "0", "0", "0", "3", row=1),
            cells("（二）部分公开", "4", "0", "0", "0", "0", "0", "4", row=2),
        ],
        grid=True,
    )
    report = report_of(table)
    disclosed = "application_handling.outcomes.disclosed"
    assert values(report, disclosed) == ["3", "0", "0", "0", "0", "0", "3"]
    assert all(
        (get_cell(report, f"{disclosed}.{c}") or pb.Cell()).confidence < 0.8 for c in COLUMNS
    )
    assert values(report, "application_handling.outcomes.partially_disclosed")[-1] == "4"


def test_label_read_out_of_the_templates_order_is_not_believed() -> None:
    """ "（三）不予公开" misread as "（一）予以公开" below （二）: the row is placed by its order."""
    table = Table(
        [
            cells("一、本年新收政府信息公开申请数量", "9", "0", "0", "0", "0", "0", "9", row=0),
            cells("（一）予以公开", "5", "0", "0", "0", "0", "0", "5", row=1),
            cells("（二）部分公开", "1", "0", "0", "0", "0", "0", "1", row=2),
            cells("（一）予以公开", "", "", "", "", "", "", "", row=3),
            cells("1.属于国家秘密", "2", "0", "0", "0", "0", "0", "2", row=4),
        ],
        grid=True,
    )
    report = report_of(table)
    assert values(report, "application_handling.outcomes.disclosed")[-1] == "5"
    secrets = "application_handling.outcomes.not_disclosed.state_secrets"
    assert values(report, secrets)[-1] == "2"


def test_two_labels_merged_in_one_cell_are_cut() -> None:
    """A rule lost under a seal merges the label cells of 一 and 二 (Hongze scan, 150 dpi)."""
    label = TextCell(
        "一、本年新收政府信息公开申请数量二、上年结转政府信息公开申请数量", row=0, col=0
    )
    first = [label, *cells("", "7", "0", "0", "0", "0", "0", "7", row=0)[1:]]
    second = [label, *cells("", "1", "0", "0", "0", "0", "0", "1", row=1)[1:]]
    report = report_of(Table([first, second], grid=True))
    assert values(report, NEW)[-1] == "7"
    assert values(report, CARRIED)[-1] == "1"
    assert (get_cell(report, f"{CARRIED}.total") or pb.Cell()).confidence >= 0.8


def test_review_row_with_a_merged_blank_cell_keeps_its_columns() -> None:
    """四's data row with two blank cells merged (行政复议 其他结果 and 尚未审结): the figures
    after them stay under their own headings."""
    row = cells("10", "1", "", "", "11", "0", "0", "0", "0", "0", "5", "0", "0", "0", "5")
    merged = TextCell("", row=0, col=2)
    row[2] = row[3] = merged
    report = report_of(Table([row], grid=True), section="四")
    review = "review_and_litigation"
    assert (
        value_text(get_cell(report, f"{review}.administrative_review.total") or pb.Cell()) == "11"
    )
    assert (
        value_text(get_cell(report, f"{review}.litigation_after_review.upheld") or pb.Cell()) == "5"
    )
    assert [f.rule_id for f in validate(report).findings if f.rule_id == "R4"] == []


def test_text_in_a_drawn_frame_is_text_not_a_table() -> None:
    """A one-column grid (a box drawn around the narrative) holding a heading and its text."""
    frame = Table(
        [
            [TextCell("一、总体情况", row=0, col=0)],
            [TextCell("2023年，本局全年共收到依申请公开事项7件。", row=1, col=0)],
        ],
        grid=True,
    )
    blocks: list[Paragraph | Table] = [Paragraph("某局2023年政府信息公开工作年度报告"), frame]
    blocks += [Paragraph(h) for h in HEADINGS[1:]]
    report = assemble(Document(SourceFormat.PDF, blocks))
    assert report.overview.present and report.overview.heading == "一、总体情况"
    assert report.overview.text == "2023年，本局全年共收到依申请公开事项7件。"
