"""Results of a run over many documents as files: CSV, JSON Lines, an XLSX workbook or Parquet.

Three tables, in every format:

- ``reports``: one row per input, in input order: the file, ``ok`` or
  ``error`` with its reason, the metadata, the count of findings by
  severity, then every table cell of both templates (2021's in its order,
  then the cells only 2019 has), headed ``二 | row | column``;
- ``cells``: one row per extracted cell (the CLI's ``cells`` format with a
  ``file`` column);
- ``findings``: one row per finding, cross-year ones (R7) included.

How each format types them:

- CSV (``NAME.csv``, ``NAME.cells.csv``, ``NAME.findings.csv``): text, as
  the CLI prints it ("+48", "/", "0.95");
- JSON Lines (``NAME.jsonl`` …): the same columns, a number as a JSON
  number, text as a string, an empty field as null;
- XLSX: one workbook. ``reports`` holds the metadata and counts of every
  input; the cells go to one sheet per template version (``2021 template``,
  ``2019 template``), each with that version's columns only; then ``cells``
  and ``findings``. Numeric columns hold numbers or nothing: a cell that is no
  plain number ("/", prose) is written, with its header, in the row's ``raw``
  column, and its own column holds only the figure read from it, if any; a
  finding's expected or found value that is no number goes to
  ``expected_text``/``found_text``. Every sheet has its header row (bold) and
  the columns naming a row frozen, an autofilter, and column widths from its
  content (a long header wraps);
- Parquet (``NAME.parquet`` …, needs ``govreport[pandas]``): the typed tables
  of the workbook, reports with the cell columns of both versions
  (``govreport.dataframe``).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from govreport.batch import Outcome
from govreport.paths import cell_value, get_cell, report_version, value_text
from govreport.render import (
    CELLS_HEADER,
    FORMAT_NAMES,
    SEVERITY_WORDS,
    cell_rows,
    display_width,
)
from govreport.templates import TEMPLATES, template
from govreport.templates.model import Kind as CellKind
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2, validation_pb2

FORMATS = (".csv", ".jsonl", ".xlsx")  # and ".parquet", by dataframe.write_parquet
_VERSIONS = {pb.TEMPLATE_VERSION_2019: "2019", pb.TEMPLATE_VERSION_2021: "2021"}

Scalar = str | int | float | None


class Kind(StrEnum):
    """What a column holds once typed (JSON Lines, XLSX, Parquet); CSV is all text."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"  # amounts, confidences, a finding's values: not always whole


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    # Typed tables: where this numeric column's text goes when it is no clean number, so
    # prose never sits in a numeric column.
    companion: str = ""
    number_format: str = ""  # XLSX


REPORT_COLUMNS = (
    Column("file"),
    Column("status"),
    Column("reason"),
    Column("message"),
    Column("format"),
    Column("pages", Kind.INT),
    Column("unread_pages"),
    Column("title"),
    Column("agency"),
    Column("report_year", Kind.INT),
    Column("publication_date"),
    Column("template_version", Kind.INT),
    Column("phone"),
    Column("address"),
    Column("email"),
    Column("website"),
    Column("errors", Kind.INT),
    Column("warnings", Kind.INT),
    Column("cross_year_findings"),
)
_CELL_KINDS = {
    "value": Column("value", Kind.FLOAT, companion="raw"),
    "page": Column("page", Kind.INT),
    "confidence": Column("confidence", Kind.FLOAT, number_format="0.00"),
}
CELLS_COLUMNS = (Column("file"), *(_CELL_KINDS.get(name, Column(name)) for name in CELLS_HEADER))
FINDING_COLUMNS = (
    Column("file"),
    Column("rule"),
    Column("severity"),
    Column("cells"),
    Column("suspect_cells"),
    Column("expected", Kind.FLOAT, companion="expected_text"),
    Column("found", Kind.FLOAT, companion="found_text"),
    Column("message_zh"),
    Column("message_en"),
)
REPORT_FIELDS = tuple(c.name for c in REPORT_COLUMNS)
FINDING_FIELDS = tuple(c.name for c in FINDING_COLUMNS)
RAW = "raw"  # a typed report row's cells that are no plain number, one "HEADER: text" a line
# A version sheet's columns before its cells: what names the report.
_VERSION_LABELS = ("file", "agency", "report_year")


