"""The fill-in workbook: the three tables of the template as an .xlsx form, and back.

An agency checks its own report before publishing it: ``govreport template
--xlsx FILE`` writes the statistical tables of sections 二, 三 and 四 laid
out like the official 统计表 (one sheet a table, merged headers, the
template's labels), with the figures' cells unlocked and shaded, and a sheet
of the facts the rules need besides the figures (agency, report year, …).
``govreport validate FILE.xlsx`` reads the filled form back into the same
``AnnualReport`` the extractor makes (each cell's text read by the
extractor's own ``parse_value``) and names every finding's cells as the
workbook does (``三!J5``).

Everything here follows from the template's data (govreport.templates):
where a label stands and which cell holds which figure is computed from the
rows and columns of a version, so the writer and the reader always agree.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from govreport.assembly.assembler import put_value
from govreport.assembly.values import NOT_APPLICABLE, parse_value
from govreport.errors import GovreportError, Reason
from govreport.limits import Limits
from govreport.normalize import normalize
from govreport.paths import TABLE_SOURCE_FIELDS, ensure_cell, get_cell, value_text
from govreport.templates import (
    SECTIONS,
    TABLE_MARKERS,
    TABLE_SECTIONS,
    TEMPLATES,
    Column,
    Kind,
    Row,
    Template,
)
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb

META_SHEET = "基本信息"
# Where the template version is written: the reader takes the version from it.
_VERSION_LABEL = "模板"
# The report's facts the rules read besides the tables (R9: year, date, period; R8: 一's
# figures; C3: 六's statement of fees), as (label on the form, ReportMetadata field or section).
_META_FIELDS: tuple[tuple[str, str], ...] = (
    ("机关名称", "agency"),
    ("报告年度", "report_year"),
    ("发布日期（YYYY-MM-DD）", "publication_date"),
    ("统计期限", "statistics_period"),
)
_NARRATIVE_FIELDS = ("一", "六")  # sections whose text the rules read (R8, C3)
_INSTRUCTIONS = (
    "在黄色单元格中填写：数字直接输入（也可以作为文本输入）；不适用的填“/”；"
    "留空表示未填写（申请人各列留空按 0 计，总计列留空视为未填）；整张表留空视为未提供该表。"
    "填好后运行 govreport validate 本文件.xlsx 检查勾稽关系。"
)


# Looks: the labels bold and centred in thin borders, the cells to fill shaded.
_INPUT_FILL = "FFF2CC"
_HEADER_FILL = "D9E1F2"


@dataclass(frozen=True, slots=True)
class Place:
    sheet: str
    row: int  # 1-based
    column: int  # 1-based

    @property
    def ref(self) -> str:
        """``三!D5``: how a spreadsheet names the cell."""
        return f"{self.sheet}!{_letter(self.column)}{self.row}"


@dataclass(frozen=True, slots=True)
class Label:
    """A label cell of the form: its text, and the cells it spans (merged when more than one)."""

    place: Place
    text: str
    last_row: int
    last_column: int
    header: bool = False  # a column heading (shaded) rather than a row label


@dataclass(slots=True)
class Layout:
    """Where everything of one template version stands on the form."""

    tpl: Template
    sheets: dict[str, int] = field(default_factory=dict)  # sheet -> its width in columns
    labels: list[Label] = field(default_factory=list)
    # Template cell path -> its input cell; (section, row, column) kept for the kinds.
    cells: dict[str, tuple[Place, Row, Column]] = field(default_factory=dict)
    # Metadata field or section number -> its input cell.
    meta: dict[str, Place] = field(default_factory=dict)
    version: Place = Place(META_SHEET, 2, 2)
    # Input cells merged across the columns to the table's right edge (二's narrower blocks).
    spans: dict[Place, int] = field(default_factory=dict)

    def label(self, sheet: str, row: int, column: int, text: str, **span: Any) -> None:
        self.labels.append(
            Label(
                Place(sheet, row, column),
                text,
                span.get("last_row", row),
                span.get("last_column", column),
                span.get("header", False),
            )
        )

    def where(self, path: str) -> Place | None:
        """The form's cell for a cell path, a metadata field or a section's field."""
        if path in self.cells:
            return self.cells[path][0]
        name = path.removeprefix("metadata.")
        if name in self.meta:
            return self.meta[name]
        for section in SECTIONS:
            if path == self.tpl.field_of(section.number):
                if section.table:
                    return Place(section.number, 1, 1)
                return self.meta.get(section.number)
        return None


def _letter(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def _marker(section: str, starts: str) -> str:
    """A heading the template's markers hold (TABLE_MARKERS), found by how it begins."""
    return next(m for m in TABLE_MARKERS[section] if m.startswith(starts))


