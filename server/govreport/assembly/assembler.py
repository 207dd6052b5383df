"""The assembler: an ir.Document in, an AnnualReport out, the same for every input format."""

from __future__ import annotations

import re
from dataclasses import replace

from govreport import wire
from govreport.assembly.locate import Located, locate_tables
from govreport.assembly.metadata import Found, Metadata, read_metadata
from govreport.assembly.narrative import fill_narrative
from govreport.assembly.provenance import provenance
from govreport.assembly.sections import Layout, heading_of, split_sections
from govreport.assembly.tables import (
    DOUBTFUL_CONFIDENCE,
    Filled,
    read_applications,
    read_disclosure,
    read_review,
)
from govreport.assembly.values import Value
from govreport.domain import CellState
from govreport.errors import GovreportError, Reason
from govreport.ir import Block, Document, Location, Paragraph, Table
from govreport.normalize import label_key, tighten
from govreport.paths import TABLE_SOURCE_FIELDS, ensure_cell, get_cell
from govreport.templates import TEMPLATES, Kind, Row, Template, for_year, template
from govreport.v1 import report_pb2 as pb

# Confidence of a value placed by the table's own sums rather than read in its column.
_INFERRED_CONFIDENCE = 0.9
_INT64 = (-(2**63), 2**63 - 1)
_SIGNATURE_DATE = re.compile(r"^[（(]?(?:19|20)\d{2}年\d{1,2}月\d{1,2}日[)）]?$")


def assemble(
    document: Document, version: int | None = None, *, filename: str = ""
) -> pb.AnnualReport:
    layout = split_sections(_without_trailing_chrome(document))
    last = (
        layout.sections[max(layout.sections, key="一二三四五六".index)] if layout.sections else None
    )
    layout.trailing = _split_signature(last.blocks) if last is not None else []
    body = layout.sections["一"].blocks if "一" in layout.sections else []
    meta = read_metadata(layout.preamble, body, layout.trailing)
    year = int(meta.year.value) if meta.year else 0
    tpl = template(version or detect_version(document, year))
    located = locate_tables(layout.blocks, tpl)
    _check_is_report(layout, located, filename)

    report = pb.AnnualReport()
    _fill_metadata(report.metadata, meta, document, tpl)
    for number, target in (
        ("一", report.overview),
        ("五", report.problems_and_improvements),
        ("六", report.other_matters),
    ):
        span = layout.sections.get(number)
        if span is not None:
            span.blocks = [
                b for b, i in zip(span.blocks, span.indices, strict=False) if i not in located.owner
            ]
        fill_narrative(span, target)
    # Mark the version's 二 as set even when the section is missing, so the version is explicit.
    getattr(report, tpl.disclosure_field).SetInParent()
    readers = (("二", read_disclosure), ("三", read_applications), ("四", read_review))
    for number, read in readers:
        blocks = _table_blocks(layout, located, number)
        found = read(blocks, tpl) if blocks else {}
        given = any(f.value.state != CellState.MISSING for f in found.values())
        _fill_source(getattr(report, TABLE_SOURCE_FIELDS[number]), layout, located, number, given)
        for path, filled in found.items():
            _fill_cell(ensure_cell(report, path), filled, _kind_of(tpl, path))
        _complete(report, tpl, number)
    return report


def _without_trailing_chrome(document: Document) -> list[Block]:
    """The blocks without a web page's footer: what follows the element holding the report's
    tables, when no section heading comes after it."""
    end = document.content_end
    if end is None or end >= len(document.blocks):
        return document.blocks
    tail = document.blocks[end:]
    if any(isinstance(b, Paragraph) and heading_of(b.text) is not None for b in tail):
        return document.blocks
    return document.blocks[:end]


def _table_blocks(layout: Layout, located: Located, number: str) -> list[Block]:
    """The blocks a table section is read from: the tables recognised as its own, wherever they
    stand, and what follows its heading except tables recognised as another section's."""
    span = layout.sections.get(number)
    indices = {i for i, owner in located.owner.items() if owner == number}
    if span is not None:
        indices |= {i for i in span.indices if located.owner.get(i, number) == number}
    return [layout.blocks[i] for i in sorted(indices)]


def _fill_source(
    source: pb.TableSource, layout: Layout, located: Located, number: str, given: bool
) -> None:
    span = layout.sections.get(number)
    if span is not None:
        source.heading = span.heading.text.strip()
        source.heading_provenance.CopyFrom(provenance(span.heading.location))
    pieces = [i for i, owner in located.owner.items() if owner == number]
    source.table_found = bool(pieces) or given
    source.pieces = len(pieces) if pieces else int(given)
    first = located.first(number)
    if first is not None:
        source.table_provenance.CopyFrom(provenance(_location_of(layout.blocks[first])))


def _location_of(block: Block) -> Location:
    if isinstance(block, Table) and block.location.page == 0:
        # A ragged table is where its first cell is.
        return next((row[0].location for row in block.rows if row), block.location)
    return block.location


