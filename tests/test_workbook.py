"""The fill-in workbook: ``govreport template --xlsx`` writes the form, ``govreport validate
FORM.xlsx`` reads it back and checks it; the gold reports survive the round trip with the same
findings, and a broken sum is named by the workbook's own cell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeBackend
from goldcheck import compare, expected_notation, load_gold_rows
from google.protobuf import json_format
from openpyxl import Workbook, load_workbook

import govreport
from govreport import cli, workbook
from govreport.paths import get_cell, iter_cells, report_version
from govreport.server import in_thread
from govreport.settings import Settings
from govreport.templates import TEMPLATES, template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation import validate
from govreport.workers import ThreadRunner

SAMPLES = sorted((Path(__file__).parents[1] / "server/govreport/samples").glob("*.txt"))
FindingKey = tuple[str, tuple[str, ...], str, str, str, str]


def _keys(validation: vpb.ValidationReport) -> list[FindingKey]:
    return [
        (f.rule_id, tuple(f.cells), f.expected, f.found, f.message_zh, f.message_en)
        for f in validation.findings
    ]


@pytest.fixture(scope="module")
def gold_reports() -> dict[str, pb.AnnualReport]:
    """The samples as extracted, each checked cell by cell against its gold file first."""
    out: dict[str, pb.AnnualReport] = {}
    for sample in SAMPLES:
        report = govreport.extract(sample).report
        assert compare(report, load_gold_rows(sample.stem)) == [], sample.stem
        out[sample.stem] = report
    return out


def test_gold_reports_cover_both_versions(gold_reports: dict[str, pb.AnnualReport]) -> None:
    assert sorted({report_version(r) for r in gold_reports.values()}) == sorted(TEMPLATES)


@pytest.mark.parametrize("broken", [False, True], ids=["as-published", "broken-sum"])
@pytest.mark.parametrize("stem", [s.stem for s in SAMPLES])
def test_round_trip_gold(
    stem: str, broken: bool, gold_reports: dict[str, pb.AnnualReport], tmp_path: Path
) -> None:
    gold = pb.AnnualReport()
    gold.CopyFrom(gold_reports[stem])
    if broken:
        # One figure off by one: R1 and R2 break, on the report and on its form alike.
        gold.application_handling.new_applications.total.count += 1
    tpl = template(report_version(gold))
    path = tmp_path / "form.xlsx"
    assert workbook.write(path, tpl, gold) == []
    read, layout = workbook.read(path.read_bytes())

    assert report_version(read) == tpl.version
    # Every cell reads back as the gold has it, but for a cell the report left out: the form has
    # every cell, so the one it lacks was left empty, and reads back blank.
    missing = {p.path for p in iter_cells(gold) if p.cell.state == pb.CELL_STATE_MISSING}
    for placed in iter_cells(gold):
        got = get_cell(read, placed.path)
        assert got is not None, placed.path
        want = "blank" if placed.path in missing else expected_notation(placed.cell)
        assert expected_notation(got) == want, placed.path
        assert got.provenance.locator == layout.cells[placed.path][0].ref
    for name in ("agency", "report_year", "publication_date", "statistics_period"):
        assert getattr(read.metadata, name) == getattr(gold.metadata, name), name

    year = gold.metadata.report_year
    expected = [
        key
        for key in _keys(validate(gold, filed_year=year))
        # R6a "the report does not give this cell": no form can lack a cell.
        if not (key[0] == "R6a" and set(key[1]) <= missing)
    ]
    found = validate(read, filed_year=year)
    assert _keys(found) == expected
    if broken:
        assert {"R1", "R2"} <= {key[0] for key in expected}
    # The findings name the form's cells, each a cell of the findings' own paths.
    workbook.name_cells(found, layout)
    for item in found.findings:
        refs = workbook.refs(layout, item.cells)
        if refs:
            assert item.message_zh.endswith(f"（单元格 {'、'.join(refs)}）")
            assert item.message_en.endswith(f" (cells {', '.join(refs)})")


def test_gold_findings(gold_reports: dict[str, pb.AnnualReport]) -> None:
    """What the round trip above compares as published: the samples' own findings."""
    rules = {
        stem: [f.rule_id for f in validate(r, filed_year=r.metadata.report_year).findings]
        for stem, r in gold_reports.items()
    }
    assert rules == {
        "000_920faedf84c991f1": ["C3"],
        "001_9fd470447c6cfcf1": ["R6a", "C3"],
        "002_97f660b055823c4f": ["R6a"],  # the missing cell: no finding on the form (above)
        "003_0664ff578f774794": [],
        "004_de66a63945b15243": ["C3"],
    }


