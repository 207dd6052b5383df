"""What both versions of the template share: the six sections, 三 and 四, and the words of 二.

See ../shared/TEMPLATE.md. The versions (v2019.py, v2021.py) add their own
二 and the layout of 三 they prescribe.
"""

from __future__ import annotations

from govreport.templates.model import Column, Row, Section

SECTIONS: tuple[Section, ...] = (
    Section("一", "总体情况", "overview", ("总体概述", "概述")),
    Section("二", "主动公开政府信息情况", "proactive_disclosure", table=True),
    Section("三", "收到和处理政府信息公开申请情况", "application_handling", table=True),
    Section(
        "四",
        "政府信息公开行政复议、行政诉讼情况",
        "review_and_litigation",
        ("政府信息公开行政复议和行政诉讼情况", "行政复议、行政诉讼情况"),
        table=True,
    ),
    Section(
        "五",
        "存在的主要问题及改进情况",
        "problems_and_improvements",
        ("存在的主要问题和改进情况", "存在的主要问题及改进措施"),
    ),
    Section("六", "其他需要报告的事项", "other_matters", ("其他需要报告事项",)),
)

# Words real reports put around a section heading's wording
# ("五、政府信息公开工作存在的主要问题及改进情况", "一、2023年度总体情况"): a heading may carry
# these (and a year) besides its wording and still be the heading.
HEADING_EXTRA_WORDS: tuple[str, ...] = (
    "政府信息公开工作",
    "政府信息公开",
    "信息公开工作",
    "信息公开",
    "本机关",
    "本单位",
    "我局",
    "年度",
    "全年",
    "工作",
    "年",
)

# Column and group headings that only one table has: with its rows' labels, they tell which
# table a table is, whatever heading stands above it (or none: a seal over it, a frame).
TABLE_MARKERS: dict[str, tuple[str, ...]] = {
    "二": (
        "信息内容",
        "第二十条第（一）项",
        "第二十条第（五）项",
        "第二十条第（六）项",
        "第二十条第（八）项",
        "第二十条第（九）项",
        "本年制发件数",
        "本年废止件数",
        "现行有效件数",
        "本年处理决定数量",
        "本年收费金额（单位：万元）",
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "本年增/减",
        "处理决定数量",
        "采购项目数量",
        "采购总金额",
    ),
    "三": (
        "申请人情况",
        "自然人",
        "法人或其他组织",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "三、本年度办理结果",
        "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和",
    ),
    "四": (
        "行政复议",
        "行政诉讼",
        "未经复议直接起诉",
        "复议后起诉",
        "结果维持",
        "结果纠正",
        "其他结果",
        "尚未审结",
    ),
}

# Wordings that head a table's columns or groups: they end the row being read.
HEADER_WORDS: tuple[str, ...] = (
    "信息内容",
    "申请人情况",
    "法人或其他组织",
    "本年度办理结果",
    "本列数据的勾稽关系",
    "自然人",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
    "行政诉讼",
    "结果维持",
    "结果纠正",
    "其他结果",
    "尚未审结",
    "主动公开政府信息情况",
    "收到和处理政府信息公开申请情况",
    "行政复议行政诉讼情况",
    "本年制发件数",
    "本年废止件数",
    "现行有效件数",
    "本年处理决定数量",
    "本年收费金额",
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增减",
    "处理决定数量",
    "采购项目数量",
    "采购总金额",
)

# ---------------------------------------------------------------- section 二 (shared pieces)

A1, A5, A6, A8, A9 = (
    "第二十条第（一）项",
    "第二十条第（五）项",
    "第二十条第（六）项",
    "第二十条第（八）项",
    "第二十条第（九）项",
)


def disclosure_row(
    block: str, name: str, field: str, columns: tuple[Column, ...], *aliases: str
) -> Row:
    return Row(f"{block} / {name}", field, columns, (name, *aliases), parent=block, depth=1)


# ---------------------------------------------------------------- section 三

APPLICANT_COLUMNS: tuple[Column, ...] = (
    Column("自然人", "natural_persons"),
    Column("法人或其他组织 / 商业企业", "commercial_enterprises"),
    Column("法人或其他组织 / 科研机构", "research_institutions"),
    Column("法人或其他组织 / 社会公益组织", "social_welfare_organizations"),
    Column("法人或其他组织 / 法律服务机构", "legal_service_organizations"),
    Column("法人或其他组织 / 其他", "other_organizations"),
    Column("总计", "total"),
)

_AH = "application_handling"
_OUT = f"{_AH}.outcomes"
_RESULTS = "三、本年度办理结果"

