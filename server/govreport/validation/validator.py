"""Runs every rule of the template on a report and gathers the findings."""

from __future__ import annotations

from govreport.paths import report_version
from govreport.settings import OCR_MIN_CONFIDENCE
from govreport.template import template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation.cross_year import check_cross_year
from govreport.validation.document_rules import DOCUMENT_CHECKS
from govreport.validation.ocr_rules import check_confidence, has_ocr_cells, point_at_suspects
from govreport.validation.table_rules import TABLE_CHECKS


def validate(
    report: pb.AnnualReport,
    previous: pb.AnnualReport | None = None,
    filed_year: int = 0,
    ocr_min_confidence: float = OCR_MIN_CONFIDENCE,
) -> vpb.ValidationReport:
    tpl = template(report_version(report))
    findings: list[vpb.Finding] = []
    for table_check in TABLE_CHECKS:
        findings.extend(table_check(report, tpl))
    scanned = has_ocr_cells(report, tpl)
    if scanned:
        point_at_suspects(findings, report, tpl)
    findings.extend(check_confidence(report, tpl, ocr_min_confidence))
    for document_check in DOCUMENT_CHECKS:
        findings.extend(document_check(report, tpl, filed_year))
    if previous is not None:
        findings.extend(check_cross_year(report, previous, tpl))
    out = vpb.ValidationReport(findings=findings)
    out.error_count = sum(1 for f in findings if f.severity == vpb.SEVERITY_ERROR)
    out.warning_count = sum(1 for f in findings if f.severity == vpb.SEVERITY_WARNING)
    out.info_count = sum(1 for f in findings if f.severity == vpb.SEVERITY_INFO)
    checks = ["R1", "R2", "R3", "R3a", "R4", "R6", "R6a", "R8", "R9", "C2", "C4", "C5", "Q1"]
    if tpl.version.value == 2019:
        checks += ["R5", "C1"]
    else:
        checks += ["C3"]
    if previous is not None:
        checks += ["R7", "R7a"]
    out.rules_checked.extend(sorted(checks))
    return out
