"""A hand-built Extraction and a fake convert/validate, for tests that must not depend on the
real extractor (service plumbing, CLI output formats, error mapping)."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

from govreport.convert import ConvertOptions
from govreport.errors import GovreportError, Reason
from govreport.paths import ensure_cell
from govreport.templates import Kind, template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2, validation_pb2

TITLE = "测试市卫生健康局2023年政府信息公开工作年度报告"
PENALTY_PATH = "proactive_disclosure_2021.penalty_decisions"
NEW_TOTAL_PATH = "application_handling.new_applications.total"
NEW_NATURAL_PATH = "application_handling.new_applications.natural_persons"
PENALTY_TEXT = "一般程序案件29起，简易程序案件23起"


def make_report() -> pb.AnnualReport:
    """A 2021-template report: every non-group cell 0, except a few with something to show."""
    report = pb.AnnualReport()
    meta = report.metadata
    meta.title = TITLE
    meta.agency = "测试市卫生健康局"
    meta.report_year = 2023
    meta.publication_date = "2024-01-08"
    meta.template_version = pb.TEMPLATE_VERSION_2021
    meta.contact.phone = "0453-1234567"
    for narrative in (report.overview, report.problems_and_improvements, report.other_matters):
        narrative.present = True
    for _section, row, column in template(2021).cells():
        if row.group_row:
            continue
        cell = ensure_cell(report, row.cell_path(column))
        cell.state = pb.CELL_STATE_NUMBER
        cell.raw_text = "0"
        cell.confidence = 1.0
        cell.provenance.line = 40
        if column.kind is Kind.AMOUNT:
            cell.amount = "0"
            cell.unit = "万元"
        else:
            cell.count = 0
    penalty = ensure_cell(report, PENALTY_PATH)
    penalty.state = pb.CELL_STATE_TEXT
    penalty.raw_text = PENALTY_TEXT
    penalty.count = 52
    penalty.derived = True
    penalty.confidence = 0.8
    new_total = ensure_cell(report, NEW_TOTAL_PATH)
    new_total.count = 7
    new_total.raw_text = "7"
    new_total.provenance.page = 3
    blank = ensure_cell(report, "review_and_litigation.administrative_review.pending")
    blank.state = pb.CELL_STATE_BLANK
    blank.raw_text = ""
    blank.ClearField("count")
    return report


def make_validation() -> validation_pb2.ValidationReport:
    return validation_pb2.ValidationReport(
        findings=[
            validation_pb2.Finding(
                rule_id="R2",
                severity=validation_pb2.SEVERITY_ERROR,
                cells=[NEW_TOTAL_PATH, NEW_NATURAL_PATH],
                expected="0",
                found="7",
                message_zh="一、本年新收政府信息公开申请数量：总计 7 ≠ 各列之和 0",
                message_en="new applications: total 7 != sum of columns 0",
            )
        ],
        error_count=1,
        rules_checked=["R1", "R2"],
    )


def make_extraction(content: bytes = b"fake", filename: str = "fake.txt") -> service_pb2.Extraction:
    return service_pb2.Extraction(
        report=make_report(),
        validation=make_validation(),
        document=service_pb2.DocumentInfo(
            format=service_pb2.DOCUMENT_FORMAT_TEXT,
            filename=filename,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            encoding="utf-8",
        ),
    )


@dataclass
class Call:
    filename: str
    size: int
    sha256: str
    filed_year: int


@dataclass
class FakeBackend:
    """convert(): ``FAIL…`` -> NOT_A_REPORT, ``BOOM…`` -> RuntimeError, ``SLEEP=s;…`` sleeps s
    seconds first; anything else -> make_extraction(). validate() returns make_validation()."""

    calls: list[Call] = field(default_factory=list)
    validate_calls: list[tuple[str, bool, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def convert(
        self, content: bytes, filename: str = "", options: ConvertOptions | None = None
    ) -> service_pb2.Extraction:
        options = options or ConvertOptions()
        with self._lock:
            self.calls.append(
                Call(
                    filename, len(content), hashlib.sha256(content).hexdigest(), options.filed_year
                )
            )
        if content.startswith(b"SLEEP="):
            time.sleep(float(content[6:].split(b";", 1)[0]))
        if content.startswith(b"FAIL"):
            raise GovreportError(Reason.NOT_A_REPORT, f"{filename} is not an annual report")
        if content.startswith(b"BOOM"):
            raise RuntimeError(f"secret document text: {content[:40]!r}")
        return make_extraction(content, filename)

    def validate(
        self,
        report: pb.AnnualReport,
        previous: pb.AnnualReport | None = None,
        filed_year: int = 0,
        ocr_min_confidence: float = 0.8,
    ) -> validation_pb2.ValidationReport:
        with self._lock:
            self.validate_calls.append((report.metadata.title, previous is not None, filed_year))
        return make_validation()

    def last_call(self, filename: str) -> Call:
        with self._lock:
            return next(c for c in reversed(self.calls) if c.filename == filename)


def spare_cores_seen(
    content: bytes, filename: str, options: ConvertOptions
) -> service_pb2.Extraction:
    """A worker's convert that reports the spare cores it could borrow for a scan's pages."""
    from govreport.ocr import pages

    spare = pages._spare
    seen = "none" if spare is None else str(spare.value)
    return service_pb2.Extraction(document=service_pb2.DocumentInfo(filename=f"spare={seen}"))
