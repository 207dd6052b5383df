from __future__ import annotations

from govreport.ir import Document
from govreport.template import Version
from govreport.v1 import report_pb2 as pb


def assemble(document: Document, version: Version | None = None, *, filename: str = "") -> pb.AnnualReport:
    raise NotImplementedError
