"""What the page shows of each cell: its id, its review status, its rules, where it was read.

A cell's status is the reviewer's first question (is this one to check?):
a broken rule outranks doubt, doubt outranks an empty cell. Every view of a
cell on the page (its outline on the source, its cell in the side tables,
its entry in the page's data) is keyed by the same id.
"""

from __future__ import annotations

from dataclasses import dataclass

from govreport.paths import PlacedCell, iter_cells, value_text
from govreport.render import STATE_WORDS, findings_by_cell
from govreport.settings import OCR_MIN_CONFIDENCE
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2, validation_pb2

# Cell statuses, strongest first; each is a CSS class ``st-<status>``.
STATUSES: tuple[str, ...] = ("suspect", "rule", "warn", "low", "blank", "ok")
STATUS_WORDS: dict[str, str] = {
    "ok": "正常 ok",
    "low": "低置信度 low confidence",
    "rule": "违反规则（错误） breaks a rule (error)",
    "warn": "规则警告 a rule's warning",
    "suspect": "最可能误读 suspect (check first)",
    "blank": "空白或缺失 blank / missing",
}
# The OCR rule: its cells are doubtful, not wrong, so they are amber, not red.
OCR_RULE = "Q1"
_EMPTY_STATES = (pb.CELL_STATE_BLANK, pb.CELL_STATE_MISSING, pb.CELL_STATE_NOT_IN_LAYOUT)


@dataclass(frozen=True, slots=True)
class CellView:
    """One extracted cell as the page shows it: an id shared by its outline and table cell."""

    id: str
    placed: PlacedCell
    status: str
    rules: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.placed.section} · {self.placed.row.label} · {self.placed.column.label}"

    @property
    def aria(self) -> str:
        shown = value_text(self.placed.cell) or STATE_WORDS.get(self.placed.cell.state, "")
        return f"{self.label}: {shown} ({STATUS_WORDS[self.status]})"


@dataclass(frozen=True, slots=True)
class FindingIndex:
    """Which cell paths the findings name, by how a reviewer should see them."""

    broken: dict[str, list[str]]  # path -> ids of the (non-OCR) rules naming it
    doubtful: set[str]  # paths named by an OCR-confidence finding
    suspects: set[str]  # paths a broken sum names as most likely misread
    # Paths of ``broken`` that only warnings name: a doubt to weigh, not a contradiction, so
    # they are told apart from the errors' cells by colour as the findings list tells them.
    warned: frozenset[str] = frozenset()

    @classmethod
    def of(cls, validation: validation_pb2.ValidationReport) -> FindingIndex:
        broken: dict[str, list[str]] = {}
        doubtful: set[str] = set()
        suspects: set[str] = set()
        errors: set[str] = set()
        for finding in validation.findings:
            if finding.severity == validation_pb2.SEVERITY_INFO:
                continue  # a note on the report's layout, not a doubt about a cell
            suspects.update(finding.suspect_cells)
            if finding.rule_id == OCR_RULE:
                doubtful.update(finding.cells)
                continue
            if finding.severity != validation_pb2.SEVERITY_WARNING:
                errors.update(finding.cells)
            for path in finding.cells:
                ids = broken.setdefault(path, [])
                if finding.rule_id not in ids:
                    ids.append(finding.rule_id)
        return cls(broken, doubtful, suspects, frozenset(broken.keys() - errors))


def cell_status(cell: pb.Cell, path: str, index: FindingIndex, min_confidence: float) -> str:
    """One of STATUSES: a broken rule outranks doubt, doubt outranks an empty cell; an error
    outranks a warning."""
    if path in index.suspects:
        return "suspect"
    if path in index.broken:
        return "warn" if path in index.warned else "rule"
    if path in index.doubtful:
        return "low"
    if cell.state in _EMPTY_STATES:
        # An empty cell has no reading to doubt: its confidence says nothing.
        return "blank"
    if cell.confidence < min_confidence:
        return "low"
    return "ok"


def cell_views(
    extraction: service_pb2.Extraction, min_confidence: float = OCR_MIN_CONFIDENCE
) -> list[CellView]:
    """Every cell the report sets, in the template's order, with its status."""
    index = FindingIndex.of(extraction.validation)
    rule_ids = findings_by_cell(extraction.validation)  # Q1 included: the reviewer sees all
    return [
        CellView(
            f"c{number}",
            placed,
            cell_status(placed.cell, placed.path, index, min_confidence),
            tuple(rule_ids.get(placed.path, ())),
        )
        for number, placed in enumerate(iter_cells(extraction.report), start=1)
    ]


def has_provenance(cell: pb.Cell) -> bool:
    """Whether the cell says where it was read (derived cells completed from sums do not)."""
    return cell.HasField("provenance") and bool(cell.provenance.ListFields())


def where_text(provenance: pb.Provenance) -> str:
    """Provenance as a person reads it: page and box, line and characters, locator."""
    parts: list[str] = []
    if provenance.page:
        parts.append(f"第 {provenance.page} 页 page {provenance.page}")
    if provenance.HasField("box"):
        box = provenance.box
        unit = "pt" if box.unit == pb.COORDINATE_UNIT_POINTS else f"px @ {box.dpi} dpi"
        parts.append(f"({box.x0:.1f}, {box.y0:.1f})–({box.x1:.1f}, {box.y1:.1f}) {unit}")
    if provenance.line:
        parts.append(f"第 {provenance.line} 行 line {provenance.line}")
    if provenance.char_end > provenance.char_start:
        parts.append(f"chars {provenance.char_start}–{provenance.char_end}")
    if provenance.locator:
        parts.append(provenance.locator)
    return " · ".join(parts)