def _title(number: str) -> str:
    section = next(s for s in SECTIONS if s.number == number)
    return f"{section.number}、{section.heading}"


# ---------------------------------------------------------------- the layout of each table


def _disclosure(layout: Layout) -> None:
    """二: each block a heading row, a header row (信息内容 and its columns), its rows."""
    tpl, sheet = layout.tpl, "二"
    width = 1 + max(len(row.columns) for row in tpl.disclosure_rows)
    layout.sheets[sheet] = width
    layout.label(sheet, 1, 1, _title(sheet), last_column=width)
    content = _marker(sheet, "信息内容")
    line = 2
    for block in tpl.disclosure_blocks:
        layout.label(sheet, line, 1, block.label, last_column=width, header=True)
        columns = block.rows[0].columns
        layout.label(sheet, line + 1, 1, content, header=True)
        for index, column in enumerate(columns):
            last = width if index == len(columns) - 1 else 2 + index
            layout.label(sheet, line + 1, 2 + index, column.label, last_column=last, header=True)
        line += 2
        for row in block.rows:
            layout.label(sheet, line, 1, row.label.split(" / ")[-1])
            for index, column in enumerate(row.columns):
                place = Place(sheet, line, 2 + index)
                layout.cells[row.cell_path(column)] = (place, row, column)
                if index == len(row.columns) - 1 and 2 + index < width:
                    layout.spans[place] = width
            line += 1


def _runs(rows: list[tuple[int, list[str]]], depth: int) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, label) of consecutive rows sharing their first ``depth + 1``
    label parts, among the rows with more parts than that (a parent label spanning them)."""
    current: tuple[int, int, tuple[str, ...]] | None = None
    for line, parts in rows:
        key = tuple(parts[: depth + 1]) if len(parts) > depth + 1 else None
        if current is not None and key == current[2] and line == current[1] + 1:
            current = (current[0], line, current[2])
            continue
        if current is not None:
            yield current[0], current[1], current[2][-1]
        current = (line, line, key) if key is not None else None
    if current is not None:
        yield current[0], current[1], current[2][-1]


def _headers(
    layout: Layout, sheet: str, top: int, first: int, labels: list[list[str]], levels: int
) -> None:
    """Column headings over ``levels`` header lines from ``top``: a heading shared by
    consecutive columns merged across them, a heading with fewer parts merged down."""
    for level in range(levels):
        column = 0
        while column < len(labels):
            parts = labels[column]
            if len(parts) <= level:
                column += 1
                continue
            end = column
            if len(parts) > level + 1:
                while end + 1 < len(labels) and labels[end + 1][: level + 1] == parts[: level + 1]:
                    end += 1
            last_row = top + levels - 1 if len(parts) == level + 1 else top + level
            layout.label(
                sheet,
                top + level,
                first + column,
                parts[level],
                last_row=last_row,
                last_column=first + end,
                header=True,
            )
            column = end + 1


def _applications(layout: Layout) -> None:
    """三: three label columns (一… / 三、本年度办理结果 / （三）… / 1.…), the applicant columns
    under 申请人情况, the rows the version prints."""
    tpl, sheet = layout.tpl, "三"
    rows = [row for row in tpl.application_rows if tpl.expects(row)]
    depth = max(len(row.label.split(" / ")) for row in rows)
    columns = rows[0].columns
    width = depth + len(columns)
    layout.sheets[sheet] = width
    layout.label(sheet, 1, 1, _title(sheet), last_column=width)
    layout.label(sheet, 2, 1, "", last_row=4, last_column=depth, header=True)
    layout.label(sheet, 2, depth + 1, _marker(sheet, "申请人"), last_column=width, header=True)
    _headers(layout, sheet, 3, depth + 1, [c.label.split(" / ") for c in columns], 2)
    first = 5
    lines = [(first + i, row.label.split(" / ")) for i, row in enumerate(rows)]
    for level in range(depth - 1):
        for start, end, text in _runs(lines, level):
            layout.label(sheet, start, 1 + level, text, last_row=end)
    for line, parts in lines:
        layout.label(sheet, line, len(parts), parts[-1], last_column=depth)
    for (line, _), row in zip(lines, rows, strict=True):
        for index, column in enumerate(row.columns):
            layout.cells[row.cell_path(column)] = (
                Place(sheet, line, depth + 1 + index),
                row,
                column,
            )
    note = first + len(rows)
    layout.label(sheet, note, 1, _marker(sheet, "本列数据"), last_column=width)


def _review(layout: Layout) -> None:
    """四: one data line under 行政复议 and 行政诉讼 (未经复议直接起诉, 复议后起诉)."""
    tpl, sheet = layout.tpl, "四"
    labels: list[list[str]] = []
    for row in tpl.review_rows:
        labels.extend([*row.label.split(" / "), column.label] for column in row.columns)
    width = len(labels)
    layout.sheets[sheet] = width
    layout.label(sheet, 1, 1, _title(sheet), last_column=width)
    levels = max(len(parts) for parts in labels)
    # A group with fewer levels (行政复议) has its heading merged down to the columns' line.
    padded = [[*parts[:-1], *([parts[-2]] * (levels - len(parts))), parts[-1]] for parts in labels]
    _headers(layout, sheet, 2, 1, padded, levels)
    line, index = 2 + levels, 0
    for row in tpl.review_rows:
        for column in row.columns:
            layout.cells[row.cell_path(column)] = (Place(sheet, line, 1 + index), row, column)
            index += 1


def _merge_padding(layout: Layout) -> None:
    """行政复议's heading was padded to every level: keep it once, merged down (see _review)."""
    kept: dict[tuple[str, int, int], Label] = {}
    out: list[Label] = []
    for label in layout.labels:
        if label.place.sheet == "四" and label.header:
            key = (label.text, label.place.column, label.last_column)
            above = kept.get(key)
            if above is not None and above.last_row + 1 == label.place.row:
                merged = Label(above.place, above.text, label.last_row, above.last_column, True)
                out[out.index(above)] = merged
                kept[key] = merged
                continue
            kept[key] = label
        out.append(label)
    layout.labels = out