@cache
def cell_columns() -> tuple[tuple[str, str], ...]:
    """(header, field path) of every table cell of both templates, each path once."""
    out: dict[str, str] = {}
    for version in sorted(TEMPLATES, reverse=True):
        for section, row, column in template(version).cells():
            path = row.cell_path(column)
            out.setdefault(path, f"{section} | {row.label} | {column.label}")
    return tuple((header, path) for path, header in out.items())


@cache
def _cell_column_specs() -> dict[str, Column]:
    """Field path -> its typed column: amounts as decimals, counts and changes whole."""
    headers = {path: header for header, path in cell_columns()}
    out: dict[str, Column] = {}
    for version in sorted(TEMPLATES, reverse=True):
        for _, row, column in template(version).cells():
            path = row.cell_path(column)
            kind = Kind.FLOAT if column.kind is CellKind.AMOUNT else Kind.INT
            out.setdefault(path, Column(headers[path], kind, companion=RAW))
    return out


def _version_paths(version: int) -> list[str]:
    return [row.cell_path(column) for _, row, column in template(version).cells()]


def as_outcomes(results: Iterable[Outcome | service_pb2.Extraction]) -> list[Outcome]:
    """Outcomes as given, an Extraction as the outcome of its document, in input order."""
    out: list[Outcome] = []
    for i, result in enumerate(results):
        if isinstance(result, Outcome):
            out.append(result)
        elif isinstance(result, service_pb2.Extraction):
            out.append(Outcome(i, result.document.filename, result))
        else:
            raise TypeError(f"expected an Outcome or an Extraction, not {type(result).__name__}")
    return sorted(out, key=lambda o: o.index)


# ---------------------------------------------------------------- rows as text (CSV)


_EMPTY_STATES = frozenset({pb.CELL_STATE_BLANK, pb.CELL_STATE_MISSING, pb.CELL_STATE_NOT_IN_LAYOUT})


def _cell_text(cell: pb.Cell | None) -> str:
    """A number as written; "/" for n/a; a text cell's words; "" for blank, missing or a cell
    the report's layout does not have."""
    if cell is None or cell.state in _EMPTY_STATES:
        return ""
    if cell.state == pb.CELL_STATE_NOT_APPLICABLE:
        return "/"
    return value_text(cell) or cell.raw_text


def _findings(outcome: Outcome) -> list[validation_pb2.Finding]:
    if outcome.extraction is None:
        return []
    return [*outcome.extraction.validation.findings, *outcome.cross_year]


def report_row(outcome: Outcome) -> dict[str, str]:
    row = dict.fromkeys(REPORT_FIELDS, "")
    row["file"] = outcome.path
    extraction = outcome.extraction
    if extraction is None:
        row.update(status="error", reason=outcome.reason, message=outcome.message)
        row.update({header: "" for header, _ in cell_columns()})
        return row
    meta, doc = extraction.report.metadata, extraction.document
    findings = _findings(outcome)
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
    for f in _findings(outcome):
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


# ---------------------------------------------------------------- typed rows

_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")  # ASCII digits: what the CLI writes