# ---------------------------------------------------------------- a form filled by hand


def _zeros(path: Path, version: int, year: int = 2023) -> None:
    """The form of ``version`` with 0 in every cell of the tables and the facts filled in."""
    workbook.write(path, template(version))
    book = load_workbook(path)
    layout = workbook.layout_of(version)
    for place, _, _ in layout.cells.values():
        book[place.sheet].cell(place.row, place.column).value = 0
    for name, value in (
        ("agency", "某市某局"),
        ("report_year", year),
        ("六", "未收取信息处理费。"),
    ):
        place = layout.meta[name]
        book[place.sheet].cell(place.row, place.column).value = value
    book.save(path)


def _set(path: Path, ref: str, value: object) -> None:
    sheet, cell = ref.split("!")
    book = load_workbook(path)
    book[sheet][cell].value = value
    book.save(path)


def test_layout_names_the_official_form() -> None:
    layout = workbook.layout_of(2021)
    tpl = template(2021)
    ref = {path: place.ref for path, (place, _, _) in layout.cells.items()}
    assert ref[tpl.path("new_applications", "natural_persons")] == "三!D5"
    assert ref[tpl.path("new_applications", "total")] == "三!J5"
    assert ref[tpl.path("outcomes_total", "total")] == "三!J28"
    assert ref[tpl.path("carried_to_next_year", "total")] == "三!J29"
    assert ref[tpl.path("administrative_review", "upheld")] == "四!A5"
    assert ref[tpl.path("litigation_after_review", "total")] == "四!O5"
    assert ref["proactive_disclosure_2021.rules.issued"] == "二!B4"
    assert ref["proactive_disclosure_2021.fees_amount"] == "二!B15"
    assert len(layout.cells) == len([c for c in tpl.cells() if tpl.expects(c[1])]) == 200
    assert len(workbook.layout_of(2019).cells) == 198