def _metadata(layout: Layout) -> None:
    sheet = META_SHEET
    layout.sheets[sheet] = 2
    layout.label(sheet, 1, 1, _INSTRUCTIONS, last_column=2)
    layout.label(sheet, 2, 1, _VERSION_LABEL, header=True)
    layout.version = Place(sheet, 2, 2)
    line = 3
    for text, name in _META_FIELDS:
        layout.label(sheet, line, 1, text, header=True)
        layout.meta[name] = Place(sheet, line, 2)
        line += 1
    for number in _NARRATIVE_FIELDS:
        layout.label(sheet, line, 1, f"{_title(number)}（可选：粘贴正文）", header=True)
        layout.meta[number] = Place(sheet, line, 2)
        line += 1


@cache
def layout_of(version: int) -> Layout:
    """The form of a template version (2019, 2021)."""
    layout = Layout(TEMPLATES[version])
    _metadata(layout)
    _disclosure(layout)
    _applications(layout)
    _review(layout)
    _merge_padding(layout)
    return layout


# ---------------------------------------------------------------- writing


def build(tpl: Template) -> Any:
    """The empty form of ``tpl`` as an openpyxl Workbook."""
    from openpyxl import Workbook  # only when a workbook is asked for: the import is slow
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    layout = layout_of(tpl.version)
    book = Workbook()
    book.remove(book.active)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    input_fill = PatternFill("solid", fgColor=_INPUT_FILL)
    sheets = {name: book.create_sheet(name) for name in layout.sheets}

    def frame(sheet: Any, place: Place, last_row: int, last_column: int) -> None:
        for row in range(place.row, last_row + 1):
            for column in range(place.column, last_column + 1):
                sheet.cell(row, column).border = border

    for label in layout.labels:
        sheet = sheets[label.place.sheet]
        cell = sheet.cell(label.place.row, label.place.column, label.text or None)
        title = label.place.row == 1 and label.place.sheet != META_SHEET
        cell.font = Font(bold=label.header or title, size=14 if title else 11)
        centred = label.header or title
        cell.alignment = Alignment(
            horizontal="center" if centred else "left", vertical="center", wrap_text=True
        )
        if label.last_row > label.place.row or label.last_column > label.place.column:
            sheet.merge_cells(
                start_row=label.place.row,
                start_column=label.place.column,
                end_row=label.last_row,
                end_column=label.last_column,
            )
        if (not title and label.place.sheet != META_SHEET) or label.header:
            frame(sheet, label.place, label.last_row, label.last_column)
            if label.header:
                cell.fill = header_fill
    meta_sheet = sheets[META_SHEET]
    version_cell = meta_sheet.cell(layout.version.row, layout.version.column, tpl.source)
    version_cell.border = border

    def input_cell(place: Place, kind: Kind | None) -> Any:
        sheet = sheets[place.sheet]
        cell = sheet.cell(place.row, place.column)
        cell.fill = input_fill
        cell.border = border
        cell.protection = Protection(locked=False)
        cell.alignment = Alignment(horizontal="right" if kind else "left", wrap_text=kind is None)
        if kind is Kind.CHANGE:
            cell.number_format = "+0;-0;0"  # 本年增/减 shows its sign, as the form prints it
        last = layout.spans.get(place)
        if last is not None:
            sheet.merge_cells(
                start_row=place.row, start_column=place.column, end_row=place.row, end_column=last
            )
            frame(sheet, place, place.row, last)
        return cell

    for place, _, column in layout.cells.values():
        input_cell(place, column.kind)
    for place in layout.meta.values():
        input_cell(place, None)

    for name, sheet in sheets.items():
        sheet.protection.sheet = True  # labels stay as the template has them; inputs unlocked
        sheet.protection.formatColumns = False
        sheet.protection.formatRows = False
        _widths(sheet, name, layout)
    meta_sheet.row_dimensions[1].height = 75
    return book


