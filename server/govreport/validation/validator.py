from __future__ import annotations

from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb


def validate(
    report: pb.AnnualReport, previous: pb.AnnualReport | None = None, filed_year: int = 0
) -> vpb.ValidationReport:
    raise NotImplementedError
