"""Every map between the domain's enums and the API's (proto) enums, in one place.

The domain speaks its own types (CellState, Unit, Severity, SourceFormat,
template versions); the messages of govreport/v1 carry enum numbers. Each
map here is total over the domain's values, so a new value without a
proto counterpart fails at import, not in a response.
"""

from __future__ import annotations

from govreport.domain import CellState, Severity
from govreport.ir import SourceFormat, Unit
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2
from govreport.v1 import validation_pb2 as vpb

CELL_STATE: dict[CellState, int] = {
    CellState.NUMBER: pb.CELL_STATE_NUMBER,
    CellState.BLANK: pb.CELL_STATE_BLANK,
    CellState.NOT_APPLICABLE: pb.CELL_STATE_NOT_APPLICABLE,
    CellState.TEXT: pb.CELL_STATE_TEXT,
    CellState.MISSING: pb.CELL_STATE_MISSING,
    CellState.NOT_IN_LAYOUT: pb.CELL_STATE_NOT_IN_LAYOUT,
}
CELL_STATE_OF: dict[int, CellState] = {v: k for k, v in CELL_STATE.items()}

UNIT: dict[Unit, int] = {
    Unit.POINTS: pb.COORDINATE_UNIT_POINTS,
    Unit.PIXELS: pb.COORDINATE_UNIT_PIXELS,
}

SEVERITY: dict[Severity, int] = {
    Severity.ERROR: vpb.SEVERITY_ERROR,
    Severity.WARNING: vpb.SEVERITY_WARNING,
    Severity.INFO: vpb.SEVERITY_INFO,
}
SEVERITY_OF: dict[int, Severity] = {v: k for k, v in SEVERITY.items()}

DOCUMENT_FORMAT: dict[SourceFormat, int] = {
    SourceFormat.TEXT: service_pb2.DOCUMENT_FORMAT_TEXT,
    SourceFormat.HTML: service_pb2.DOCUMENT_FORMAT_HTML,
    SourceFormat.DOCX: service_pb2.DOCUMENT_FORMAT_DOCX,
    SourceFormat.PDF: service_pb2.DOCUMENT_FORMAT_PDF,
    SourceFormat.IMAGE: service_pb2.DOCUMENT_FORMAT_IMAGE,
    SourceFormat.PAGE_SET: service_pb2.DOCUMENT_FORMAT_PAGE_SET,
    SourceFormat.LEGACY_WORD: service_pb2.DOCUMENT_FORMAT_LEGACY_WORD,
}
FORMAT_OF: dict[int, SourceFormat] = {v: k for k, v in DOCUMENT_FORMAT.items()}

for _domain, _wire in (
    (CellState, CELL_STATE),
    (Unit, UNIT),
    (Severity, SEVERITY),
    (SourceFormat, DOCUMENT_FORMAT),
):
    _missing = set(_domain) - set(_wire)  # type: ignore[call-overload]
    if _missing:
        raise RuntimeError(f"no proto value for {sorted(map(str, _missing))}")
