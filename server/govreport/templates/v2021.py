"""The 2021 template (国办公开办函〔2021〕30号), for reports on 2021 and later."""

from __future__ import annotations

from govreport.templates.common import (
    A1,
    A5,
    A6,
    A8,
    ANCHORS,
    REVIEW_ROWS,
    SECTIONS,
    application_rows,
    disclosure_row,
)
from govreport.templates.model import Column, DisclosureBlock, Kind, Template

_D21 = "proactive_disclosure_2021"
_ISSUED = (
    Column("本年制发件数", "issued"),
    Column("本年废止件数", "repealed"),
    Column("现行有效件数", "in_force"),
)
_DECISIONS_2021 = (Column("本年处理决定数量", ""),)


DISCLOSURE_2021: tuple[DisclosureBlock, ...] = (
    DisclosureBlock(
        A1,
        (
            disclosure_row(A1, "规章", f"{_D21}.rules", _ISSUED),
            disclosure_row(
                A1, "行政规范性文件", f"{_D21}.normative_documents", _ISSUED, "规范性文件"
            ),
        ),
    ),
    DisclosureBlock(
        A5, (disclosure_row(A5, "行政许可", f"{_D21}.licensing_decisions", _DECISIONS_2021),)
    ),
    DisclosureBlock(
        A6,
        (
            disclosure_row(A6, "行政处罚", f"{_D21}.penalty_decisions", _DECISIONS_2021),
            disclosure_row(A6, "行政强制", f"{_D21}.coercion_decisions", _DECISIONS_2021),
        ),
    ),
    DisclosureBlock(
        A8,
        (
            disclosure_row(
                A8,
                "行政事业性收费",
                f"{_D21}.fees_amount",
                (Column("本年收费金额（单位：万元）", "", Kind.AMOUNT, unit="万元"),),
            ),
        ),
    ),
)

SIGNATURE = (
    "本年制发件数",
    "本年废止件数",
    "现行有效件数",
    "本年处理决定数量",
    "本年收费金额",
    "申请人无正当理由逾期不补正",
    "申请人逾期未按收费通知要求缴纳费用",
)
TEMPLATE = Template(
    version=2021,
    source="国办公开办函〔2021〕30号",
    proto=2,  # TEMPLATE_VERSION_2021
    years=range(2021, 10000),
    sections=SECTIONS,
    disclosure_blocks=DISCLOSURE_2021,
    application_rows=application_rows(),
    review_rows=REVIEW_ROWS,
    signature_labels=SIGNATURE,
    anchors={
        **ANCHORS,
        "rules": f"{_D21}.rules",
        "normative_documents": f"{_D21}.normative_documents",
    },
)