def _widths(sheet: Any, name: str, layout: Layout) -> None:
    widths: dict[str, float] = {
        META_SHEET: 28,
        "二": 16,
        "三": 12,
        "四": 10,
    }
    for column in range(1, layout.sheets[name] + 1):
        sheet.column_dimensions[_letter(column)].width = widths[name]
    if name == META_SHEET:
        sheet.column_dimensions["B"].width = 60
    elif name == "二":
        sheet.column_dimensions["A"].width = 24
    elif name == "三":
        sheet.column_dimensions["A"].width = 14
        sheet.column_dimensions["B"].width = 20
        sheet.column_dimensions["C"].width = 34


def fill(book: Any, layout: Layout, report: pb.AnnualReport) -> list[str]:
    """Writes the report's figures and facts into the form; returns the labels of the report's
    cells the form has no place for (a group's own row of 三, printed by the report besides or
    instead of its items)."""
    for path, (place, _, column) in layout.cells.items():
        cell = get_cell(report, path)
        if cell is not None:
            book[place.sheet].cell(place.row, place.column).value = _written(cell, column)
    meta = report.metadata
    texts = {
        "agency": meta.agency,
        "report_year": meta.report_year or None,
        "publication_date": meta.publication_date,
        "statistics_period": meta.statistics_period,
        "一": report.overview.text,
        "六": report.other_matters.text,
    }
    for name, value in texts.items():
        place = layout.meta[name]
        book[place.sheet].cell(place.row, place.column).value = value or None
    left_out: list[str] = []
    for section, row, column in layout.tpl.cells():
        path = row.cell_path(column)
        cell = get_cell(report, path)
        if path in layout.cells or cell is None:
            continue
        if cell.state not in (pb.CELL_STATE_MISSING, pb.CELL_STATE_NOT_IN_LAYOUT):
            left_out.append(f"{section} / {row.label} / {column.label}")
    return left_out


