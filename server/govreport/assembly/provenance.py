"""ir.Location -> the Provenance message."""

from __future__ import annotations

from govreport import wire
from govreport.ir import Location
from govreport.v1 import report_pb2 as pb


def provenance(location: Location) -> pb.Provenance:
    out = pb.Provenance(
        page=location.page,
        line=location.line,
        char_start=location.char_start,
        char_end=location.char_end,
        locator=location.locator,
    )
    if location.box is not None:
        box = location.box
        out.box.CopyFrom(
            pb.BoundingBox(
                x0=box.x0,
                y0=box.y0,
                x1=box.x1,
                y1=box.y1,
                unit=wire.UNIT[box.unit],  # type: ignore[arg-type]
                dpi=box.dpi,
            )
        )
    return out
