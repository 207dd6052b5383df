"""An Extraction as the CLI prints it: ``json``, ``table`` or ``cells`` (CSV).

- ``json``: proto3 JSON with protojson's defaults, as every govreport client
  prints it (docs/clients.md): lowerCamelCase names, 64-bit integers as
  strings, enums by name, default values left out; CJK unescaped.
- ``table``: the metadata, the tables of 二, 三 and 四 labelled as the
  template labels them, and the findings; for a person at a terminal.
- ``cells``: one CSV line per template cell the report has, in the
  template's order: ``section,row,column,value,raw,page,confidence,status``.
  ``status`` is the cell's state (number, blank, n/a, text, missing), then
  ``+derived`` when the value was not written as a plain number, then
  ``+R1``-style suffixes naming the rules whose findings involve the cell.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.message import Message

from govreport import wire
from govreport.formats import FORMATS as INPUT_FORMATS
from govreport.paths import get_cell, iter_cells, report_version, sections_present, value_text
from govreport.templates import Column, Row, labels_by_path, template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2, validation_pb2

FORMATS: tuple[str, ...] = ("json", "table", "cells")
CELLS_HEADER: tuple[str, ...] = (
    "section",
    "row",
    "column",
    "value",
    "raw",
    "page",
    "confidence",
    "status",
)

# CellState enum value -> its status word in the cells output (the domain's CellState).
STATE_WORDS: dict[int, str] = {
    pb.CELL_STATE_UNSPECIFIED: "unspecified",
    **{proto: state.value for state, proto in wire.CELL_STATE.items()},
}
# DocumentFormat enum value -> the format's name as people see it.
FORMAT_NAMES: dict[int, str] = {
    wire.DOCUMENT_FORMAT[f]: spec.name for f, spec in INPUT_FORMATS.items()
}
SEVERITY_WORDS: dict[int, str] = {
    proto: severity.value for severity, proto in wire.SEVERITY.items()
}

LABEL_WIDTH = 34  # display columns for a row label in the table view
TEXT_CELL_WIDTH = 10  # display columns for prose inside a table cell


def render(extraction: service_pb2.Extraction, fmt: str) -> str:
    """One extraction in one of FORMATS (``cells`` with its header line)."""
    if fmt == "json":
        return to_json(extraction)
    if fmt == "table":
        return to_table(extraction)
    if fmt == "cells":
        return to_cells([extraction])
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------- json


def to_json(message: Message, *, indent: int | None = 2) -> str:
    """proto3 JSON as protojson writes it (docs/clients.md); ``indent=None`` gives one line."""
    return json_format.MessageToJson(message, ensure_ascii=False, indent=indent)


# ---------------------------------------------------------------- cells


def findings_by_cell(validation: validation_pb2.ValidationReport) -> dict[str, list[str]]:
    """Cell path -> the ids of the rules whose findings name it, in order, each once. A note
    (SEVERITY_INFO: the report's own layout) flags nothing."""
    out: dict[str, list[str]] = {}
    for finding in validation.findings:
        if finding.severity == validation_pb2.SEVERITY_INFO:
            continue
        for path in finding.cells:
            ids = out.setdefault(path, [])
            if finding.rule_id not in ids:
                ids.append(finding.rule_id)
    return out


def cell_status(cell: pb.Cell, rule_ids: Iterable[str] = ()) -> str:
    """``number``, ``text+derived``, ``number+R1+R2`` …"""
    status = STATE_WORDS.get(cell.state, "unspecified")
    if cell.derived:
        status += "+derived"
    return status + "".join(f"+{rule_id}" for rule_id in rule_ids)


def cell_rows(extraction: service_pb2.Extraction) -> list[list[str]]:
    """The ``cells`` lines of one extraction, without the header.

    Cells the report does not set (a group row the document does not give)
    have no line.
    """
    flagged = findings_by_cell(extraction.validation)
    rows: list[list[str]] = []
    for placed in iter_cells(extraction.report):
        cell = placed.cell
        page = cell.provenance.page
        rows.append(
            [
                placed.section,
                placed.row.label,
                placed.column.label,
                value_text(cell),
                cell.raw_text,
                str(page) if page > 0 else "",
                f"{cell.confidence:.2f}",
                cell_status(cell, flagged.get(placed.path, ())),
            ]
        )
    return rows


def to_cells(extractions: Sequence[service_pb2.Extraction], *, with_file: bool = False) -> str:
    """CSV for one or more extractions; ``with_file`` adds a leading ``file`` column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((["file"] if with_file else []) + list(CELLS_HEADER))
    for extraction in extractions:
        prefix = [extraction.document.filename] if with_file else []
        writer.writerows(prefix + row for row in cell_rows(extraction))
    return buffer.getvalue()


# ---------------------------------------------------------------- widths


def display_width(text: str) -> int:
    """Terminal columns: 2 for wide and full-width characters, 0 for combining marks."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` display columns, with "…" when cut."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        w = display_width(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"


def pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Aligned lines: the first column left-aligned (labels), the others right-aligned."""
    columns = len(header)
    widths = [display_width(h) for h in header]
    for row in rows:
        for i, text in enumerate(row[:columns]):
            widths[i] = max(widths[i], display_width(text))

    def line(cells: Sequence[str]) -> str:
        parts = [
            pad(cells[i] if i < len(cells) else "", widths[i], right=i > 0) for i in range(columns)
        ]
        return (indent + "  ".join(parts)).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return [line(header), rule, *(line(row) for row in rows)]


# ---------------------------------------------------------------- table


def _one_line(text: str) -> str:
    return " ".join(text.split())


def cell_display(cell: pb.Cell | None, column: Column, flagged: bool = False) -> str:
    """A cell as the table view shows it (see the legend under the tables)."""
    if cell is None:
        return ""
    value = value_text(cell)
    if cell.state == pb.CELL_STATE_BLANK:
        text = ""
    elif cell.state == pb.CELL_STATE_MISSING:
        text = "?"
    elif cell.state == pb.CELL_STATE_NOT_IN_LAYOUT:
        text = "–"
    elif cell.state == pb.CELL_STATE_NOT_APPLICABLE:
        text = _one_line(cell.raw_text) or "/"
    elif cell.state == pb.CELL_STATE_TEXT and not value:
        text = truncate(_one_line(cell.raw_text), TEXT_CELL_WIDTH) or "…"
    else:
        text = value or truncate(_one_line(cell.raw_text), TEXT_CELL_WIDTH)
        if value and cell.unit and not column.unit:
            text += cell.unit
    if cell.derived:
        text += "*"
    if flagged:
        text += "!"
    return text


@dataclass(frozen=True, slots=True)
class GridLine:
    """One line of a table as the CLI and the review page lay it out: an enclosing label on a
    line of its own (``row`` None), or a template row with its cells, ``label`` its last part."""

    depth: int
    label: str
    row: Row | None = None
    cells: tuple[pb.Cell | None, ...] = ()


def grid_lines(
    report: pb.AnnualReport, rows: Sequence[Row], columns: Sequence[Column], skip_prefix: str = ""
) -> Iterator[GridLine]:
    """The rows under nested labels: each enclosing label once, before its first row; a group
    row (subtotal) the document does not give is left out, its label still standing above
    its items."""
    shown: set[str] = set()
    for row in rows:
        cells = tuple(
            get_cell(report, row.cell_path(c)) if c in row.columns else None for c in columns
        )
        if row.group_row and all(cell is None for cell in cells):
            continue
        label = row.label.removeprefix(skip_prefix)
        parts = label.split(" / ")
        for depth in range(len(parts) - 1):
            prefix = " / ".join(parts[: depth + 1])
            if prefix not in shown:
                shown.add(prefix)
                yield GridLine(depth, parts[depth])
        shown.add(label)
        yield GridLine(len(parts) - 1, parts[-1], row, cells)


def _table_rows(
    report: pb.AnnualReport,
    rows: Sequence[Row],
    columns: Sequence[Column],
    flagged: dict[str, list[str]],
    *,
    skip_prefix: str = "",
    notes: list[str],
) -> list[list[str]]:
    """Rows of a grid (grid_lines), each cell as the table view shows it."""
    out: list[list[str]] = []
    for line in grid_lines(report, rows, columns, skip_prefix):
        text = [truncate("  " * line.depth + line.label, LABEL_WIDTH)]
        if line.row is None:
            out.append(text)
            continue
        for column, cell in zip(columns, line.cells, strict=True):
            path = line.row.cell_path(column)
            text.append(cell_display(cell, column, bool(flagged.get(path))))
            if cell is not None and cell.state == pb.CELL_STATE_TEXT and cell.raw_text.strip():
                notes.append(
                    f"{line.label} / {column.label}: {truncate(_one_line(cell.raw_text), 90)}"
                )
        out.append(text)
    _align_marks(out)
    return out


def _align_marks(rows: list[list[str]]) -> None:
    """Pads unmarked cells so that digits line up in a column where some cells carry * or !."""

    def marks(text: str) -> int:
        return len(text) - len(text.rstrip("*!"))

    for i in range(1, max((len(r) for r in rows), default=0)):
        most = max((marks(r[i]) for r in rows if i < len(r)), default=0)
        for r in rows:
            if i < len(r) and r[i]:
                r[i] += " " * (most - marks(r[i]))


def _metadata_lines(extraction: service_pb2.Extraction) -> list[str]:
    report, doc = extraction.report, extraction.document
    meta = report.metadata
    version = report_version(report)
    lines = [meta.title or doc.filename or "(untitled report)"]

    def field(label: str, value: str) -> None:
        if value:
            lines.append(f"  {pad(label, 8)}  {value}")

    size = f"{doc.size_bytes} bytes" if doc.size_bytes else ""
    fmt = FORMAT_NAMES.get(doc.format, "")
    if fmt and doc.encoding:
        fmt += f" ({doc.encoding})"
    pages = f"{doc.page_count} pages" if doc.page_count else ""
    took = f"{doc.elapsed_ms:.1f} ms" if doc.elapsed_ms else ""
    field("文件", " · ".join(x for x in (doc.filename, fmt, size, pages, took) if x))
    field("机关", meta.agency)
    field("报告年度", str(meta.report_year) if meta.report_year else "")
    field("发布日期", meta.publication_date)
    detected = meta.template_version != pb.TEMPLATE_VERSION_UNSPECIFIED
    field("模板", f"{version}（{template(version).source}）" + ("" if detected else " ?"))
    field("统计期限", meta.statistics_period)
    contact = meta.contact
    field(
        "联系方式",
        " · ".join(
            f"{name} {value}"
            for name, value in (
                ("地址", contact.address),
                ("邮编", contact.postcode),
                ("电话", contact.phone),
                ("邮箱", contact.email),
                ("网址", contact.website),
            )
            if value
        ),
    )
    present = sections_present(report)
    absent = [n for n, here in present.items() if not here]
    field(
        "章节",
        " ".join(n for n, here in present.items() if here)
        + (f"（缺：{' '.join(absent)}）" if absent else ""),
    )
    for unread in doc.unread_pages:
        field("未读页", f"p.{unread.page}: {unread.reason}")
    return lines


def findings_lines(validation: validation_pb2.ValidationReport) -> list[str]:
    """The findings, one block each, naming cells by their template labels."""
    head = f"核查结果 Findings: {validation.error_count} error(s), "
    head += f"{validation.warning_count} warning(s)"
    if validation.info_count:
        head += f", {validation.info_count} note(s)"
    if validation.rules_checked:
        head += f"; rules checked: {' '.join(validation.rules_checked)}"
    lines = [head]
    if not validation.findings:
        lines.append("  (none)")
    labels = labels_by_path()
    for finding in validation.findings:
        severity = SEVERITY_WORDS.get(finding.severity, "?")
        where = "; ".join(
            " / ".join(labels[path][1:]) if path in labels else path for path in finding.cells[:3]
        )
        if len(finding.cells) > 3:
            where += f"; … (+{len(finding.cells) - 3})"
        values = ""
        if finding.expected or finding.found:
            values = f" — expected {finding.expected or '?'}, found {finding.found or '?'}"
        lines.append(f"  [{severity}] {finding.rule_id}{values}")
        if where:
            lines.append(f"      {where}")
        for message in (finding.message_zh, finding.message_en):
            if message:
                lines.append(f"      {message}")
    return lines


def to_table(extraction: service_pb2.Extraction) -> str:
    """A readable rendering for a terminal: metadata, 二, 三, 四, findings."""
    report = extraction.report
    tpl = template(report_version(report))
    flagged = findings_by_cell(extraction.validation)
    headings = {s.number: f"{s.number}、{s.heading}" for s in tpl.sections}
    lines = _metadata_lines(extraction)
    notes: list[str] = []

    lines += ["", headings["二"]]
    for block in tpl.disclosure_blocks:
        columns = max((row.columns for row in block.rows), key=len)
        lines.append(f"  {block.label}")
        rows = _table_rows(
            report, block.rows, columns, flagged, skip_prefix=f"{block.label} / ", notes=notes
        )
        lines += grid(["", *(c.label for c in columns)], rows, indent="    ")

    lines += ["", headings["三"]]
    applicant_columns = tpl.application_rows[0].columns
    rows = _table_rows(report, tpl.application_rows, applicant_columns, flagged, notes=notes)
    header = ["", *(c.label.split(" / ")[-1] for c in applicant_columns)]
    lines += grid(header, rows)

    lines += ["", headings["四"]]
    case_columns = tpl.review_rows[0].columns
    rows = _table_rows(report, tpl.review_rows, case_columns, flagged, notes=notes)
    lines += grid(["", *(c.label for c in case_columns)], rows)

    lines += [
        "",
        "  空白 = blank · / = n/a as written · ? = missing from the document"
        " · – = not in the report's layout · * = derived · ! = named in a finding",
    ]
    if notes:
        lines += ["", "文字单元格 Text cells:"]
        lines += [f"  {note}" for note in notes]
    lines += ["", *findings_lines(extraction.validation)]
    return "\n".join(lines) + "\n"
