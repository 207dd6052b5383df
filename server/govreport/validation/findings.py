"""Building findings: one broken rule at one place, named by the template's labels."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from govreport.templates import labels_by_path
from govreport.v1 import validation_pb2 as vpb
from govreport.validation.registry import rule
from govreport.wire import SEVERITY

Number = int | Decimal


def label_of(path: str) -> str:
    """ "三 / 一、本年新收… / 总计" for a cell path; the path itself when it is no template cell."""
    labels = labels_by_path().get(path)
    if labels is None:
        return path
    section, row, column = labels
    return f"{section} / {row} / {column}"


def finding(
    rule_id: str,
    cells: Sequence[str],
    expected: object,
    found: object,
    zh: str,
    en: str,
) -> vpb.Finding:
    definition = rule(rule_id)
    return vpb.Finding(
        rule_id=rule_id,
        severity=SEVERITY[definition.severity],  # type: ignore[arg-type]
        cells=list(cells),
        expected=_text(expected),
        found=_text(found),
        message_zh=zh,
        message_en=en,
    )


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)
