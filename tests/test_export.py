"""``extract --out`` files that open cleanly: the workbook's sheets (one per template version,
numbers as numbers, prose beside them), typed JSON Lines, CSV as text, ``to_dataframe`` and
Parquet; the seeds' cells checked against the gold."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from goldcheck import load_gold_meta, load_gold_rows
from openpyxl import load_workbook

import govreport
from govreport import cli, export
from govreport.batch import Outcome
from govreport.errors import GovreportError, Reason
from govreport.export import FINDING_FIELDS, REPORT_FIELDS, Kind, cell_columns
from govreport.paths import ensure_cell
from govreport.templates import template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2, validation_pb2

SAMPLES = Path(__file__).parents[1] / "server/govreport/samples"
STEMS = sorted(p.stem for p in SAMPLES.glob("*.txt"))
BROKEN = "samples/zz-broken.pdf"
PATH = {header: path for header, path in cell_columns()}
HEADER = {path: header for header, path in cell_columns()}
PROSE = "二 | 第二十条第（六）项 / 行政处罚 | 本年处理决定数量"  # 001 writes prose there
CHANGE = "二 | 第二十条第（五）项 / 行政许可 | 本年增/减"  # 003: "+48"
# Cells of 000 edited below into what the seeds do not have: "/", an amount, a figure in prose.
NA = "三 | 一、本年新收政府信息公开申请数量 | 法人或其他组织 / 科研机构"
AMOUNT = "二 | 第二十条第（八）项 / 行政事业性收费 | 本年收费金额（单位：万元）"
NOTED = "三 | 二、上年结转政府信息公开申请数量 | 自然人"
# (warnings) of each seed, as README's "Validation findings on the seeds" lists them; no errors.
WARNINGS = {"000": 1, "001": 2, "002": 1, "003": 0, "004": 1}

# The findings table's columns, as every output writes them (CSV, XLSX, Parquet).
FINDINGS_HEADER = [
    "file",
    "rule",
    "severity",
    "cells",
    "suspect_cells",
    "expected",
    "expected_text",
    "found",
    "found_text",
    "message_zh",
    "message_en",
]


def _edited(extraction: service_pb2.Extraction) -> service_pb2.Extraction:
    out = service_pb2.Extraction()
    out.CopyFrom(extraction)
    na = ensure_cell(out.report, PATH[NA])
    na.Clear()
    na.state, na.raw_text = pb.CELL_STATE_NOT_APPLICABLE, "/"
    amount = ensure_cell(out.report, PATH[AMOUNT])
    amount.Clear()
    amount.state, amount.amount, amount.raw_text = pb.CELL_STATE_NUMBER, "32248.5", "32248.5"
    noted = ensure_cell(out.report, PATH[NOTED])
    noted.Clear()
    noted.state, noted.count, noted.raw_text = pb.CELL_STATE_TEXT, 22, "22（含转办3件）"
    return out


@pytest.fixture(scope="module")
def extractions() -> dict[str, service_pb2.Extraction]:
    return {stem[:3]: govreport.extract(SAMPLES / f"{stem}.txt") for stem in STEMS}


@pytest.fixture(scope="module")
def outcomes(extractions: dict[str, service_pb2.Extraction]) -> list[Outcome]:
    """The five seeds (000 edited, with a cross-year finding in figures), and a failed file;
    given out of order, as a batch gives them."""
    out = [Outcome(i, f"samples/{stem}.txt", extractions[stem[:3]]) for i, stem in enumerate(STEMS)]
    out[0].extraction = _edited(extractions["000"])
    out[0].cross_year = [
        validation_pb2.Finding(
            rule_id="R7",
            severity=validation_pb2.SEVERITY_ERROR,
            cells=[PATH["三 | 二、上年结转政府信息公开申请数量 | 总计"]],
            expected="3",
            found="1",
            message_zh="上年结转",
            message_en="carried over",
        )
    ]
    error = GovreportError(Reason.CORRUPT_DOCUMENT, "the PDF ends early")
    return [Outcome(len(STEMS), BROKEN, error=error), *reversed(out)]


# ---------------------------------------------------------------- XLSX


def _sheet_rows(sheet: Any) -> tuple[list[Any], list[list[Any]]]:
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def test_xlsx_sheets_types_and_layout(outcomes: list[Outcome], tmp_path: Path) -> None:
    out = tmp_path / "results.xlsx"
    assert export.write(outcomes, out) == [out]
    book = load_workbook(out)
    assert book.sheetnames == ["reports", "2021 template", "2019 template", "cells", "findings"]

    reports = book["reports"]
    header, body = _sheet_rows(reports)
    assert header == list(REPORT_FIELDS)
    assert [r[0] for r in body] == [f"samples/{s}.txt" for s in STEMS] + [BROKEN]  # input order
    by_stem = {str(r[0])[8:11]: dict(zip(header, r, strict=True)) for r in body}
    for stem in STEMS:
        row, meta = by_stem[stem[:3]], load_gold_meta(stem)
        assert (row["status"], row["reason"], row["agency"]) == ("ok", None, meta["agency"])
        assert row["report_year"] == meta["report_year"]  # numbers, not text
        assert row["template_version"] == meta["template_version"]
        assert row["phone"] == (meta["contact"]["phone"] or None)  # text, when there is one
        assert row["errors"] == (1 if stem.startswith("000") else 0)  # the cross-year R7
        assert row["warnings"] == WARNINGS[stem[:3]]
    assert by_stem["000"]["cross_year_findings"] == "R7"
    assert body[-1][:4] == [BROKEN, "error", "CORRUPT_DOCUMENT", "the PDF ends early"]
    assert body[-1][4:] == [None] * (len(REPORT_FIELDS) - 4)
    assert reports.freeze_panes == "B2"
    assert reports.auto_filter.ref == "A1:S7"
    assert all(cell.font.b for cell in reports[1])
    assert all(cell.alignment.wrap_text for cell in reports[1])
    widths = {c: reports.column_dimensions[c].width for c in "ABHIJS"}
    # Content plus 2: file (32 characters), status (its header), title (over 48: capped), agency
    # (9 CJK characters, 绥芬河市卫生健康局), report_year and cross_year_findings (their headers).
    assert widths == {"A": 34, "B": 8, "H": 48, "I": 20, "J": 13, "S": 21}

    for version, stems in (("2021", ["000", "001", "002", "004"]), ("2019", ["003"])):
        sheet = book[f"{version} template"]
        header, body = _sheet_rows(sheet)
        cells = [HEADER[r.cell_path(c)] for _, r, c in template(int(version)).cells()]
        assert header[:4] == ["file", "agency", "report_year", "raw"]
        assert header[4:] == cells and len(cells) == {"2021": 228, "2019": 219}[version]
        assert [str(r[0])[8:11] for r in body] == stems
        assert sheet.freeze_panes == "D2"  # file, agency, report_year
        assert (
            sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{len(body) + 1}"
        )
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.column_dimensions["E"].width == 16  # a figure's column: its header wraps
        for row in body:
            values = dict(zip(header, row, strict=True))
            stem = next(s for s in STEMS if s.startswith(str(row[0])[8:11]))
            for gold in load_gold_rows(stem):
                name = f"{gold['section']} | {gold['row']} | {gold['column']}"
                if stem.startswith("000") and name in (NA, AMOUNT, NOTED):
                    continue
                assert values[name] == export.number(gold["expected"]), (stem, name)
            for name in cells:  # numeric columns hold numbers only
                assert values[name] is None or type(values[name]) in (int, float), name

    body_2021 = {str(r[0])[8:11]: r for r in _sheet_rows(book["2021 template"])[1]}
    header_2021 = _sheet_rows(book["2021 template"])[0]
    edited = dict(zip(header_2021, body_2021["000"], strict=True))
    assert (edited[NA], edited[AMOUNT], edited[NOTED]) == (None, 32248.5, 22)
    assert edited["raw"] == f"{NA}: /\n{NOTED}: 22（含转办3件）"
    prose = dict(zip(header_2021, body_2021["001"], strict=True))
    assert prose[PROSE] is None
    assert str(prose["raw"]).startswith(f"{PROSE}: 一般程序案件29起")
    assert "\n" not in str(prose["raw"])
    assert dict(zip(header_2021, body_2021["002"], strict=True))["raw"] is None
    header_2019, body_2019 = _sheet_rows(book["2019 template"])
    assert dict(zip(header_2019, body_2019[0], strict=True))[CHANGE] == 48

    cells_sheet = book["cells"]
    header, body = _sheet_rows(cells_sheet)
    assert header == [
        "file",
        "section",
        "row",
        "column",
        "value",
        "raw",
        "page",
        "confidence",
        "status",
    ]
    assert len(body) == 200 + 200 + 200 + 198 + 200
    first = dict(zip(header, body[0], strict=True))
    assert first["value"] == 0 and type(first["value"]) is int
    assert first["confidence"] == 1  # a number (a whole one comes back from the file as int)
    assert cells_sheet.cell(2, 8).number_format == "0.00"
    assert (
        cells_sheet.freeze_panes == "B2" and cells_sheet.auto_filter.ref == f"A1:I{len(body) + 1}"
    )
    for row in body:
        values = dict(zip(header, row, strict=True))
        assert values["value"] is None or type(values["value"]) in (int, float)
        assert values["page"] is None or type(values["page"]) is int

    findings = book["findings"]
    header, body = _sheet_rows(findings)
    assert header == FINDINGS_HEADER
    rows = [dict(zip(header, r, strict=True)) for r in body]
    assert [(r["file"][8:11], r["rule"]) for r in rows] == [
        ("000", "C3"),
        ("000", "R7"),
        ("001", "R6a"),
        ("001", "C3"),
        ("002", "R6a"),
        ("004", "C3"),
    ]
    r7 = rows[1]
    assert (r7["expected"], r7["expected_text"], r7["found"], r7["found_text"]) == (
        3,
        None,
        1,
        None,
    )
    r6a = rows[2]
    assert (r6a["expected"], r6a["expected_text"], r6a["found"]) == (None, "a number", None)
    assert str(r6a["found_text"]).startswith("一般程序案件29起")
    assert findings.freeze_panes == "B2" and findings.auto_filter.ref == "A1:K7"
    assert findings.column_dimensions["F"].width == 10  # "expected": its header


def test_xlsx_of_a_run_with_no_reports_has_every_sheet(tmp_path: Path) -> None:
    out = tmp_path / "empty.xlsx"
    export.write([Outcome(0, BROKEN, error=GovreportError(Reason.CORRUPT_DOCUMENT, "x"))], out)
    book = load_workbook(out)
    assert [(s.title, s.max_row, s.auto_filter.ref) for s in book] == [
        ("reports", 2, "A1:S2"),
        ("2021 template", 1, f"A1:{book['2021 template'].cell(1, 232).column_letter}1"),
        ("2019 template", 1, f"A1:{book['2019 template'].cell(1, 223).column_letter}1"),
        ("cells", 1, "A1:I1"),
        ("findings", 1, "A1:K1"),
    ]


# ---------------------------------------------------------------- JSON Lines and CSV


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_jsonl_numbers_are_numbers(outcomes: list[Outcome], tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    assert export.write(outcomes, out) == [
        out,
        tmp_path / "results.cells.jsonl",
        tmp_path / "results.findings.jsonl",
    ]
    reports = {r["file"][8:11]: r for r in _jsonl(out)}
    first = reports["000"]
    assert list(first) == [*REPORT_FIELDS, *(h for h, _ in cell_columns())]
    assert (first["report_year"], first["errors"], first["warnings"]) == (2023, 1, 1)
    assert (first["template_version"], first["reason"], first["pages"]) == (2021, None, None)
    assert first["phone"] is None and reports["002"]["phone"] == "0577-62522339"
    assert (first[NA], first[AMOUNT], first[NOTED]) == ("/", 32248.5, 22)
    assert first[CHANGE] is None  # a 2019 cell, not in a 2021 report
    assert reports["003"][CHANGE] == 48
    assert reports["001"][PROSE].startswith("一般程序案件29起")
    assert reports["zz-"]["status"] == "error" and reports["zz-"]["report_year"] is None
    cells = _jsonl(tmp_path / "results.cells.jsonl")
    assert cells[0] == {
        "file": "samples/000_920faedf84c991f1.txt",
        "section": "二",
        "row": "第二十条第（一）项 / 规章",
        "column": "本年制发件数",
        "value": 0,
        "raw": "0",
        "page": None,
        "confidence": 1.0,
        "status": "number",
    }
    change = next(
        c
        for c in cells
        if c["file"].endswith("003_0664ff578f774794.txt")
        and c["column"] == "本年增/减"
        and c["row"].endswith("行政许可")
    )
    assert (change["value"], change["raw"]) == (48, "+48")
    findings = _jsonl(tmp_path / "results.findings.jsonl")
    assert list(findings[0]) == list(FINDING_FIELDS)
    assert [(f["rule"], f["expected"], f["found"]) for f in findings[:2]] == [
        ("C3", "a statement on 信息处理费", findings[0]["found"]),
        ("R7", 3, 1),
    ]
    assert findings[2]["expected"] == "a number" and findings[4]["found"] is None  # 002: missing


def test_csv_stays_text(outcomes: list[Outcome], tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    export.write(outcomes, out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reports = {r["file"][8:11]: r for r in csv.DictReader(handle)}
    assert (reports["003"][CHANGE], reports["003"]["report_year"]) == ("+48", "2020")
    assert (reports["000"][NA], reports["000"][AMOUNT], reports["000"][NOTED]) == (
        "/",
        "32248.5",
        "22",
    )
    assert reports["zz-"]["reason"] == "CORRUPT_DOCUMENT" and reports["zz-"]["pages"] == ""


# ---------------------------------------------------------------- pandas


def test_to_dataframe_is_typed(
    outcomes: list[Outcome], extractions: dict[str, service_pb2.Extraction]
) -> None:
    frame = govreport.to_dataframe(outcomes)
    assert list(frame.columns) == [*REPORT_FIELDS, "raw", *(h for h, _ in cell_columns())]
    assert list(frame["file"]) == [f"samples/{s}.txt" for s in STEMS] + [BROKEN]
    assert str(frame["file"].dtype) == "string"
    for name in ("pages", "report_year", "template_version", "errors", "warnings", NA, CHANGE):
        assert str(frame[name].dtype) == "Int64", name
    assert str(frame[AMOUNT].dtype) == "Float64"
    assert frame["report_year"].tolist()[:5] == [load_gold_meta(s)["report_year"] for s in STEMS]
    assert frame["report_year"].isna().tolist() == [False] * 5 + [True]
    assert frame["warnings"].sum() == sum(WARNINGS.values())
    assert frame.loc[0, AMOUNT] == 32248.5 and frame.loc[0, NOTED] == 22
    assert pd.isna(frame.loc[0, NA]) and pd.isna(frame.loc[1, PROSE])
    assert frame.loc[0, "raw"] == f"{NA}: /\n{NOTED}: 22（含转办3件）"
    assert frame.loc[3, CHANGE] == 48 and pd.isna(frame.loc[0, CHANGE])
    assert frame.loc[5, "reason"] == "CORRUPT_DOCUMENT" and pd.isna(frame.loc[0, "reason"])
    # Every seed's cells, as the gold has them.
    for i, stem in enumerate(STEMS):
        for gold in load_gold_rows(stem):
            name = f"{gold['section']} | {gold['row']} | {gold['column']}"
            if i == 0 and name in (NA, AMOUNT, NOTED):
                continue
            got = frame.loc[i, name]
            expected = export.number(gold["expected"])
            assert (None if pd.isna(got) else got) == expected, (stem, name)

    # Extraction messages: their file names, in the order given.
    by_messages = govreport.to_dataframe([extractions["004"], extractions["002"]])
    assert by_messages["file"].tolist() == [f"{STEMS[4]}.txt", f"{STEMS[2]}.txt"]
    assert by_messages["agency"].tolist() == [
        load_gold_meta(STEMS[4])["agency"],
        load_gold_meta(STEMS[2])["agency"],
    ]
    with pytest.raises(TypeError, match="an Outcome or an Extraction, not str"):
        govreport.to_dataframe(["report.pdf"])  # type: ignore[list-item]


def test_to_dataframe_of_nothing_keeps_its_columns() -> None:
    frame = govreport.to_dataframe([])
    assert frame.shape == (0, len(REPORT_FIELDS) + 1 + len(cell_columns()))
    assert str(frame["errors"].dtype) == "Int64"


def test_parquet_through_the_cli(
    extractions: dict[str, service_pb2.Extraction],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "results.parquet"
    args = ["extract", str(SAMPLES), "--out", str(out), "--workers", "1", "--no-progress"]
    assert cli.main(args) == 0
    assert f"wrote {out}, {tmp_path / 'results.cells.parquet'}, " in capsys.readouterr().err
    frame = pd.read_parquet(out)
    in_process = [
        Outcome(i, str(SAMPLES / f"{stem}.txt"), extractions[stem[:3]])
        for i, stem in enumerate(STEMS)
    ]
    pd.testing.assert_frame_equal(frame, govreport.to_dataframe(in_process))  # dtypes too
    assert frame["report_year"].tolist() == [load_gold_meta(s)["report_year"] for s in STEMS]
    assert str(frame["report_year"].dtype) == "Int64"
    cells = pd.read_parquet(tmp_path / "results.cells.parquet")
    assert len(cells) == 998 and str(cells["value"].dtype) == "Float64"
    assert str(cells["page"].dtype) == "Int64" and str(cells["confidence"].dtype) == "Float64"
    findings = pd.read_parquet(tmp_path / "results.findings.parquet")
    assert list(findings.columns) == FINDINGS_HEADER
    assert findings["rule"].tolist() == ["C3", "R6a", "C3", "R6a", "C3"]


def test_without_pandas_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'govreport\[pandas\]'"):
        govreport.to_dataframe([])
    out = tmp_path / "results.parquet"
    assert cli.main(["extract", str(SAMPLES), "--out", str(out), "--no-progress"]) == 2
    assert capsys.readouterr().err == (
        "govreport: extract: INVALID_ARGUMENT: Parquet output needs pandas and pyarrow: "
        "pip install 'govreport[pandas]'\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_importing_govreport_does_not_import_pandas() -> None:
    code = (
        "import sys, govreport, govreport.export, govreport.dataframe;"
        "assert callable(govreport.to_dataframe);"
        "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def test_every_typed_column_has_a_kind() -> None:
    """The typed tables' numeric columns, by name (what a spreadsheet sums)."""
    tables = export.typed_tables([], by_version=False)
    numeric = {
        t.name: [c.name for c in t.columns if c.kind is not Kind.TEXT and " | " not in c.name]
        for t in tables
    }
    assert numeric == {
        "reports": ["pages", "report_year", "template_version", "errors", "warnings"],
        "cells": ["value", "page", "confidence"],
        "findings": ["expected", "found"],
    }