def test_form_looks_like_the_template(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    workbook.write(path, template(2021))
    book = load_workbook(path)
    assert book.sheetnames == ["基本信息", "二", "三", "四"]
    three, four = book["三"], book["四"]
    assert three["A1"].value == "三、收到和处理政府信息公开申请情况"
    assert three["D2"].value == "申请人情况"
    assert three["E3"].value == "法人或其他组织"
    assert three["E4"].value == "商业企业"
    assert three["A7"].value == "三、本年度办理结果"
    assert three["B9"].value == "（三）不予公开"
    assert three["C9"].value == "1.属于国家秘密"
    assert {str(r) for r in three.merged_cells.ranges} >= {
        "A1:J1",
        "D2:J2",
        "D3:D4",
        "E3:I3",
        "J3:J4",
        "A5:C5",
        "A7:A28",
        "B9:B16",
        "B28:C28",
    }
    assert four["A2"].value == "行政复议"
    assert four["F2"].value == "行政诉讼"
    assert four["K3"].value == "复议后起诉"
    assert {str(r) for r in four.merged_cells.ranges} >= {"A2:E3", "F2:O2", "F3:J3", "K3:O3"}
    # The figures' cells are unlocked in protected sheets; the labels are not.
    assert three.protection.sheet is True
    assert three["D5"].protection.locked is False
    assert three["A5"].protection.locked is True
    assert book["基本信息"]["B2"].value == "国办公开办函〔2021〕30号"


def test_cells_as_typed(tmp_path: Path) -> None:
    """Numbers, numeric text, "/", blanks and prose are read as the extractor reads a cell."""
    path = tmp_path / "form.xlsx"
    _zeros(path, 2019, year=2020)
    for ref, value in (
        ("三!D5", " 3 "),
        ("三!J5", "３"),  # a full-width digit, as some typists enter it
        ("三!D27", 3),  # 四、结转下年度继续办理: the three carried over, so R1 holds
        ("三!J27", 3.0),
        ("二!C8", "+48"),
        ("二!D8", 48),
        ("二!B9", 16),
        ("二!C9", -16),
        ("二!C16", "/"),
        ("二!B19", None),
        ("二!B4", "22（其中修订16件）"),
        ("二!C19", 1234.5),
    ):
        _set(path, ref, value)
    report, _ = workbook.read(path.read_bytes())
    tpl = template(2019)

    def cell(path_: str) -> pb.Cell:
        found = get_cell(report, path_)
        assert found is not None
        return found

    assert cell(tpl.path("new_applications", "natural_persons")).count == 3
    assert cell(tpl.path("new_applications", "total")).count == 3
    licensing = tpl.row("licensing")
    change = cell(licensing.cell_path(licensing.column("change")))
    assert (change.state, change.change, change.provenance.locator) == (
        pb.CELL_STATE_NUMBER,
        48,
        "二!C8",
    )
    assert cell("proactive_disclosure_2019.other_external_services.change").change == -16
    assert cell("proactive_disclosure_2019.fees.change").state == pb.CELL_STATE_NOT_APPLICABLE
    assert cell("proactive_disclosure_2019.procurement.projects").state == pb.CELL_STATE_BLANK
    noted = cell("proactive_disclosure_2019.rules.newly_made")
    assert (noted.state, noted.count, noted.derived) == (pb.CELL_STATE_TEXT, 22, True)
    assert cell("proactive_disclosure_2019.procurement.total_amount").amount == "1234.5"
    assert _keys(validate(report, filed_year=2020)) == []


def test_broken_sum_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    _zeros(path, 2021)
    assert [f.rule_id for f in validate(workbook.read(path.read_bytes())[0]).findings] == []
    _set(path, "三!J5", 5)
    report, layout = workbook.read(path.read_bytes())
    found = validate(report)
    workbook.name_cells(found, layout)
    tpl = template(2021)
    row = tpl.row("new_applications")
    assert _keys(found) == [
        (
            "R1",
            (
                "application_handling.new_applications.total",
                "application_handling.carried_over_from_previous_year.total",
                "application_handling.outcomes.total.total",
                "application_handling.carried_over_to_next_year.total",
            ),
            "5",
            "0",
            "三「总计」列：一、本年新收(5) + 二、上年结转(0) = 5，但（七）总计(0) + 四、结转下年度(0) = 0"
            "（单元格 三!J5:J6、三!J28:J29）",
            "Section 三, column 总计: new (5) + carried over (0) = 5, but total handled (0) + "
            "carried to next year (0) = 0 (cells 三!J5:J6, 三!J28:J29)",
        ),
        (
            "R2",
            tuple(row.cell_path(c) for c in row.columns),
            "0",
            "5",
            "三「一、本年新收政府信息公开申请数量」行：六类申请人之和为 0，总计填 5（单元格 三!D5:J5）",
            "Section 三, row 一、本年新收政府信息公开申请数量: the six applicant columns add up "
            "to 0, the total says 5 (cells 三!D5:J5)",
        ),
    ]


def test_empty_table_is_not_given(tmp_path: Path) -> None:
    """A table with nothing written is a table left out (C4), not one of blanks."""
    path = tmp_path / "form.xlsx"
    _zeros(path, 2021)
    book = load_workbook(path)
    for place, _, _ in workbook.layout_of(2021).cells.values():
        if place.sheet == "四":
            book["四"].cell(place.row, place.column).value = None
    book.save(path)
    report, layout = workbook.read(path.read_bytes())
    assert report.review_and_litigation.administrative_review.total.state == (pb.CELL_STATE_MISSING)
    found = validate(report)
    workbook.name_cells(found, layout)
    assert [(f.rule_id, list(f.cells)) for f in found.findings] == [
        ("C4", ["review_and_litigation"])
    ]
    assert found.findings[0].message_zh.endswith("（单元格 四!A1）")


def test_metadata_read(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    _zeros(path, 2021)
    _set(path, "基本信息!B5", "2023年1月17日")
    _set(path, "基本信息!B6", "2022年1月1日至12月31日")
    report, layout = workbook.read(path.read_bytes())
    meta = report.metadata
    assert (meta.agency, meta.report_year, meta.publication_date, meta.template_version) == (
        "某市某局",
        2023,
        "2023-01-17",
        pb.TEMPLATE_VERSION_2021,
    )
    found = validate(report, filed_year=2023)
    workbook.name_cells(found, layout)
    assert [(f.rule_id, list(f.cells), f.message_en) for f in found.findings] == [
        (
            "R9",
            ["metadata.statistics_period"],
            "The statistics period (2022年1月1日至12月31日) is not the report's year 2023 "
            "(cells 基本信息!B6)",
        ),
        (
            "R9",
            ["metadata.publication_date"],
            "Published on 2023-01-17, before the year 2023 it reports on had ended "
            "(cells 基本信息!B5)",
        ),
    ]


# ---------------------------------------------------------------- the command line


def test_cli_template_then_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    form = str(tmp_path / "form.xlsx")
    assert cli.main(["template", "--xlsx", form, "--version", "2019"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{form}: the tables of the 2019 template (二, 三, 四) to fill in")
    assert load_workbook(form)["基本信息"]["B2"].value == "国办公开办函〔2019〕60号"
    # Nothing filled in: three tables not given, errors.
    assert cli.main(["validate", form]) == 1
    out = capsys.readouterr().out
    assert out.count("[error] C4") == 3

    _zeros(tmp_path / "form.xlsx", 2019, year=2020)
    assert cli.main(["validate", form, "--filed-year", "2021"]) == 1  # R9: on 2020, filed 2021
    assert "[error] R9" in capsys.readouterr().out
    assert cli.main(["validate", form, "--filed-year", "2020"]) == 0
    assert "0 error(s)" in capsys.readouterr().out

    _set(tmp_path / "form.xlsx", "四!E5", 2)
    assert cli.main(["validate", form, "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert "(cells 四!A5:E5)" in out


def test_cli_unreadable_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    assert cli.main(["validate", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"govreport: {junk}: CORRUPT_DOCUMENT: not an .xlsx workbook (")

    other = tmp_path / "other.xlsx"
    Workbook().save(other)
    assert cli.main(["validate", str(other)]) == 2
    assert capsys.readouterr().err == (
        f"govreport: {other}: INVALID_REPORT: not a govreport form: no sheet 基本信息 "
        "(write one with govreport template --xlsx FILE)\n"
    )

    form = tmp_path / "form.xlsx"
    workbook.write(form, template(2021))
    _set(form, "三!C9", "1.国家秘密")
    assert cli.main(["validate", str(form)]) == 2
    assert capsys.readouterr().err == (
        f"govreport: {form}: INVALID_REPORT: 三!C9 should say '1.属于国家秘密', it says "
        "'1.国家秘密': the form's rows or columns were changed; fill in a fresh one "
        "(govreport template --xlsx)\n"
    )

    missing = tmp_path / "none.xlsx"
    assert cli.main(["validate", str(missing)]) == 2
    assert capsys.readouterr().err == f"govreport: {missing}: NOT_FOUND: no such file\n"


def test_cli_template_from_report(
    gold_reports: dict[str, pb.AnnualReport], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stem = next(s for s, r in gold_reports.items() if report_version(r) == 2019)
    gold = gold_reports[stem]
    source = tmp_path / "report.json"
    source.write_text(json_format.MessageToJson(gold), "utf-8")
    form = str(tmp_path / "form.xlsx")
    assert cli.main(["template", "--xlsx", form, "--version", "2021", "--from", str(source)]) == 2
    assert capsys.readouterr().err == (
        f"govreport: {source}: INVALID_ARGUMENT: the report follows the 2019 template, "
        "not the 2021 one\n"
    )
    assert cli.main(["template", "--from", str(source)]) == 2
    assert capsys.readouterr().err == "govreport: template: INVALID_ARGUMENT: --from needs --xlsx\n"
    assert cli.main(["template", "--xlsx", form, "--server", "127.0.0.1:1"]) == 2
    assert capsys.readouterr().err == (
        f"govreport: {form}: INVALID_ARGUMENT: --xlsx writes the template as govreport has it "
        "here; --server is not used\n"
    )
    assert cli.main(["template", "--xlsx", form, "--from", str(source)]) == 0
    capsys.readouterr()
    code = cli.main(["validate", str(source)])
    from_json = capsys.readouterr().out
    assert cli.main(["validate", form]) == code
    from_form = capsys.readouterr().out
    assert from_form.splitlines()[0] == from_json.splitlines()[0]


@pytest.fixture
def validating_server() -> Iterator[str]:
    """A server in this process whose Validate is the real one (extraction is not used)."""
    runner = ThreadRunner(FakeBackend().convert, size=1, queue_limit=4)
    with in_thread(Settings(port=0), runner=runner) as running:
        yield f"127.0.0.1:{running.port}"


def test_cli_validate_workbook_on_server(
    validating_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = tmp_path / "form.xlsx"
    _zeros(form, 2021)
    _set(form, "三!J5", 5)
    assert cli.main(["validate", str(form)]) == 1
    local = capsys.readouterr().out
    assert cli.main(["validate", str(form), "--server", validating_server]) == 1
    remote = capsys.readouterr().out
    assert remote == local
    assert "（单元格 三!D5:J5）" in remote
