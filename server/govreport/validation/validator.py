"""Runs every rule of the registry that applies to a report and gathers the findings.

The rule modules register their checks on import (registry.py); the order
they run in is the order they are written in: the table's sums and cells,
the reading's confidence, the report as a whole, then across years.
"""

from __future__ import annotations

from govreport.paths import report_version
from govreport.settings import OCR_MIN_CONFIDENCE
from govreport.templates import template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation import cross_year, document_rules, ocr_rules, table_rules
from govreport.validation.ocr_rules import has_ocr_cells, point_at_suspects
from govreport.validation.registry import CHECKS, Context, Registered

# The rule modules, in the order their checks run (each module's in the order written).
_RULE_MODULES = (table_rules, ocr_rules, document_rules, cross_year)


def _in_order() -> list[Registered]:
    names = [m.__name__ for m in _RULE_MODULES]
    return sorted(CHECKS, key=lambda entry: names.index(entry.function.__module__))


def validate(
    report: pb.AnnualReport,
    previous: pb.AnnualReport | None = None,
    filed_year: int = 0,
    ocr_min_confidence: float = OCR_MIN_CONFIDENCE,
) -> vpb.ValidationReport:
    tpl = template(report_version(report))
    context = Context(report, tpl, filed_year, previous, ocr_min_confidence)
    with_previous = previous is not None
    findings: list[vpb.Finding] = []
    checked: set[str] = set()
    for entry in _in_order():
        if not entry.applies(tpl, with_previous):
            continue
        findings.extend(entry.function(context))
        checked.update(r.id for r in entry.rules if r.applies(tpl, with_previous))
    if has_ocr_cells(report, tpl):
        point_at_suspects(findings, report, tpl)
    out = vpb.ValidationReport(findings=findings)
    out.error_count = sum(1 for f in findings if f.severity == vpb.SEVERITY_ERROR)
    out.warning_count = sum(1 for f in findings if f.severity == vpb.SEVERITY_WARNING)
    out.info_count = sum(1 for f in findings if f.severity == vpb.SEVERITY_INFO)
    out.rules_checked.extend(sorted(checked))
    return out
