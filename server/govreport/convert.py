"""The one façade: bytes in, an Extraction out. The gRPC servicer and the CLI both call this.

The chain is linear, one concern a stage:
readers (bytes -> ir.Document) -> assembler (Document -> AnnualReport)
-> validator (AnnualReport -> ValidationReport).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from govreport import formats, wire
from govreport.assembly import assemble
from govreport.limits import Limits
from govreport.settings import OCR_MIN_CONFIDENCE, Settings
from govreport.templates import for_proto
from govreport.v1 import service_pb2, validation_pb2
from govreport.validation import validate


@dataclass(frozen=True, slots=True)
class ConvertOptions:
    filed_year: int = 0
    template_version: int | None = None
    skip_validation: bool = False
    ocr_min_confidence: float = OCR_MIN_CONFIDENCE  # settings.py: GOVREPORT_OCR_MIN_CONFIDENCE
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, filed_year: int = 0, template_version: int | None = None
    ) -> ConvertOptions:
        """A local run's options: the limits and the OCR threshold a server would apply."""
        return cls(
            filed_year,
            template_version,
            False,
            settings.ocr_min_confidence,
            settings.limits,
        )

    @classmethod
    def from_proto(
        cls,
        options: service_pb2.ExtractOptions,
        ocr_min_confidence: float = OCR_MIN_CONFIDENCE,
        limits: Limits | None = None,
    ) -> ConvertOptions:
        asked = for_proto(options.template_version)
        return cls(
            options.filed_year,
            asked.version if asked is not None else None,
            options.skip_validation,
            ocr_min_confidence,
            limits or Limits(),
        )


def convert(
    content: bytes, filename: str = "", options: ConvertOptions | None = None
) -> service_pb2.Extraction:
    """Extracts and validates one document. Raises GovreportError for input it cannot read."""
    options = options or ConvertOptions()
    started = time.perf_counter()
    document = formats.read(content, filename, options.limits)
    report = assemble(document, options.template_version, filename=filename)
    validation = (
        validation_pb2.ValidationReport()
        if options.skip_validation
        else validate(
            report,
            filed_year=options.filed_year,
            ocr_min_confidence=options.ocr_min_confidence,
        )
    )
    info = service_pb2.DocumentInfo(
        format=wire.DOCUMENT_FORMAT[document.format],  # type: ignore[arg-type]
        filename=filename,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        page_count=document.page_count,
        encoding=document.encoding,
        unread_pages=[
            service_pb2.UnreadPage(page=p.page, reason=p.reason) for p in document.unread_pages
        ],
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
        ocr_pages=document.ocr_pages,
    )
    return service_pb2.Extraction(report=report, validation=validation, document=info)
