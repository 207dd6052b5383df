"""Each rule of TEMPLATE.md fires where a report breaks it, with the cells, expected and found values."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreport.convert import ConvertOptions, convert
from govreport.paths import ensure_cell
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation import validate

SEEDS = Path(__file__).resolve().parent.parent / "server" / "govreport" / "samples"


def seed_report(prefix: str) -> pb.AnnualReport:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return convert(path.read_bytes(), path.name, ConvertOptions(skip_validation=True)).report


def set_count(report: pb.AnnualReport, path: str, value: int) -> None:
    cell = ensure_cell(report, path)
    cell.state = pb.CELL_STATE_NUMBER
    cell.count = value


def set_blank(report: pb.AnnualReport, path: str) -> None:
    cell = ensure_cell(report, path)
    cell.state = pb.CELL_STATE_BLANK
    cell.ClearField("count")


def rule_findings(validation: vpb.ValidationReport, rule_id: str) -> list[vpb.Finding]:
    return [f for f in validation.findings if f.rule_id == rule_id]


# Expected findings on the seeds as they are (also listed in README.md).
SEED_FINDINGS = {
    "000": ["C3"],
    "001": ["R6a", "C3"],
    "002": ["R6a"],
    "003": [],
    "004": ["C3"],
}


@pytest.mark.parametrize("prefix", sorted(SEED_FINDINGS))
def test_seed_findings(prefix: str) -> None:
    validation = validate(seed_report(prefix))
    assert [f.rule_id for f in validation.findings] == SEED_FINDINGS[prefix]
    assert validation.error_count == 0


def test_r1_column_balance() -> None:
    report = seed_report("001")  # 7 new applications, 7 disclosed, (七)总计 7
    set_count(report, "application_handling.carried_over_to_next_year.natural_persons", 2)
    set_count(report, "application_handling.carried_over_to_next_year.total", 2)
    found = rule_findings(validate(report), "R1")
    assert [(f.cells[0], f.expected, f.found) for f in found] == [
        ("application_handling.new_applications.natural_persons", "7", "9"),
        ("application_handling.new_applications.total", "7", "9"),
    ]
    assert found[0].severity == vpb.SEVERITY_ERROR
    assert "自然人" in found[0].message_zh and "natural" not in found[0].message_zh


def test_r2_row_total() -> None:
    report = seed_report("004")
    set_count(report, "application_handling.new_applications.commercial_enterprises", 3)
    found = rule_findings(validate(report), "R2")
    assert len(found) == 1
    assert (found[0].expected, found[0].found) == ("4", "1")
    assert found[0].cells[-1] == "application_handling.new_applications.total"


def test_r2_blank_total_is_not_filled_in_not_zero() -> None:
    report = seed_report("004")
    set_blank(report, "application_handling.new_applications.total")
    assert rule_findings(validate(report), "R2") == []


def test_blank_applicant_cells_read_as_zero() -> None:
    report = seed_report("004")
    set_blank(report, "application_handling.new_applications.commercial_enterprises")
    validation = validate(report)
    assert rule_findings(validation, "R2") == []
    assert rule_findings(validation, "R1") == []


def test_r3_outcomes_add_up_to_total() -> None:
    report = seed_report("002")  # its one application: 1.本机关不掌握相关政府信息
    set_count(report, "application_handling.outcomes.unable_to_provide.not_held.natural_persons", 0)
    set_count(report, "application_handling.outcomes.unable_to_provide.not_held.total", 0)
    found = rule_findings(validate(report), "R3")
    assert [(f.expected, f.found) for f in found] == [("0", "1"), ("0", "1")]


def test_r3a_group_row_against_its_items() -> None:
    report = seed_report("004")
    set_count(report, "application_handling.outcomes.not_disclosed.group.natural_persons", 2)
    found = rule_findings(validate(report), "R3a")
    assert [(f.expected, f.found) for f in found] == [("1", "2")]


def test_r4_review_totals() -> None:
    report = seed_report("000")
    set_count(report, "review_and_litigation.litigation_after_review.upheld", 2)
    found = rule_findings(validate(report), "R4")
    assert [(f.cells[-1], f.expected, f.found) for f in found] == [
        ("review_and_litigation.litigation_after_review.total", "2", "0")
    ]


def test_r5_2019_changes_are_a_warning() -> None:
    report = seed_report("003")  # 行政许可 49 +48 = 97 holds
    set_count(report, "proactive_disclosure_2019.licensing.decisions", 98)
    found = rule_findings(validate(report), "R5")
    assert [(f.expected, f.found, f.severity) for f in found] == [
        ("97", "98", vpb.SEVERITY_WARNING)
    ]


def test_r6_negative_count() -> None:
    report = seed_report("000")
    set_count(report, "proactive_disclosure_2021.licensing_decisions", -3)
    found = rule_findings(validate(report), "R6")
    assert [(f.cells[0], f.found) for f in found] == [
        ("proactive_disclosure_2021.licensing_decisions", "-3")
    ]


def test_r7_across_years() -> None:
    this_year, last_year = seed_report("004"), seed_report("004")
    set_count(last_year, "application_handling.carried_over_to_next_year.natural_persons", 1)
    set_count(last_year, "application_handling.carried_over_to_next_year.total", 1)
    set_count(last_year, "proactive_disclosure_2021.rules.in_force", 5)
    validation = validate(this_year, previous=last_year)
    assert [(f.cells[0], f.expected, f.found) for f in rule_findings(validation, "R7")] == [
        ("application_handling.carried_over_from_previous_year.natural_persons", "1", "0"),
        ("application_handling.carried_over_from_previous_year.total", "1", "0"),
    ]
    drift = rule_findings(validation, "R7a")
    assert [(f.expected, f.found, f.severity) for f in drift] == [("5", "0", vpb.SEVERITY_WARNING)]


def test_r8_narrative_contradicts_table() -> None:
    report = seed_report("001")  # "全年共收到依申请公开事项7件"
    set_count(report, "application_handling.new_applications.total", 6)
    found = rule_findings(validate(report), "R8")
    assert [(f.cells[0], f.expected, f.found) for f in found] == [
        ("application_handling.new_applications.total", "6", "7")
    ]


def test_r9_year_and_publication_date() -> None:
    report = seed_report("000")  # on 2023, published 2024-01-08
    assert rule_findings(validate(report, filed_year=2023), "R9") == []
    assert [f.found for f in rule_findings(validate(report, filed_year=2024), "R9")] == ["2023"]
    report.metadata.publication_date = "2023-12-20"
    assert [f.found for f in rule_findings(validate(report), "R9")] == ["2023-12-20"]


def test_c1_2019_template_on_a_2021_report() -> None:
    report = seed_report("003")
    report.metadata.report_year = 2022
    found = rule_findings(validate(report), "C1")
    assert [(f.expected, f.found) for f in found] == [("2021", "2019")]


def test_c2_missing_section() -> None:
    report = seed_report("002")
    report.problems_and_improvements.Clear()
    report.ClearField("review_and_litigation")
    report.ClearField("review_and_litigation_source")  # neither its heading nor its table
    found = rule_findings(validate(report), "C2")
    assert sorted(f.cells[0] for f in found) == [
        "problems_and_improvements",
        "review_and_litigation",
    ]
    assert all(f.severity == vpb.SEVERITY_ERROR for f in found)


def test_c3_fee_statement_present_in_002() -> None:
    assert rule_findings(validate(seed_report("002")), "C3") == []


def as_scanned(report: pb.AnnualReport, confidence: float = 0.95) -> None:
    """Every set cell as if read by OCR at 300 dpi with the given confidence."""
    from govreport.paths import iter_cells

    for placed in iter_cells(report):
        placed.cell.provenance.box.unit = pb.COORDINATE_UNIT_PIXELS
        placed.cell.provenance.box.dpi = 300
        placed.cell.confidence = confidence


def test_q1_flags_low_confidence_ocr_cells_only() -> None:
    report = seed_report("001")
    assert rule_findings(validate(report), "Q1") == []  # a text source: every cell is sure
    as_scanned(report)
    doubtful = "application_handling.new_applications.commercial_enterprises"
    ensure_cell(report, doubtful).confidence = 0.42
    validation = validate(report, ocr_min_confidence=0.8)
    assert "Q1" in validation.rules_checked
    found = rule_findings(validation, "Q1")
    assert [f.cells for f in found] == [[doubtful]]
    assert found[0].severity == vpb.SEVERITY_WARNING
    assert "0.42" in found[0].message_en
    assert rule_findings(validate(report, ocr_min_confidence=0.4), "Q1") == []


def test_broken_sum_on_a_scan_points_at_the_least_confident_cell() -> None:
    report = seed_report("001")
    as_scanned(report)
    misread = "application_handling.new_applications.natural_persons"
    set_count(report, misread, 9)  # 7 read as 9: the row's total no longer adds up
    ensure_cell(report, misread).confidence = 0.61
    found = rule_findings(validate(report), "R2")
    assert len(found) == 1
    assert list(found[0].suspect_cells) == [misread]
    # On a text source nothing is pointed at: the numbers were not guessed from pixels.
    plain = seed_report("001")
    set_count(plain, misread, 9)
    assert [list(f.suspect_cells) for f in rule_findings(validate(plain), "R2")] == [[]]


def test_c4_a_table_left_out_is_one_finding_not_one_per_cell() -> None:
    report = seed_report("000")
    report.ClearField("review_and_litigation")
    from govreport.paths import iter_cells

    for placed in iter_cells(seed_report("000")):
        if placed.section == "四":
            ensure_cell(report, placed.path).state = pb.CELL_STATE_MISSING
    report.review_and_litigation_source.table_found = False  # the heading, no table
    validation = validate(report)
    c4 = rule_findings(validation, "C4")
    assert [(f.cells, f.severity) for f in c4] == [(["review_and_litigation"], vpb.SEVERITY_ERROR)]
    assert not [f for f in rule_findings(validation, "R6a") if f.cells[0].startswith("review_")]
