"""``govreport extract DIR --out results.{csv,jsonl,xlsx}``: a folder of mixed documents, in parallel,
a broken file among them, every cell checked against the gold; and rule R7 across years."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fixtures import LAYOUTS, Gold, filename, load_gold, stems
from fixtures.pdf import draw
from goldcheck import compare_notations, csv_notation
from openpyxl import load_workbook

from govreport import cli
from govreport.export import cell_columns, number

BROKEN = "zz-broken.pdf"  # a PDF cut short: CORRUPT_DOCUMENT


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Gold]]:
    """50 documents: 48 HTML and DOCX renderings of the golds, 2 drawn PDFs, and a broken PDF."""
    root = tmp_path_factory.mktemp("reports")
    golds: dict[str, Gold] = {}
    cases = [(stem, layout) for layout in LAYOUTS for stem in stems()][:47]
    for stem, layout in cases:
        content, gold = LAYOUTS[layout](load_gold(stem))
        name = f"{layout}/{filename(stem, layout)}"
        (root / layout).mkdir(exist_ok=True)
        (root / name).write_bytes(content)
        golds[str(root / name)] = gold
    for stem in ("synthetic_2021", "000_920faedf84c991f1"):
        content, gold = draw(stem, "pdf_ruled")
        (root / f"{stem}.pdf").write_bytes(content)
        golds[str(root / f"{stem}.pdf")] = gold
    (root / BROKEN).write_bytes(content[: len(content) // 3])
    (root / "notes.odt").write_text("not a report, and not a document type: left alone")
    return root, golds


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def check_cells(
    cells: list[dict[str, Any]], golds: dict[str, Gold], *, typed: bool = False
) -> None:
    """``typed``: JSON Lines cells, whose value is a number or null ("+48" is 48)."""
    by_file: dict[str, dict[tuple[str, str, str], str]] = {}
    for row in cells:
        key = (row["section"], row["row"], row["column"])
        value = ("" if row["value"] is None else str(row["value"])) if typed else row["value"]
        by_file.setdefault(row["file"], {})[key] = csv_notation(value, row["status"])
    assert set(by_file) == set(golds)
    for path, gold in golds.items():
        expected = [c._asdict() for c in gold.cells]
        if typed:
            expected = [{**c, "expected": _as_number(c["expected"])} for c in expected]
        mismatches = compare_notations(by_file[path], expected)
        assert mismatches == [], f"{path}:\n" + "\n".join(mismatches)


def _as_number(notation: str) -> str:
    found = number(notation)
    return notation if found is None else str(found)


def test_folder_to_csv_survives_a_broken_file(
    folder: tuple[Path, dict[str, Gold]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, golds = folder
    out = tmp_path / "results.csv"
    code = cli.main(["extract", str(root), "--out", str(out), "--workers", "2", "--progress"])
    err = capsys.readouterr().err
    assert code == 2  # one document failed
    assert "51/51" not in err and "50/50" in err  # the bar counted every document
    assert f"{root / BROKEN}: CORRUPT_DOCUMENT: " in err
    reports = read_csv(out)
    assert [r["file"] for r in reports] == sorted(r["file"] for r in reports)  # input order
    assert len(reports) == 50
    failed = [r for r in reports if r["status"] == "error"]
    assert [(r["file"], r["reason"]) for r in failed] == [(str(root / BROKEN), "CORRUPT_DOCUMENT")]
    ok = {r["file"]: r for r in reports if r["status"] == "ok"}
    assert set(ok) == set(golds)
    for path, gold in golds.items():
        assert ok[path]["agency"] == gold.meta["agency"]
        assert ok[path]["report_year"] == str(gold.meta["report_year"])
    # Wide row and long cells agree, and the long cells are the gold.
    check_cells(read_csv(out.with_name("results.cells.csv")), golds)
    header = list(reports[0])
    assert header[-len(cell_columns()) :] == [h for h, _ in cell_columns()]
    new_total = ("三", "一、本年新收政府信息公开申请数量", "总计")
    synthetic = ok[str(root / "synthetic_2021.pdf")]
    assert synthetic[" | ".join(new_total)] == golds[str(root / "synthetic_2021.pdf")].expected(
        *new_total
    )
    findings = read_csv(out.with_name("results.findings.csv"))
    assert {f["file"] for f in findings} <= set(golds)
    assert int(ok[next(iter(golds))]["warnings"]) == sum(
        1 for f in findings if f["file"] == next(iter(golds)) and f["severity"] == "warning"
    )


def test_folder_to_xlsx_and_jsonl(folder: tuple[Path, dict[str, Gold]], tmp_path: Path) -> None:
    root, golds = folder
    book_path = tmp_path / "results.xlsx"
    assert cli.main(["extract", str(root), "--out", str(book_path), "--no-progress"]) == 2
    book = load_workbook(book_path, read_only=True)
    assert book.sheetnames == ["reports", "2021 template", "2019 template", "cells", "findings"]
    rows = list(book["reports"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 50
    synthetic = next(r for r in body if str(r[0]).endswith("synthetic_2021.pdf"))
    assert synthetic[header.index("phone")] == "0451-12345678"  # metadata stays text
    rows = list(book["2021 template"].iter_rows(values_only=True))  # the cells, by version
    header, body = rows[0], rows[1:]
    total = header.index("三 | 一、本年新收政府信息公开申请数量 | 总计")
    synthetic = next(r for r in body if str(r[0]).endswith("synthetic_2021.pdf"))
    expected = golds[str(root / "synthetic_2021.pdf")].expected(
        "三", "一、本年新收政府信息公开申请数量", "总计"
    )
    assert synthetic[total] == int(expected or "x")  # a number, so a spreadsheet can sum it

    jsonl = tmp_path / "results.jsonl"
    assert cli.main(["extract", str(root), "--out", str(jsonl), "--no-progress"]) == 2
    lines = [json.loads(line) for line in jsonl.read_text("utf-8").splitlines()]
    assert len(lines) == 50 and sum(1 for r in lines if r["status"] == "error") == 1
    cells = [
        json.loads(line)
        for line in (tmp_path / "results.cells.jsonl").read_text("utf-8").splitlines()
    ]
    check_cells(cells, golds, typed=True)


def test_consecutive_years_of_one_agency_are_checked_across(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 2022 report carries 3 applications over to 2023; the 2023 report says 1 came: R7."""
    this_year = load_gold("synthetic_2021")  # 示例市卫生健康局, 2023
    carried = "四、结转下年度继续办理"
    last_meta = {
        **this_year.meta,
        "report_year": 2022,
        "title": "示例市卫生健康局2022年政府信息公开工作年度报告",
        "publication_date": "2023-01-16",
        "statistics_period": "2022年1月1日至12月31日",
    }
    last_year = replace(this_year, meta=last_meta).with_expected(
        {("三", carried, "自然人"): "3", ("三", carried, "总计"): "3"}
    )
    render = LAYOUTS["html_merged"]
    (tmp_path / "2023.html").write_bytes(render(this_year)[0])
    (tmp_path / "2022.html").write_bytes(render(last_year)[0])
    out = tmp_path / "out" / "r.csv"
    assert cli.main(["extract", str(tmp_path), "--out", str(out), "--no-progress"]) == 1
    assert "1 year-to-year pairs checked" in capsys.readouterr().err
    reports = {Path(r["file"]).name: r for r in read_csv(out)}
    # R7 in the two columns changed; R7a: the synthetic 现行有效件数 do not carry over either.
    assert reports["2023.html"]["cross_year_findings"] == "R7 R7 R7a"
    assert reports["2022.html"]["cross_year_findings"] == ""
    r7 = [f for f in read_csv(out.with_name("r.findings.csv")) if f["rule"] == "R7"]
    assert [(Path(f["file"]).name, f["expected"], f["found"]) for f in r7] == [
        ("2023.html", "3", "1"),
        ("2023.html", "3", "1"),
    ]
    assert {f["cells"].split()[0] for f in r7} == {
        "application_handling.carried_over_from_previous_year.natural_persons",
        "application_handling.carried_over_from_previous_year.total",
    }


def test_out_with_an_unknown_suffix_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).parents[1] / "server/govreport/samples"
    assert cli.main(["extract", str(sample), "--out", str(tmp_path / "r.ods")]) == 2
    assert "INVALID_ARGUMENT: --out must end in .csv, .jsonl, .xlsx" in capsys.readouterr().err


def test_folder_through_the_server_batch_stream(
    folder: tuple[Path, dict[str, Gold]], server_address: str, tmp_path: Path
) -> None:
    """--server: the documents go over ExtractBatch; same rows, same cells, same error row."""
    root, golds = folder
    out = tmp_path / "remote.csv"
    args = ["extract", str(root), "--out", str(out), "--server", server_address, "--no-progress"]
    assert cli.main(args) == 2
    reports = read_csv(out)
    assert [(r["file"], r["reason"]) for r in reports if r["status"] == "error"] == [
        (str(root / BROKEN), "CORRUPT_DOCUMENT")
    ]
    check_cells(read_csv(out.with_name("remote.cells.csv")), golds)