def _written(cell: pb.Cell, column: Column) -> Any:
    """What a person would type for the cell: the figure as a number, else the text."""
    if cell.state in (pb.CELL_STATE_BLANK, pb.CELL_STATE_MISSING, pb.CELL_STATE_NOT_IN_LAYOUT):
        # The form has every cell: one the report left out can only be left empty.
        return None
    if cell.state == pb.CELL_STATE_NOT_APPLICABLE:
        raw = re.sub(r"\s+", "", cell.raw_text)
        return raw if raw in NOT_APPLICABLE else "/"
    if cell.state == pb.CELL_STATE_NUMBER:
        which = cell.WhichOneof("value")
        if which in ("count", "change"):
            return int(getattr(cell, which))
        if which == "amount":
            amount = Decimal(cell.amount)
            # A float keeps the digits of a short amount; a longer one is written as text.
            as_float = float(amount)
            return as_float if Decimal(repr(as_float)) == amount else cell.amount
    return cell.raw_text or value_text(cell) or None


def write(path: str | Path, tpl: Template, report: pb.AnnualReport | None = None) -> list[str]:
    """Writes the form of ``tpl`` (filled from ``report``) to ``path``; returns what ``fill``
    could not place."""
    layout = layout_of(tpl.version)
    book = build(tpl)
    left_out = fill(book, layout, report) if report is not None else []
    try:
        book.save(str(path))
    except OSError as exc:
        raise GovreportError(Reason.UNWRITABLE, exc.strerror or str(exc)) from exc
    return left_out


# ---------------------------------------------------------------- reading


def load(raw: bytes) -> Any:
    """The bytes of an .xlsx as an openpyxl Workbook (values, not formulas)."""
    from openpyxl import load_workbook

    Limits().check_zip(raw, "the workbook")  # openpyxl inflates every part it reads
    try:
        return load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # zipfile's, openpyxl's own InvalidFileException, XML errors
        raise GovreportError(
            Reason.CORRUPT_DOCUMENT, f"not an .xlsx workbook ({type(exc).__name__}: {exc})"
        ) from exc


def _value_at(book: Any, place: Place) -> Any:
    return book[place.sheet].cell(place.row, place.column).value


def _version(book: Any) -> Template:
    if META_SHEET not in book.sheetnames:
        raise GovreportError(
            Reason.INVALID_REPORT,
            f"not a govreport form: no sheet {META_SHEET} "
            "(write one with govreport template --xlsx FILE)",
        )
    for tpl in TEMPLATES.values():
        written = _value_at(book, layout_of(tpl.version).version)
        if isinstance(written, str) and written.strip() == tpl.source:
            return tpl
    sources = " or ".join(t.source for t in TEMPLATES.values())
    place = layout_of(max(TEMPLATES)).version
    raise GovreportError(
        Reason.INVALID_REPORT,
        f"{place.ref} should name the template ({sources}); the form was changed or is not "
        "govreport's",
    )


def _check_labels(book: Any, layout: Layout) -> None:
    """Every label where the form has it: figures in a form whose rows moved would be read
    into the wrong cells."""
    for name in layout.sheets:
        if name not in book.sheetnames:
            raise GovreportError(Reason.INVALID_REPORT, f"not a govreport form: no sheet {name}")
    for label in layout.labels:
        if not label.text or label.text == _INSTRUCTIONS:
            continue
        found = _value_at(book, label.place)
        if not isinstance(found, str) or found.strip() != label.text:
            raise GovreportError(
                Reason.INVALID_REPORT,
                f"{label.place.ref} should say {label.text!r}, it says {found!r}: the form's "
                "rows or columns were changed; fill in a fresh one (govreport template --xlsx)",
            )