def number(text: str) -> int | float | None:
    """A clean number ("12", "+48", "-16", "32248.5", "0.95") as one; None for anything else."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    return float(text) if match.group(1) else int(text)


def json_value(text: str, kind: Kind) -> Scalar:
    """JSON Lines: a number where the column holds numbers and the text is one, else the text;
    None for nothing."""
    if not text:
        return None
    if kind is Kind.TEXT:
        return text
    found = number(text)
    return text if found is None else found


def typed_columns(columns: Sequence[Column]) -> list[Column]:
    """The columns of a typed table: each companion (text) right after its numeric column,
    unless the table has it already."""
    names = {c.name for c in columns}
    out: list[Column] = []
    for column in columns:
        out.append(column)
        if column.companion and column.companion not in names:
            out.append(Column(column.companion))
            names.add(column.companion)
    return out


def typed_row(columns: Sequence[Column], row: dict[str, str]) -> dict[str, Scalar]:
    """A text row with numbers in its numeric columns, only numbers; text that is no clean
    number goes to the column's companion."""
    out: dict[str, Scalar] = {}
    for column in columns:
        text = row.get(column.name, "")
        if column.kind is Kind.TEXT:
            # setdefault: a companion column may hold its numeric column's text already.
            out.setdefault(column.name, text or None)
            continue
        found = number(text)
        out[column.name] = found
        # A numeric column without a companion is one whose text is a number by construction
        # (a count the CLI wrote with str()).
        if found is None and text and column.companion:
            out[column.companion] = text
    return out


def _cell_typed(cell: pb.Cell | None) -> tuple[int | float | None, str]:
    """(the number read, the words of a cell that is no plain number: "/", prose)."""
    if cell is None or cell.state in _EMPTY_STATES:
        return None, ""
    if cell.state == pb.CELL_STATE_NOT_APPLICABLE:
        return None, cell.raw_text.strip() or "/"
    value = cell_value(cell)
    found = float(value) if isinstance(value, str) else value  # an amount: a decimal string
    if cell.state == pb.CELL_STATE_NUMBER:
        return found, ""
    # Prose, with the figure read from it when it allows one reading ("22（含…）"): both kept.
    return found, cell.raw_text.strip()


def report_record(outcome: Outcome) -> dict[str, Scalar]:
    """One typed reports row: the metadata and counts, ``raw``, then every cell column of both
    templates (numbers only)."""
    record = typed_row(REPORT_COLUMNS, report_row(outcome))
    raw: list[str] = []
    report = outcome.extraction.report if outcome.extraction is not None else None
    for path, column in _cell_column_specs().items():
        found, text = _cell_typed(get_cell(report, path) if report is not None else None)
        record[column.name] = found
        if text:
            raw.append(f"{column.name}: {text}")
    record[RAW] = "\n".join(raw) or None
    return record


def report_record_columns() -> list[Column]:
    return [*REPORT_COLUMNS, Column(RAW), *_cell_column_specs().values()]


@dataclass(frozen=True)
class Table:
    """A typed table: its columns (companions included) and rows; ``labels`` leading columns
    name a row (a workbook keeps them in view)."""

    name: str
    columns: list[Column]
    rows: list[dict[str, Scalar]]
    labels: int = 1


def typed_tables(outcomes: Sequence[Outcome], *, by_version: bool) -> list[Table]:
    """The typed tables: ``reports`` with every cell column, or (``by_version``, for a
    workbook) ``reports`` with the metadata and one table of cells per template version."""
    ordered = sorted(outcomes, key=lambda o: o.index)
    records = [report_record(o) for o in ordered]
    tables: list[Table] = []
    if by_version:
        tables.append(Table("reports", list(REPORT_COLUMNS), records))
        specs = _cell_column_specs()
        for version in sorted(TEMPLATES, reverse=True):
            columns = [
                *(c for c in REPORT_COLUMNS if c.name in _VERSION_LABELS),
                Column(RAW),
                *(specs[path] for path in _version_paths(version)),
            ]
            rows = [
                record
                for record, outcome in zip(records, ordered, strict=True)
                if outcome.extraction is not None
                and report_version(outcome.extraction.report) == version
            ]
            tables.append(Table(f"{version} template", columns, rows, len(_VERSION_LABELS)))
    else:
        tables.append(Table("reports", report_record_columns(), records))
    cells = typed_columns(CELLS_COLUMNS)
    findings = typed_columns(FINDING_COLUMNS)
    tables.append(
        Table("cells", cells, [typed_row(cells, r) for o in ordered for r in cells_rows(o)])
    )
    tables.append(
        Table(
            "findings", findings, [typed_row(findings, r) for o in ordered for r in finding_rows(o)]
        )
    )
    return tables


