"""The assembler: an ir.Document in, an AnnualReport out, the same for every input format."""

from __future__ import annotations

import re
from dataclasses import replace

from govreport.assembly.metadata import Found, Metadata, read_metadata
from govreport.assembly.narrative import fill_narrative
from govreport.assembly.provenance import provenance
from govreport.assembly.sections import Layout, split_sections
from govreport.assembly.tables import Filled, read_applications, read_disclosure, read_review
from govreport.errors import GovreportError, Reason
from govreport.ir import Block, Document, Paragraph, Table
from govreport.normalize import label_key, tighten
from govreport.paths import ensure_cell
from govreport.template import Kind, Template, Version, template
from govreport.template_api import PROTO_OF_VERSION
from govreport.v1 import report_pb2 as pb

_STATES = {
    "number": pb.CELL_STATE_NUMBER,
    "blank": pb.CELL_STATE_BLANK,
    "n/a": pb.CELL_STATE_NOT_APPLICABLE,
    "text": pb.CELL_STATE_TEXT,
    "missing": pb.CELL_STATE_MISSING,
}
# Confidence of a value placed by the table's own sums rather than read in its column.
_INFERRED_CONFIDENCE = 0.9
_INT64 = (-(2**63), 2**63 - 1)
_SIGNATURE_DATE = re.compile(r"^[（(]?(?:19|20)\d{2}年\d{1,2}月\d{1,2}日[)）]?$")


def assemble(
    document: Document, version: Version | None = None, *, filename: str = ""
) -> pb.AnnualReport:
    layout = split_sections(document.blocks)
    _check_is_report(layout, filename)
    last = layout.sections[max(layout.sections, key="一二三四五六".index)]
    layout.trailing = _split_signature(last.blocks)
    body = layout.sections["一"].blocks if "一" in layout.sections else []
    meta = read_metadata(layout.preamble, body, layout.trailing)
    year = int(meta.year.value) if meta.year else 0
    tpl = template(version or detect_version(document, year))

    report = pb.AnnualReport()
    _fill_metadata(report.metadata, meta, document, tpl)
    fill_narrative(layout.sections.get("一"), report.overview)
    fill_narrative(layout.sections.get("五"), report.problems_and_improvements)
    fill_narrative(layout.sections.get("六"), report.other_matters)
    # Mark the version's 二 as set even when the section is missing, so the version is explicit.
    getattr(report, tpl.disclosure_field).SetInParent()
    readers = (("二", read_disclosure), ("三", read_applications), ("四", read_review))
    for number, read in readers:
        span = layout.sections.get(number)
        if span is None:
            continue
        found = read(span.blocks, tpl)
        for path, filled in found.items():
            _fill_cell(ensure_cell(report, path), filled, _kind_of(tpl, path))
        if not found:
            # The heading is there, the table is not (left out, or a picture of it): its cells
            # are MISSING, so the section counts as present and the validator says C4 once.
            for section, row, column in tpl.cells():
                if section == number and not row.group_row:
                    ensure_cell(report, row.cell_path(column)).state = pb.CELL_STATE_MISSING
    return report


def _check_is_report(layout: Layout, filename: str) -> None:
    tables = sum(1 for n in "二三四" if n in layout.sections)
    if len(layout.sections) >= 3 or tables >= 1:
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


def detect_version(document: Document, year: int) -> Version:
    """The template version whose own labels the document uses; the report's year breaks a tie."""
    text = label_key("".join(_texts(document.blocks)))
    scores = {
        version: sum(1 for label in template(version).signature_labels if label_key(label) in text)
        for version in Version
    }
    if scores[Version.V2019] > scores[Version.V2021]:
        return Version.V2019
    if scores[Version.V2021] > scores[Version.V2019]:
        return Version.V2021
    return Version.V2019 if 0 < year < 2021 else Version.V2021


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


def _fill_cell(cell: pb.Cell, filled: Filled, kind: Kind) -> None:
    value = filled.value
    if (
        kind is not Kind.AMOUNT
        and isinstance(value.value, int)
        and not _INT64[0] <= value.value <= _INT64[1]
    ):
        # Digits no count can have (the cell's field is int64): kept as text, with a note.
        value = replace(
            value, state="text", value=None, notes=[*value.notes, "number out of range"]
        )
    cell.state = _STATES[value.state]
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
    source = filled.source
    if source is not None:
        cell.raw_text = source.text
        cell.provenance.CopyFrom(provenance(source.location))
        cell.confidence = source.confidence * (_INFERRED_CONFIDENCE if value.derived else 1.0)
    else:
        cell.confidence = _INFERRED_CONFIDENCE if value.state == "number" else 0.0


def _fill_metadata(
    target: pb.ReportMetadata, meta: Metadata, document: Document, tpl: Template
) -> None:
    def put(name: str, found: Found | None) -> str:
        if found is None:
            return ""
        target.sources[name].CopyFrom(provenance(found.location))
        return found.value

    target.title = put("title", meta.title) or document.hints.get("title", "")
    target.agency = put("agency", meta.agency)
    year = put("report_year", meta.year)
    target.report_year = int(year) if year else 0
    target.publication_date = put("publication_date", meta.publication_date)
    target.statistics_period = put("statistics_period", meta.statistics_period)
    target.template_version = PROTO_OF_VERSION[tpl.version]
    for name in ("address", "postcode", "phone", "email", "website"):
        setattr(target.contact, name, put(f"contact.{name}", meta.contact.get(name)))