# (group label, group field, [(number, name, field, aliases)])
_GROUPS: tuple[tuple[str, str, tuple[tuple[str, str, str, tuple[str, ...]], ...]], ...] = (
    (
        "（三）不予公开",
        "not_disclosed",
        (
            ("1", "属于国家秘密", "state_secrets", ()),
            ("2", "其他法律行政法规禁止公开", "prohibited_by_law", ("其他法律法规禁止公开",)),
            ("3", "危及“三安全一稳定”", "endangers_security_or_stability", ("危及三安全一稳定",)),
            ("4", "保护第三方合法权益", "third_party_rights", ()),
            ("5", "属于三类内部事务信息", "internal_affairs", ()),
            ("6", "属于四类过程性信息", "process_information", ()),
            ("7", "属于行政执法案卷", "law_enforcement_files", ()),
            ("8", "属于行政查询事项", "administrative_inquiries", ()),
        ),
    ),
    (
        "（四）无法提供",
        "unable_to_provide",
        (
            ("1", "本机关不掌握相关政府信息", "not_held", ()),
            ("2", "没有现成信息需要另行制作", "would_need_creating", ()),
            ("3", "补正后申请内容仍不明确", "unclear_after_correction", ()),
        ),
    ),
    (
        "（五）不予处理",
        "not_processed",
        (
            ("1", "信访举报投诉类申请", "petitions_and_complaints", ()),
            ("2", "重复申请", "repeated_applications", ()),
            ("3", "要求提供公开出版物", "publications_requested", ()),
            ("4", "无正当理由大量反复申请", "excessive_applications", ()),
            ("5", "要求行政机关确认或重新出具已获取信息", "confirmation_requested", ()),
        ),
    ),
    (
        "（六）其他处理",
        "other_handling",
        (
            (
                "1",
                "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                "not_corrected_in_time",
                (),
            ),
            (
                "2",
                "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                "fees_not_paid",
                (),
            ),
            ("3", "其他", "other", ()),
        ),
    ),
)


def application_rows(*, one_row_groups: tuple[str, ...] = ()) -> tuple[Row, ...]:
    """三's rows; the groups named (their fields) are one row with no items in this version."""

    def top(name: str, field: str) -> Row:
        return Row(name, f"{_AH}.{field}", APPLICANT_COLUMNS, (name,))

    def outcome(name: str, field: str, *aliases: str) -> Row:
        return Row(
            f"{_RESULTS} / {name}",
            f"{_OUT}.{field}",
            APPLICANT_COLUMNS,
            (name, *aliases),
            parent=_RESULTS,
            depth=1,
        )

    rows = [
        top("一、本年新收政府信息公开申请数量", "new_applications"),
        top("二、上年结转政府信息公开申请数量", "carried_over_from_previous_year"),
        outcome("（一）予以公开", "disclosed"),
        outcome(
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            "partially_disclosed",
            "（二）部分公开",
        ),
    ]
    for group, group_field, items in _GROUPS:
        rows.append(
            Row(
                f"{_RESULTS} / {group}",
                f"{_OUT}.{group_field}.group",
                APPLICANT_COLUMNS,
                (group,),
                parent=_RESULTS,
                group_row=True,
                depth=1,
            )
        )
        if group_field in one_row_groups:
            continue
        for number, name, field, aliases in items:
            rows.append(
                Row(
                    f"{_RESULTS} / {group} / {number}.{name}",
                    f"{_OUT}.{group_field}.{field}",
                    APPLICANT_COLUMNS,
                    (f"{number}.{name}", *(f"{number}.{a}" for a in aliases)),
                    parent=group,
                    number=number,
                    depth=2,
                )
            )
    rows.append(outcome("（七）总计", "total"))
    rows.append(top("四、结转下年度继续办理", "carried_over_to_next_year"))
    return tuple(rows)


# ---------------------------------------------------------------- section 四

CASE_COLUMNS: tuple[Column, ...] = (
    Column("结果维持", "upheld"),
    Column("结果纠正", "corrected"),
    Column("其他结果", "other"),
    Column("尚未审结", "pending"),
    Column("总计", "total"),
)

_RL = "review_and_litigation"
REVIEW_ROWS: tuple[Row, ...] = (
    Row("行政复议", f"{_RL}.administrative_review", CASE_COLUMNS, ("行政复议",)),
    Row(
        "行政诉讼 / 未经复议直接起诉",
        f"{_RL}.litigation_without_review",
        CASE_COLUMNS,
        ("未经复议直接起诉",),
        parent="行政诉讼",
        depth=1,
    ),
    Row(
        "行政诉讼 / 复议后起诉",
        f"{_RL}.litigation_after_review",
        CASE_COLUMNS,
        ("复议后起诉",),
        parent="行政诉讼",
        depth=1,
    ),
)


# Rows the rules and readers name, common to both versions (name -> row field path).
ANCHORS: dict[str, str] = {
    "new_applications": f"{_AH}.new_applications",
    "carried_over": f"{_AH}.carried_over_from_previous_year",
    "disclosed": f"{_OUT}.disclosed",
    "partially_disclosed": f"{_OUT}.partially_disclosed",
    "outcomes_total": f"{_OUT}.total",
    "carried_to_next_year": f"{_AH}.carried_over_to_next_year",
    "administrative_review": f"{_RL}.administrative_review",
    "litigation_without_review": f"{_RL}.litigation_without_review",
    "litigation_after_review": f"{_RL}.litigation_after_review",
}
