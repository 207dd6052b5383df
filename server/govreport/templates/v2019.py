"""The 2019 template (国办公开办函〔2019〕60号), for reports on 2019 and 2020.

Its 二 counts items (上一年项目数量, 本年增/减, 处理决定数量) and
procurement; its 三 gives （六）其他处理 as one row.
"""

from __future__ import annotations

from govreport.templates.common import (
    A1,
    A5,
    A6,
    A8,
    A9,
    ANCHORS,
    REVIEW_ROWS,
    SECTIONS,
    application_rows,
    disclosure_row,
)
from govreport.templates.model import Column, DisclosureBlock, Kind, Template

_D19 = "proactive_disclosure_2019"
_PUBLISHED_2019 = (
    Column("本年新制作数量", "newly_made"),
    Column("本年新公开数量", "newly_published"),
    Column("对外公开总数量", "total_published"),
)
_ITEMS_2019 = (
    Column("上一年项目数量", "previous_year_items"),
    Column("本年增/减", "change", Kind.CHANGE),
    Column("处理决定数量", "decisions"),
)

DISCLOSURE_2019: tuple[DisclosureBlock, ...] = (
    DisclosureBlock(
        A1,
        (
            disclosure_row(A1, "规章", f"{_D19}.rules", _PUBLISHED_2019),
            disclosure_row(
                A1, "规范性文件", f"{_D19}.normative_documents", _PUBLISHED_2019, "行政规范性文件"
            ),
        ),
    ),
    DisclosureBlock(
        A5,
        (
            disclosure_row(A5, "行政许可", f"{_D19}.licensing", _ITEMS_2019),
            disclosure_row(
                A5, "其他对外管理服务事项", f"{_D19}.other_external_services", _ITEMS_2019
            ),
        ),
    ),
    DisclosureBlock(
        A6,
        (
            disclosure_row(A6, "行政处罚", f"{_D19}.penalties", _ITEMS_2019),
            disclosure_row(A6, "行政强制", f"{_D19}.coercion", _ITEMS_2019),
        ),
    ),
    DisclosureBlock(A8, (disclosure_row(A8, "行政事业性收费", f"{_D19}.fees", _ITEMS_2019[:2]),)),
    DisclosureBlock(
        A9,
        (
            disclosure_row(
                A9,
                "政府集中采购",
                f"{_D19}.procurement",
                (
                    Column("采购项目数量", "projects"),
                    Column("采购总金额", "total_amount", Kind.AMOUNT),
                ),
            ),
        ),
    ),
)

SIGNATURE = (
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增/减",
    "其他对外管理服务事项",
    "政府集中采购",
    "采购总金额",
)


TEMPLATE = Template(
    version=2019,
    source="国办公开办函〔2019〕60号",
    proto=1,  # TEMPLATE_VERSION_2019
    years=range(2019, 2021),
    sections=SECTIONS,
    disclosure_blocks=DISCLOSURE_2019,
    application_rows=application_rows(one_row_groups=("other_handling",)),
    review_rows=REVIEW_ROWS,
    signature_labels=SIGNATURE,
    anchors={
        **ANCHORS,
        "licensing": f"{_D19}.licensing",
        "other_external_services": f"{_D19}.other_external_services",
        "penalties": f"{_D19}.penalties",
        "coercion": f"{_D19}.coercion",
    },
)
