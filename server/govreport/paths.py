"""Cell paths: from a template cell to the Cell message inside an AnnualReport, and back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from google.protobuf.message import Message

from govreport.templates import (
    LATEST,
    SECTIONS,
    TEMPLATES,
    Column,
    Row,
    Template,
    for_proto,
    template,
)
from govreport.v1 import report_pb2 as pb


def get_cell(report: pb.AnnualReport, path: str) -> pb.Cell | None:
    """The Cell at ``path``, or None when any message on the way is not set."""
    node: Message = report
    for name in path.split("."):
        if not node.HasField(name):
            return None
        node = getattr(node, name)
    assert isinstance(node, pb.Cell)
    return node


def ensure_cell(report: pb.AnnualReport, path: str) -> pb.Cell:
    """The Cell at ``path``, creating the messages on the way (and so marking them set)."""
    node: Message = report
    for name in path.split("."):
        node = getattr(node, name)
    assert isinstance(node, pb.Cell)
    node.SetInParent()
    return node


def report_version(report: pb.AnnualReport) -> int:
    """The template version of a report: the 二 it has, else its metadata, else the latest."""
    for tpl in TEMPLATES.values():
        if report.HasField(tpl.disclosure_field):  # type: ignore[arg-type]
            return tpl.version
    found = for_proto(report.metadata.template_version)
    return (found or LATEST).version


@dataclass(frozen=True, slots=True)
class PlacedCell:
    section: str
    row: Row
    column: Column
    path: str
    cell: pb.Cell


def iter_cells(report: pb.AnnualReport, tpl: Template | None = None) -> Iterator[PlacedCell]:
    """Every set cell of the report, in the template's order."""
    tpl = tpl or template(report_version(report))
    for section, row, column in tpl.cells():
        path = row.cell_path(column)
        cell = get_cell(report, path)
        if cell is not None:
            yield PlacedCell(section, row, column, path, cell)


def cell_value(cell: pb.Cell) -> int | str | None:
    """The cell's value (int count or change, str amount) or None."""
    which = cell.WhichOneof("value")
    if which is None:
        return None
    value: int | str = getattr(cell, which)
    return value


def value_text(cell: pb.Cell) -> str:
    """The value as a person writes it: "12", "+48", "-16", "32248.5"; "" for none."""
    which = cell.WhichOneof("value")
    if which == "change":
        return f"{cell.change:+d}"
    if which is None:
        return ""
    return str(getattr(cell, which))


TABLE_SOURCE_FIELDS = {
    "二": "proactive_disclosure_source",
    "三": "application_handling_source",
    "四": "review_and_litigation_source",
}


def table_source(report: pb.AnnualReport, number: str) -> pb.TableSource | None:
    """How the table of section ``number`` was found; None for a report made without it
    (an older client's, or one written by hand)."""
    source: pb.TableSource = getattr(report, TABLE_SOURCE_FIELDS[number])
    return source if source.ListFields() else None


def sections_present(report: pb.AnnualReport) -> dict[str, bool]:
    """Section number -> whether the report has it: a free-text section's flag; a table
    section's heading or table, or (without a TableSource) any cell read."""
    tpl = template(report_version(report))
    out: dict[str, bool] = {}
    for section in SECTIONS:
        if not section.table:
            out[section.number] = bool(getattr(report, section.field).present)
            continue
        source = table_source(report, section.number)
        if source is not None:
            out[section.number] = bool(source.heading) or source.table_found
            continue
        out[section.number] = any(
            p.cell.state != pb.CELL_STATE_MISSING
            for p in iter_cells(report, tpl)
            if p.section == section.number
        )
    return out
