"""Results of a run over many documents as files: CSV, JSON Lines or an XLSX workbook.

Three tables, in every format:

- ``reports``: one row per input, in input order: the file, ``ok`` or
  ``error`` with its reason, the metadata, the count of findings by
  severity, then every table cell of both templates (2021's in its order,
  then the cells only 2019 has), headed ``二 | row | column``;
- ``cells``: one row per extracted cell (the CLI's ``cells`` format with a
  ``file`` column);
- ``findings``: one row per finding, cross-year ones (R7) included.

CSV and JSON Lines write ``NAME.csv`` (the reports) with ``NAME.cells.csv``
and ``NAME.findings.csv`` beside it; XLSX writes one workbook with three
sheets.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from govreport.batch import Outcome
from govreport.paths import get_cell, value_text
from govreport.render import CELLS_HEADER, FORMAT_NAMES, SEVERITY_WORDS, cell_rows
from govreport.templates import TEMPLATES, template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2

FORMATS = (".csv", ".jsonl", ".xlsx")
_VERSIONS = {pb.TEMPLATE_VERSION_2019: "2019", pb.TEMPLATE_VERSION_2021: "2021"}
REPORT_FIELDS = (
    "file",
    "status",
    "reason",
    "message",
    "format",
    "pages",
    "unread_pages",
    "title",
    "agency",
    "report_year",
    "publication_date",
    "template_version",
    "phone",
    "address",
    "email",
    "website",
    "errors",
    "warnings",
    "cross_year_findings",
)
FINDING_FIELDS = (
    "file",
    "rule",
    "severity",
    "cells",
    "suspect_cells",
    "expected",
    "found",
    "message_zh",
    "message_en",
)


@cache
def cell_columns() -> tuple[tuple[str, str], ...]:
    """(header, field path) of every table cell of both templates, each path once."""
    out: dict[str, str] = {}
    for version in sorted(TEMPLATES, reverse=True):
        for section, row, column in template(version).cells():
            path = row.cell_path(column)
            out.setdefault(path, f"{section} | {row.label} | {column.label}")
    return tuple((header, path) for path, header in out.items())


def _cell_text(cell: pb.Cell | None) -> str:
    """A number as written; "/" for n/a; a text cell's words; "" for blank, missing or a cell
    the report's layout does not have."""
    if cell is None or cell.state in (
        pb.CELL_STATE_BLANK,
        pb.CELL_STATE_MISSING,
        pb.CELL_STATE_NOT_IN_LAYOUT,
    ):
        return ""
    if cell.state == pb.CELL_STATE_NOT_APPLICABLE:
        return "/"
    return value_text(cell) or cell.raw_text


def report_row(outcome: Outcome) -> dict[str, str]:
    row = dict.fromkeys(REPORT_FIELDS, "")
    row["file"] = outcome.path
    extraction = outcome.extraction
    if extraction is None:
        row.update(status="error", reason=outcome.reason, message=outcome.message)
        row.update({header: "" for header, _ in cell_columns()})
        return row
    meta, doc = extraction.report.metadata, extraction.document
    findings = [*extraction.validation.findings, *outcome.cross_year]
    row.update(
        status="ok",
        format=FORMAT_NAMES.get(doc.format, ""),
        pages=str(doc.page_count or ""),
        unread_pages=" ".join(str(p.page) for p in doc.unread_pages),
        title=meta.title,
        agency=meta.agency,
        report_year=str(meta.report_year or ""),
        publication_date=meta.publication_date,
        template_version=_VERSIONS.get(meta.template_version, ""),
        phone=meta.contact.phone,
        address=meta.contact.address,
        email=meta.contact.email,
        website=meta.contact.website,
        errors=str(sum(1 for f in findings if f.severity == validation_pb2.SEVERITY_ERROR)),
        warnings=str(sum(1 for f in findings if f.severity == validation_pb2.SEVERITY_WARNING)),
        cross_year_findings=" ".join(f.rule_id for f in outcome.cross_year),
    )
    for header, path in cell_columns():
        row[header] = _cell_text(get_cell(extraction.report, path))
    return row


def cells_rows(outcome: Outcome) -> Iterator[dict[str, str]]:
    if outcome.extraction is None:
        return
    for values in cell_rows(outcome.extraction):
        yield {"file": outcome.path, **dict(zip(CELLS_HEADER, values, strict=True))}


def finding_rows(outcome: Outcome) -> Iterator[dict[str, str]]:
    if outcome.extraction is None:
        return
    for f in [*outcome.extraction.validation.findings, *outcome.cross_year]:
        yield {
            "file": outcome.path,
            "rule": f.rule_id,
            "severity": SEVERITY_WORDS.get(f.severity, ""),
            "cells": " ".join(f.cells),
            "suspect_cells": " ".join(f.suspect_cells),
            "expected": f.expected,
            "found": f.found,
            "message_zh": f.message_zh,
            "message_en": f.message_en,
        }


def _tables(outcomes: Sequence[Outcome]) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    ordered = sorted(outcomes, key=lambda o: o.index)
    report_header = [*REPORT_FIELDS, *(header for header, _ in cell_columns())]
    return {
        "reports": (report_header, [report_row(o) for o in ordered]),
        "cells": (["file", *CELLS_HEADER], [r for o in ordered for r in cells_rows(o)]),
        "findings": (list(FINDING_FIELDS), [r for o in ordered for r in finding_rows(o)]),
    }


def companion(out: Path, table: str) -> Path:
    """Where a table goes: ``out`` itself for the reports, ``NAME.TABLE.EXT`` beside it."""
    return out if table == "reports" else out.with_name(f"{out.stem}.{table}{out.suffix}")


def write(outcomes: Sequence[Outcome], out: Path) -> list[Path]:
    """Writes the run's tables in the format ``out``'s suffix names; the files written."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out must end in {', '.join(FORMATS)}, not {out.name!r}")
    tables = _tables(outcomes)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        _write_xlsx(tables, out)
        return [out]
    written: list[Path] = []
    for name, (header, rows) in tables.items():
        path = companion(out, name)
        if suffix == ".csv":
            _write_csv(path, header, rows)
        else:
            _write_jsonl(path, rows)
        written.append(path)
    return written


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    # utf-8-sig: Excel, which most reviewers open these in, reads Chinese only with the BOM.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _write_jsonl(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_xlsx(tables: dict[str, tuple[list[str], list[dict[str, str]]]], out: Path) -> None:
    from openpyxl import Workbook  # only when a workbook is asked for

    book = Workbook(write_only=True)
    for name, (header, rows) in tables.items():
        sheet: Any = book.create_sheet(name)
        sheet.append(header)
        typed = [column in _NUMERIC_COLUMNS or " | " in column for column in header]
        for row in rows:
            sheet.append(
                [
                    _typed(row.get(column, "")) if numeric else row.get(column, "")
                    for column, numeric in zip(header, typed, strict=True)
                ]
            )
    book.save(out)


# Columns whose figures a spreadsheet should see as numbers (besides the cells, "二 | … | …").
_NUMERIC_COLUMNS = frozenset({"pages", "report_year", "errors", "warnings", "value", "page"})


def _typed(text: str) -> str | int | float:
    """Counts and amounts as numbers, so a spreadsheet can sum them; all else as text."""
    if text and (text.isdigit() or (text[0] in "+-" and text[1:].isdigit())):
        return int(text)
    try:
        return float(text) if text.count(".") == 1 and text.replace(".", "").isdigit() else text
    except ValueError:
        return text


__all__ = ["FORMATS", "cell_columns", "companion", "write"]