def _complete(report: pb.AnnualReport, tpl: Template, number: str) -> None:
    """Every cell of the section's template rows is listed: a group of 三 printed as one row
    has its items marked not in the layout; any other cell not read is missing."""
    rows = list({id(row): row for section, row, _ in tpl.cells() if section == number}.values())
    for group in {row.names[0]: row for row in rows if row.group_row}.values():
        items = [row for row in rows if row.parent == group.names[0]]
        if not items or not _given(report, group) or any(_given(report, item) for item in items):
            continue
        for item in items:
            for column in item.columns:
                cell = ensure_cell(report, item.cell_path(column))
                cell.state = pb.CELL_STATE_NOT_IN_LAYOUT
                cell.notes.append(
                    f"the report prints {group.names[0]} as one row, without its items"
                )
    for section, row, column in tpl.cells():
        if section != number or not tpl.expects(row):
            continue
        path = row.cell_path(column)
        if get_cell(report, path) is None:
            ensure_cell(report, path).state = pb.CELL_STATE_MISSING


def _given(report: pb.AnnualReport, row: Row) -> bool:
    """True when the document gave the row: some cell of it is read, not missing."""
    for column in row.columns:
        cell = get_cell(report, row.cell_path(column))
        if cell is not None and cell.state not in (
            pb.CELL_STATE_MISSING,
            pb.CELL_STATE_NOT_IN_LAYOUT,
        ):
            return True
    return False


def _check_is_report(layout: Layout, located: Located, filename: str) -> None:
    tables = {n for n in "二三四" if n in layout.sections or located.found(n)}
    if len(layout.sections) >= 3 or tables:
        return
    name = filename or "the document"
    raise GovreportError(
        Reason.NOT_A_REPORT,
        f"{name} does not look like a 政府信息公开工作年度报告: found "
        f"{len(layout.sections)} of the template's six section headings "
        "(一、总体情况 … 六、其他需要报告的事项) and none of its tables",
    )


def _split_signature(blocks: list[Block]) -> list[Block]:
    """Moves the closing signature (agency name, date) off the end of the last section."""
    trailing: list[Block] = []
    while blocks and isinstance(blocks[-1], Paragraph):
        text = tighten(blocks[-1].text)
        is_date = bool(_SIGNATURE_DATE.match(text))
        looks_like_name = (
            len(text) <= 30 and not re.search(r"[。；;，,！!？?]", text) and bool(trailing)
        )
        if not (is_date or looks_like_name):
            break
        trailing.insert(0, blocks.pop())
    return trailing


def detect_version(document: Document, year: int) -> int:
    """The template version whose own labels the document uses most; the report's year breaks
    a tie (the template in force that year)."""
    text = label_key("".join(_texts(document.blocks)))
    scores = {
        version: sum(1 for label in tpl.signature_labels if label_key(label) in text)
        for version, tpl in TEMPLATES.items()
    }
    best = max(scores.values())
    leaders = [version for version, score in scores.items() if score == best]
    if len(leaders) == 1:
        return leaders[0]
    return for_year(year).version


def _texts(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Table):
            out.extend(c.text for row in block.rows for c in row)
    return out


def _kind_of(tpl: Template, path: str) -> Kind:
    for row in tpl.rows():
        for column in row.columns:
            if row.cell_path(column) == path:
                return column.kind
    return Kind.COUNT


def put_value(cell: pb.Cell, value: Value, kind: Kind) -> Value:
    """Writes a parsed value into a Cell (state, the field of its kind, unit, notes); returns
    the value as written. The extractor and the fill-in form (workbook.py) both use it."""
    if (
        kind is not Kind.AMOUNT
        and isinstance(value.value, int)
        and not _INT64[0] <= value.value <= _INT64[1]
    ):
        # Digits no count can have (the cell's field is int64): kept as text, with a note.
        value = replace(
            value, state=CellState.TEXT, value=None, notes=[*value.notes, "number out of range"]
        )
    cell.state = wire.CELL_STATE[value.state]  # type: ignore[assignment]
    if value.value is not None:
        if kind is Kind.AMOUNT:
            cell.amount = str(value.value)
        elif kind is Kind.CHANGE:
            cell.change = int(value.value)
        else:
            cell.count = int(value.value)
    cell.unit = value.unit
    cell.derived = value.derived
    cell.notes.extend(value.notes)
    return value


def _fill_cell(cell: pb.Cell, filled: Filled, kind: Kind) -> None:
    value = put_value(cell, filled.value, kind)
    source = filled.source
    if source is not None:
        cell.raw_text = source.text
        cell.provenance.CopyFrom(provenance(source.location))
        cell.confidence = source.confidence * (_INFERRED_CONFIDENCE if value.derived else 1.0)
    else:
        cell.confidence = _INFERRED_CONFIDENCE if value.state == CellState.NUMBER else 0.0
    if filled.doubt:
        # Read right, perhaps, but not surely in its place: under the threshold, so it is flagged.
        cell.confidence = min(cell.confidence, DOUBTFUL_CONFIDENCE)
        if filled.doubt not in cell.notes:
            cell.notes.append(filled.doubt)


def _fill_metadata(
    target: pb.ReportMetadata, meta: Metadata, document: Document, tpl: Template
) -> None:
    def put(name: str, found: Found | None) -> str:
        if found is None:
            return ""
        target.sources[name].CopyFrom(provenance(found.location))
        return found.value

    target.title = put("title", meta.title) or document.hints.title
    target.agency = put("agency", meta.agency)
    year = put("report_year", meta.year)
    target.report_year = int(year) if year else 0
    target.publication_date = put("publication_date", meta.publication_date)
    target.statistics_period = put("statistics_period", meta.statistics_period)
    target.template_version = tpl.proto  # type: ignore[assignment]
    for name in ("address", "postcode", "phone", "email", "website"):
        setattr(target.contact, name, put(f"contact.{name}", meta.contact.get(name)))
