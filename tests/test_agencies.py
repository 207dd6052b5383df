"""Pairing reports of one agency across years: names as agencies write them, an agency map,
the reports left without a partner, and the folder summary that says so."""

from __future__ import annotations

from pathlib import Path

import pytest

import govreport
from govreport import batch, cli
from govreport.agencies import agency_key, read_map
from govreport.errors import GovreportError
from govreport.v1 import report_pb2, service_pb2, validation_pb2

SEED = next((Path(__file__).parents[1] / "server/govreport/samples").glob("000_*.txt"))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("洪泽区人民政府", "淮安市洪泽区人民政府"),
        ("洪泽区人民政府", "江苏省淮安市洪泽区人民政府"),
        ("洪泽区人民政府", "洪泽区政府"),
        ("平潭县人民政府", "福建省平潭县人民政府"),
        ("洪泽区市场监督管理局", "淮安市洪泽区市场监督管理局"),
        ("呼和浩特市人民政府", "内蒙古自治区呼和浩特市人民政府"),
    ],
)
def test_one_agency_written_two_ways_has_one_key(one: str, other: str) -> None:
    assert agency_key(one) == agency_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("淮安市人民政府", "淮安市洪泽区人民政府"),  # the city is not its district
        ("洪泽区人民政府", "洪泽区人民政府办公室"),  # the government is not its office
        ("淮安市市场监督管理局", "淮安市洪泽区市场监督管理局"),
        ("北京市人民政府", "人民政府"),
    ],
)
def test_different_agencies_keep_different_keys(one: str, other: str) -> None:
    assert agency_key(one) != agency_key(other)


def _outcome(index: int, agency: str, year: int) -> batch.Outcome:
    report = report_pb2.AnnualReport()
    report.metadata.agency = agency
    report.metadata.report_year = year
    return batch.Outcome(index, f"{year}-{index}.pdf", service_pb2.Extraction(report=report))


def test_consecutive_years_pair_across_name_variants_and_the_rest_are_listed() -> None:
    outcomes = [
        _outcome(0, "洪泽区人民政府", 2022),
        _outcome(1, "淮安市洪泽区人民政府", 2023),
        _outcome(2, "平潭县人民政府", 2023),
        _outcome(3, "平潭综合实验区管委会", 2022),
    ]
    seen: list[tuple[int, int]] = []

    def validate(
        report: report_pb2.AnnualReport, previous: report_pb2.AnnualReport
    ) -> validation_pb2.ValidationReport:
        seen.append((report.metadata.report_year, previous.metadata.report_year))
        return validation_pb2.ValidationReport()

    found = batch.check_across_years(outcomes, validate)
    assert (found.pairs, seen) == (1, [(2023, 2022)])
    assert sorted(o.index for o in found.unpaired) == [2, 3]
    aliases = read_map_text("平潭综合实验区管委会\t平潭县人民政府\n")
    found = batch.check_across_years(outcomes, validate, aliases)
    assert found.pairs == 2 and found.unpaired == []


def read_map_text(text: str, tmp: Path | None = None) -> dict[str, str]:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
        f.write(text)
    try:
        return read_map(f.name)
    finally:
        Path(f.name).unlink()


def test_an_agency_map_takes_tabs_or_equals_and_comments_and_names_a_bad_line() -> None:
    aliases = read_map_text("# names\n甲局 = 乙局\n丙局\t丁局  # after a tab\n\n")
    assert aliases == {"甲局": "乙局", "丙局": "丁局"}
    with pytest.raises(GovreportError) as caught:
        read_map_text("甲局 乙局\n")
    assert caught.value.reason == "INVALID_ARGUMENT" and "line 1" in caught.value.message


def test_folder_summary_lists_skips_unpaired_reports_and_error_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.txt").write_bytes(SEED.read_bytes())
    (folder / "b.md").write_bytes(SEED.read_bytes())  # Markdown is read as text
    (folder / "c.ofd").write_bytes(b"OFD")
    (folder / "d.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "e.ofd").write_bytes(b"OFD")
    code = cli.main(["extract", str(folder), "--out", str(tmp_path / "out.csv"), "--workers", "1"])
    err = capsys.readouterr().err
    assert "skipped files that are no document format govreport reads: .ofd ×2, .xls ×1" in err
    seed = govreport.extract(SEED).validation
    errors = 2 if seed.error_count else 0  # the same report twice
    assert f"2 documents, 0 failed, {errors} with error findings, 0 year-to-year pairs" in err
    assert code == (1 if errors else 0)