# ---------------------------------------------------------------- files


def _text_tables(
    outcomes: Sequence[Outcome],
) -> dict[str, tuple[list[Column], list[dict[str, str]]]]:
    ordered = sorted(outcomes, key=lambda o: o.index)
    report_columns = [*REPORT_COLUMNS, *_cell_column_specs().values()]
    return {
        "reports": (report_columns, [report_row(o) for o in ordered]),
        "cells": (list(CELLS_COLUMNS), [r for o in ordered for r in cells_rows(o)]),
        "findings": (list(FINDING_COLUMNS), [r for o in ordered for r in finding_rows(o)]),
    }


def companion(out: Path, table: str) -> Path:
    """Where a table goes: ``out`` itself for the reports, ``NAME.TABLE.EXT`` beside it."""
    return out if table == "reports" else out.with_name(f"{out.stem}.{table}{out.suffix}")


def write(outcomes: Sequence[Outcome], out: Path) -> list[Path]:
    """Writes the run's tables in the format ``out``'s suffix names; the files written."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"export writes {', '.join(FORMATS)}, not {out.name!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        _write_xlsx(typed_tables(outcomes, by_version=True), out)
        return [out]
    written: list[Path] = []
    for name, (columns, rows) in _text_tables(outcomes).items():
        path = companion(out, name)
        if suffix == ".csv":
            _write_csv(path, [c.name for c in columns], rows)
        else:
            _write_jsonl(path, columns, rows)
        written.append(path)
    return written


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    # utf-8-sig: Excel, which most reviewers open these in, reads Chinese only with the BOM.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _write_jsonl(path: Path, columns: list[Column], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            typed = {c.name: json_value(row.get(c.name, ""), c.kind) for c in columns}
            handle.write(json.dumps(typed, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- XLSX

# Column widths in characters (a CJK character counts two): wide enough for the content, not
# so wide that a column of prose or a long header pushes the figures off the screen. A header
# longer than its column wraps.
_MIN_WIDTH = 6
_MAX_WIDTH = {Kind.TEXT: 48, Kind.INT: 16, Kind.FLOAT: 16}
_PADDING = 2


def column_width(column: Column, values: Iterable[Scalar]) -> int:
    """The width of a column of a workbook's sheet."""
    widest = max(
        (display_width(line) for v in values if v is not None for line in str(v).splitlines()),
        default=0,
    )
    # The header counts in full for short headers only: a long one wraps instead.
    header = min(display_width(column.name), _MAX_WIDTH[column.kind])
    return max(_MIN_WIDTH, min(max(widest, header) + _PADDING, _MAX_WIDTH[column.kind]))


def _write_xlsx(tables: list[Table], out: Path) -> None:
    from openpyxl import Workbook  # only when a workbook is asked for
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    for table in tables:
        sheet: Any = book.create_sheet(table.name)
        for i, column in enumerate(table.columns, start=1):
            found = (row.get(column.name) for row in table.rows)
            sheet.column_dimensions[get_column_letter(i)].width = column_width(column, found)
        sheet.freeze_panes = f"{get_column_letter(table.labels + 1)}2"
        last = get_column_letter(len(table.columns))
        sheet.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
        header = [WriteOnlyCell(sheet, column.name) for column in table.columns]
        for cell in header:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append(header)
        formats = [c.number_format for c in table.columns]
        for row in table.rows:
            values = [row.get(c.name) for c in table.columns]
            sheet.append([_styled(sheet, v, f) for v, f in zip(values, formats, strict=True)])
    book.save(out)


def _styled(sheet: Any, value: Scalar, number_format: str) -> Any:
    if not number_format or value is None:
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value)
    cell.number_format = number_format
    return cell


__all__ = [
    "FORMATS",
    "Column",
    "Kind",
    "Table",
    "as_outcomes",
    "cell_columns",
    "companion",
    "typed_tables",
    "write",
]
