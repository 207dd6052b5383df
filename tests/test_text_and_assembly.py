"""The text reader's decoding and table shapes, and the assembler's handling of real-report quirks.

Variants are made from seed 000 (tab-separated, 2021 template) by editing
its text the way real reports differ, so each test names one quirk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govreport.convert import ConvertOptions, convert
from govreport.errors import GovreportError, Reason
from govreport.paths import get_cell, value_text
from govreport.readers.text import decode
from govreport.readers.text import read as read_text
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation import validate

SAMPLES = Path(__file__).resolve().parent.parent / "server" / "govreport" / "samples"
SEED_000 = next(SAMPLES.glob("000_*.txt")).read_text(encoding="utf-8")
SEED_003 = next(SAMPLES.glob("003_*.txt")).read_text(encoding="utf-8")


def extract(text: str, encoding: str = "utf-8") -> pb.AnnualReport:
    return convert(
        text.encode(encoding), "variant.txt", ConvertOptions(skip_validation=True)
    ).report


def cell(report: pb.AnnualReport, path: str) -> pb.Cell:
    found = get_cell(report, path)
    assert found is not None, path
    return found


def variant(old: str, new: str, base: str = SEED_000) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-8-sig"])
def test_encodings_decode_to_the_same_report(encoding: str) -> None:
    reference = extract(SEED_000)
    report = extract(SEED_000, encoding)
    assert report == reference
    assert decode(SEED_000.encode(encoding))[0].lstrip("\ufeff") == SEED_000


def test_undecodable_text_is_refused() -> None:
    # Latin-1 bytes of accented text: not UTF-8, and GB18030 reads them as no Chinese.
    with pytest.raises(GovreportError) as err:
        convert("rapport annuel é è à ç ù ".encode("latin-1") * 40, "x.txt")
    assert err.value.reason in (Reason.UNDECODABLE_TEXT, Reason.NOT_A_REPORT)


def test_text_that_is_not_a_report() -> None:
    with pytest.raises(GovreportError) as err:
        convert("发票\n购买方：某某公司\n金额：1000元\n税额：60元\n".encode(), "invoice.txt")
    assert err.value.reason is Reason.NOT_A_REPORT
    assert "invoice.txt" in err.value.message


def test_white_space_only_is_empty() -> None:
    with pytest.raises(GovreportError) as err:
        convert(b" \n\t\n", "blank.txt")
    assert err.value.reason is Reason.EMPTY_DOCUMENT


def test_cells_keep_line_and_offsets() -> None:
    report = extract(SEED_000)
    licensing = cell(report, "proactive_disclosure_2021.licensing_decisions")
    line = SEED_000.splitlines()[licensing.provenance.line - 1]
    assert line.startswith("行政许可\t292")
    assert SEED_000[licensing.provenance.char_start : licensing.provenance.char_end] == "292"
    assert licensing.confidence == pytest.approx(1.0)


def test_space_aligned_columns() -> None:
    text = variant("行政许可\t292\t\t", "行政许可        292")
    assert value_text(cell(extract(text), "proactive_disclosure_2021.licensing_decisions")) == "292"


def test_number_with_a_note_is_text_with_a_derived_value() -> None:
    report = extract(variant("行政许可\t292", "行政许可\t22（其中修订16件）"))
    licensing = cell(report, "proactive_disclosure_2021.licensing_decisions")
    assert licensing.state == pb.CELL_STATE_TEXT
    assert (licensing.count, licensing.derived, licensing.raw_text) == (
        22,
        True,
        "22（其中修订16件）",
    )


def test_amount_in_yuan_converted_to_the_columns_wan_yuan() -> None:
    report = extract(variant("行政事业性收费\t0", "行政事业性收费\t251000元"))
    fees = cell(report, "proactive_disclosure_2021.fees_amount")
    assert (fees.state, fees.amount, fees.unit, fees.derived) == (
        pb.CELL_STATE_TEXT,
        "25.1",
        "万元",
        True,
    )


def test_not_applicable_and_blank_are_kept_apart_from_zero() -> None:
    text = variant("行政强制\t0", "行政强制\t/")
    text = text.replace("规章\t0\t0\t0", "规章\t0\t\t0", 1)
    report = extract(text)
    assert (
        cell(report, "proactive_disclosure_2021.coercion_decisions").state
        == pb.CELL_STATE_NOT_APPLICABLE
    )
    repealed = cell(report, "proactive_disclosure_2021.rules.repealed")
    assert repealed.state == pb.CELL_STATE_BLANK and repealed.WhichOneof("value") is None


def test_group_given_as_one_row_without_items() -> None:
    lines = SEED_000.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("(六) 其他处理"))
    end = next(i for i, ln in enumerate(lines) if "3. 其他" in ln)
    merged = [*lines[:start], "\t(六) 其他处理\t2\t0\t0\t0\t0\t0\t2", *lines[end + 1 :]]
    report = extract("\n".join(merged))
    group = "application_handling.outcomes.other_handling"
    assert value_text(cell(report, f"{group}.group.total")) == "2"
    item = cell(report, f"{group}.not_corrected_in_time.total")
    assert item.state == pb.CELL_STATE_NOT_IN_LAYOUT
    findings = validate(report).findings
    assert [(f.rule_id, f.severity) for f in findings if f.rule_id in ("R6a", "C5")] == [
        ("C5", vpb.SEVERITY_INFO)
    ]


def test_subtotal_row_kept_as_the_groups_cells() -> None:
    text = variant(
        "\t(三) 不予公开\t1.属于国家秘密",
        "\t(三) 不予公开\t0\t0\t0\t0\t0\t0\t0\n\t\t1.属于国家秘密",
    )
    report = extract(text)
    subtotal = cell(report, "application_handling.outcomes.not_disclosed.group.natural_persons")
    assert (subtotal.state, subtotal.count) == (pb.CELL_STATE_NUMBER, 0)
    assert (
        value_text(cell(report, "application_handling.outcomes.not_disclosed.state_secrets.total"))
        == "0"
    )


def test_label_with_a_misread_character_still_finds_its_row() -> None:
    text = variant(
        "3.要求提供公开出版物\t0\t0\t0\t0\t0\t0\t0", "3.要求提供公幵出版物\t5\t0\t0\t0\t0\t0\t5"
    )
    report = extract(text)
    assert (
        value_text(
            cell(report, "application_handling.outcomes.not_processed.publications_requested.total")
        )
        == "5"
    )


def test_row_short_of_a_figure_is_not_guessed_when_ambiguous() -> None:
    text = variant(
        "| | 4. 保护第三方合法权益 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "| | 4. 保护第三方合法权益 | 1 | 0 | 0 | 0 | 0 | 1 |",
        SEED_003,
    )
    report = extract(text)
    row = "application_handling.outcomes.not_disclosed.third_party_rights"
    states = {cell(report, f"{row}.{c}").state for c in ("natural_persons", "total")}
    assert states == {pb.CELL_STATE_MISSING}
    assert "cannot be told" in cell(report, f"{row}.total").notes[0]


def test_row_short_of_a_figure_is_completed_when_only_one_reading_fits() -> None:
    report = extract(SEED_003)
    completed = cell(report, "application_handling.outcomes.not_disclosed.third_party_rights.total")
    assert (completed.count, completed.derived) == (0, True)
    assert completed.confidence < 1.0


def test_section_headings_numbered_differently() -> None:
    text = SEED_000.replace("二、主动公开政府信息情况", "表二 主动公开政府信息情况", 1)
    text = text.replace(
        "三、收到和处理政府信息公开申请情况", "第三部分 收到和处理政府信息公开申请情况", 1
    )
    report = extract(text)
    assert value_text(cell(report, "proactive_disclosure_2021.licensing_decisions")) == "292"
    assert value_text(cell(report, "application_handling.new_applications.total")) == "0"


def test_page_numbers_inside_a_table_are_ignored() -> None:
    text = variant("\t\t5.属于三类内部事务信息", "- 3 -\n\t\t5.属于三类内部事务信息")
    report = extract(text)
    assert (
        value_text(
            cell(report, "application_handling.outcomes.not_disclosed.internal_affairs.total")
        )
        == "0"
    )
    assert (
        value_text(
            cell(report, "application_handling.outcomes.not_disclosed.third_party_rights.total")
        )
        == "0"
    )


def test_markdown_and_pipe_rows_are_tables() -> None:
    document = read_text(
        "| 规章 | 0 | 1 | 2 |\n|---|---|---|---|\n行政许可 |\n6246 | ||\n".encode()
    )
    table = document.blocks[0]
    assert not isinstance(table, pb.Cell)
    rows = [[c.text for c in row] for row in table.rows]  # type: ignore[union-attr]
    assert rows == [["规章", "0", "1", "2"], ["行政许可"], ["6246"]]