def _typed_text(value: Any) -> str:
    """A spreadsheet value as the text a printed report would show for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        try:
            return format(Decimal(repr(value)), "f")
        except InvalidOperation:
            return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return normalize(str(value)).strip()


def _cell(value: Any, column: Column, place: Place) -> pb.Cell:
    """One form cell as the extractor makes a table cell: its text read by parse_value."""
    text = _typed_text(value)
    cell = pb.Cell(raw_text=text, confidence=1.0)
    put_value(cell, parse_value(text, column), column.kind)
    cell.provenance.locator = place.ref
    return cell


_DATE = re.compile(r"^((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YEAR = re.compile(r"^((?:19|20)\d{2})\s*年?度?$")


def _metadata_from(book: Any, layout: Layout, report: pb.AnnualReport) -> None:
    meta = report.metadata
    meta.template_version = layout.tpl.proto  # type: ignore[assignment]
    for _, name in _META_FIELDS:
        place = layout.meta[name]
        value = _value_at(book, place)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        meta.sources[name].locator = place.ref
        if name == "report_year":
            meta.report_year = _year(value, place)
        elif name == "publication_date":
            meta.publication_date = _date(value, place)
        else:
            setattr(meta, name, normalize(str(value)).strip())
    for section in SECTIONS:
        if section.table:
            continue
        # The form stands for the report's tables: its free-text sections are the report's,
        # and only 一 and 六 are read (for the figures R8 compares and the fees C3 asks for).
        target = getattr(report, section.field)
        target.present = True
        target.heading = _title(section.number)
        text_place = layout.meta.get(section.number)
        if text_place is not None:
            value = _value_at(book, text_place)
            target.text = normalize(str(value)).strip() if value is not None else ""
            target.provenance.locator = text_place.ref


def _year(value: Any, place: Place) -> int:
    text = _typed_text(value)
    match = _YEAR.match(text)
    if match is None:
        raise GovreportError(
            Reason.INVALID_REPORT, f"{place.ref}: 报告年度 should be a year (2023), not {text!r}"
        )
    return int(match.group(1))


def _date(value: Any, place: Place) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _typed_text(value)
    match = _DATE.match(text)
    if match is not None:
        try:
            return dt.date(*(int(g) for g in match.groups())).isoformat()
        except ValueError:
            pass
    raise GovreportError(
        Reason.INVALID_REPORT, f"{place.ref}: 发布日期 should be a date (2024-01-17), not {text!r}"
    )


def read(raw: bytes) -> tuple[pb.AnnualReport, Layout]:
    """A filled form as the AnnualReport the extractor would make of the same tables, and the
    form's layout (to name the findings' cells)."""
    book = load(raw)
    tpl = _version(book)
    layout = layout_of(tpl.version)
    _check_labels(book, layout)
    report = pb.AnnualReport()
    getattr(report, tpl.disclosure_field).SetInParent()  # the version is explicit
    _metadata_from(book, layout, report)
    for number in TABLE_SECTIONS:
        entries = [
            (path, place, column)
            for path, (place, _, column) in layout.cells.items()
            if place.sheet == number
        ]
        cells = {
            path: _cell(_value_at(book, place), column, place) for path, place, column in entries
        }
        given = any(cell.state != pb.CELL_STATE_BLANK for cell in cells.values())
        for path, cell in cells.items():
            if not given:
                # A table with nothing written is one not given (C4), as the extractor marks a
                # table it did not find: not a table of blanks the sums pass over unseen.
                cell.Clear()
                cell.state = pb.CELL_STATE_MISSING
            ensure_cell(report, path).CopyFrom(cell)
        source: pb.TableSource = getattr(report, TABLE_SOURCE_FIELDS[number])
        source.heading = _title(number)
        source.table_found = given
        source.pieces = int(given)
        source.heading_provenance.locator = Place(number, 1, 1).ref
        source.table_provenance.locator = Place(number, 1, 1).ref
    return report, layout


# ---------------------------------------------------------------- findings, named as the form does


def refs(layout: Layout, paths: Iterable[str]) -> list[str]:
    """The form's cells of ``paths``, runs along a line or down a column as one range
    (``三!D5:J5``); paths the form has no cell for are left out."""
    places = [p for p in (layout.where(path) for path in paths) if p is not None]
    out: list[str] = []
    start = 0
    while start < len(places):
        end = start
        while end + 1 < len(places) and _next_to(places[end], places[end + 1], places[start]):
            end += 1
        first, last = places[start], places[end]
        if end == start:
            out.append(first.ref)
        else:
            out.append(f"{first.ref}:{_letter(last.column)}{last.row}")
        start = end + 1
    return out


def _next_to(a: Place, b: Place, first: Place) -> bool:
    if a.sheet != b.sheet:
        return False
    along = a.row == b.row == first.row and b.column == a.column + 1
    down = a.column == b.column == first.column and b.row == a.row + 1
    return along or down


def name_cells(validation: vpb.ValidationReport, layout: Layout) -> None:
    """Adds the form's cell references to each finding's messages (its ``cells`` stay the
    report's field paths, as the API defines them)."""
    for item in validation.findings:
        named = refs(layout, item.cells)
        if not named:
            continue
        if item.message_zh:
            item.message_zh += f"（单元格 {'、'.join(named)}）"
        if item.message_en:
            item.message_en += f" (cells {', '.join(named)})"
