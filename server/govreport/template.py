"""The national template, as data: sections, table rows and columns, labels and aliases.

This module is the one place that knows the template. Both versions are
described here (国办公开办函〔2019〕60号 and 〔2021〕30号); the assembler
finds labels with it, the validator names cells with it, GetTemplate
serves it, and the CLI prints its labels. See ../shared/TEMPLATE.md.

Every table cell has a path: the field path of its row in the
``AnnualReport`` message plus the column's field, e.g.
``application_handling.outcomes.not_disclosed.state_secrets.total``. Where a
row is itself a ``Cell`` (section 二 rows with one column) the column field
is empty and the row path is the cell path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import cache


class Version(int, Enum):
    V2019 = 2019
    V2021 = 2021


class Kind(StrEnum):
    COUNT = "count"
    AMOUNT = "amount"
    CHANGE = "change"


@dataclass(frozen=True, slots=True)
class Column:
    label: str  # as the CLI and TEMPLATE.md name it, nested labels joined with " / "
    field: str  # Cell field in the row message; "" when the row is the Cell
    kind: Kind = Kind.COUNT
    unit: str = ""  # fixed unit of an amount column, "" when written in the cell


@dataclass(frozen=True, slots=True)
class Row:
    label: str  # full label path, e.g. "三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密"
    field: str  # AnnualReport field path of the row
    columns: tuple[Column, ...]
    # What the row's own label cell says, and what else real reports write there.
    names: tuple[str, ...]
    # The enclosing label (a 二 block, or a 三 group) that disambiguates short names.
    parent: str = ""
    number: str = ""  # the item number within its group ("1"…"8"), "" when none
    group_row: bool = False  # a group's own row: subtotal, or the group given as one row
    depth: int = 0

    def cell_path(self, column: Column) -> str:
        return f"{self.field}.{column.field}" if column.field else self.field

    def cell_label(self, column: Column) -> tuple[str, str]:
        return self.label, column.label


@dataclass(frozen=True, slots=True)
class Block:
    """A 二 block: the article it reports on and its rows."""

    label: str  # "第二十条第（一）项"
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Section:
    number: str  # "一" … "六"
    heading: str  # "总体情况"
    field: str  # AnnualReport field
    # Other wordings of the heading seen in real reports (without the number).
    aliases: tuple[str, ...] = ()
    table: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: str  # "error", "warning" or "info"
    description_zh: str
    description_en: str


@dataclass(frozen=True, slots=True)
class Template:
    version: Version
    source: str
    sections: tuple[Section, ...]
    disclosure_blocks: tuple[Block, ...]  # 二
    application_rows: tuple[Row, ...]  # 三
    review_rows: tuple[Row, ...]  # 四
    # Labels found only in this version: the detector scores them.
    signature_labels: tuple[str, ...]

    @property
    def disclosure_rows(self) -> tuple[Row, ...]:
        return tuple(row for block in self.disclosure_blocks for row in block.rows)

    @property
    def disclosure_field(self) -> str:
        return f"proactive_disclosure_{self.version.value}"

    def rows(self) -> tuple[Row, ...]:
        """Every table row of 二, 三 and 四, in the template's order."""
        return self.disclosure_rows + self.application_rows + self.review_rows

    def expects(self, row: Row) -> bool:
        """True for a row every report on this template gives: an item, or a group the
        template does not break into items (2019's （六）其他处理). A group's own row over its
        items (a subtotal) is the report's choice."""
        if not row.group_row:
            return True
        return not any(other.parent == row.names[0] for other in self.application_rows)

    def cells(self) -> list[tuple[str, Row, Column]]:
        """Every table cell as (section number, row, column), in the template's order."""
        out: list[tuple[str, Row, Column]] = []
        for section, rows in (
            ("二", self.disclosure_rows),
            ("三", self.application_rows),
            ("四", self.review_rows),
        ):
            out.extend((section, row, column) for row in rows for column in row.columns)
        return out


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

# ---------------------------------------------------------------- section 二

_ISSUED = (
    Column("本年制发件数", "issued"),
    Column("本年废止件数", "repealed"),
    Column("现行有效件数", "in_force"),
)
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
_DECISIONS_2021 = (Column("本年处理决定数量", ""),)

A1, A5, A6, A8, A9 = (
    "第二十条第（一）项",
    "第二十条第（五）项",
    "第二十条第（六）项",
    "第二十条第（八）项",
    "第二十条第（九）项",
)


def _r2(block: str, name: str, field: str, columns: tuple[Column, ...], *aliases: str) -> Row:
    return Row(f"{block} / {name}", field, columns, (name, *aliases), parent=block, depth=1)


_D21 = "proactive_disclosure_2021"
_D19 = "proactive_disclosure_2019"

DISCLOSURE_2021: tuple[Block, ...] = (
    Block(
        A1,
        (
            _r2(A1, "规章", f"{_D21}.rules", _ISSUED),
            _r2(A1, "行政规范性文件", f"{_D21}.normative_documents", _ISSUED, "规范性文件"),
        ),
    ),
    Block(A5, (_r2(A5, "行政许可", f"{_D21}.licensing_decisions", _DECISIONS_2021),)),
    Block(
        A6,
        (
            _r2(A6, "行政处罚", f"{_D21}.penalty_decisions", _DECISIONS_2021),
            _r2(A6, "行政强制", f"{_D21}.coercion_decisions", _DECISIONS_2021),
        ),
    ),
    Block(
        A8,
        (
            _r2(
                A8,
                "行政事业性收费",
                f"{_D21}.fees_amount",
                (Column("本年收费金额（单位：万元）", "", Kind.AMOUNT, unit="万元"),),
            ),
        ),
    ),
)

DISCLOSURE_2019: tuple[Block, ...] = (
    Block(
        A1,
        (
            _r2(A1, "规章", f"{_D19}.rules", _PUBLISHED_2019),
            _r2(A1, "规范性文件", f"{_D19}.normative_documents", _PUBLISHED_2019, "行政规范性文件"),
        ),
    ),
    Block(
        A5,
        (
            _r2(A5, "行政许可", f"{_D19}.licensing", _ITEMS_2019),
            _r2(A5, "其他对外管理服务事项", f"{_D19}.other_external_services", _ITEMS_2019),
        ),
    ),
    Block(
        A6,
        (
            _r2(A6, "行政处罚", f"{_D19}.penalties", _ITEMS_2019),
            _r2(A6, "行政强制", f"{_D19}.coercion", _ITEMS_2019),
        ),
    ),
    Block(A8, (_r2(A8, "行政事业性收费", f"{_D19}.fees", _ITEMS_2019[:2]),)),
    Block(
        A9,
        (
            _r2(
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


def _application_rows(version: Version) -> tuple[Row, ...]:
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
        if version is Version.V2019 and group_field == "other_handling":
            continue  # the 2019 template gives （六）其他处理 as one row
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

# ---------------------------------------------------------------- rules

RULES: tuple[Rule, ...] = (
    Rule(
        "R1",
        "error",
        "三：每列 一 + 二 = （七）总计 + 四",
        "Section 三, every column: new + carried over = total handled + carried to next year",
    ),
    Rule(
        "R2",
        "error",
        "三：每行 总计 = 六类申请人之和",
        "Section 三, every row: total = sum of the six applicant columns",
    ),
    Rule(
        "R3",
        "error",
        "三：每列 （七）总计 = （一）至（六）之和",
        "Section 三, every column: (七) total = sum of outcomes (一) to (六)",
    ),
    Rule(
        "R3a",
        "error",
        "三：分组小计 = 其各项之和",
        "Section 三: a group's own row equals the sum of its items",
    ),
    Rule(
        "R4",
        "error",
        "四：每组 总计 = 维持 + 纠正 + 其他 + 尚未审结",
        "Section 四, each group: total = upheld + corrected + other + pending",
    ),
    Rule(
        "R5",
        "warning",
        "二（2019）：上一年项目数量 + 本年增/减 = 处理决定数量",
        "Section 二 (2019): previous year + change = decisions",
    ),
    Rule(
        "R6",
        "error",
        "计数为非负整数，金额为小数",
        "Counts are non-negative integers; amounts are decimals",
    ),
    Rule("R6a", "warning", "表格单元格应填写数字", "A table cell should hold a number"),
    Rule(
        "R7",
        "error",
        "跨年度：本年 上年结转 = 上年 结转下年度继续办理",
        "Across years: carried over from last year = last year's carried to next year",
    ),
    Rule(
        "R7a",
        "warning",
        "跨年度：现行有效件数 = 上年现行有效件数 + 本年制发 − 本年废止",
        "Across years: in force = last year's in force + issued − repealed",
    ),
    Rule(
        "R8", "warning", "总体情况中的数字与表格一致", "Figures in section 一 agree with the tables"
    ),
    Rule(
        "R9",
        "error",
        "报告年度与归档年度一致，发布日期晚于报告年度",
        "The report's year agrees with the filing year; it is published after that year",
    ),
    Rule(
        "C1",
        "warning",
        "2021年及以后的报告应使用2021年版格式",
        "A report on 2021 or later uses the 2021 template",
    ),
    Rule("C2", "error", "报告应包含全部六个部分", "A report has all six sections"),
    Rule(
        "C3",
        "warning",
        "2021年版第六部分应说明信息处理费收取情况",
        "Section 六 of a 2021-template report states the information processing fees",
    ),
    Rule("C4", "error", "表格部分应有表格", "A table section gives its table"),
    Rule(
        "C5",
        "info",
        "表三的分组按模板应分项列出",
        "A group of 三 is printed as one row, without the items the template breaks it into",
    ),
    Rule(
        "Q1",
        "warning",
        "识别置信度低或位置不确定的单元格需人工核对",
        "A cell read by OCR with low confidence, or placed without certainty, needs a human check",
    ),
)

# ---------------------------------------------------------------- the two templates

_SIGNATURE_2021 = (
    "本年制发件数",
    "本年废止件数",
    "现行有效件数",
    "本年处理决定数量",
    "本年收费金额",
    "申请人无正当理由逾期不补正",
    "申请人逾期未按收费通知要求缴纳费用",
)
_SIGNATURE_2019 = (
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增/减",
    "其他对外管理服务事项",
    "政府集中采购",
    "采购总金额",
)


@cache
def template(version: Version) -> Template:
    if version is Version.V2021:
        return Template(
            Version.V2021,
            "国办公开办函〔2021〕30号",
            SECTIONS,
            DISCLOSURE_2021,
            _application_rows(version),
            REVIEW_ROWS,
            _SIGNATURE_2021,
        )
    return Template(
        Version.V2019,
        "国办公开办函〔2019〕60号",
        SECTIONS,
        DISCLOSURE_2019,
        _application_rows(version),
        REVIEW_ROWS,
        _SIGNATURE_2019,
    )


def rule(rule_id: str) -> Rule:
    for candidate in RULES:
        if candidate.id == rule_id:
            return candidate
    raise KeyError(rule_id)


@cache
def labels_by_path() -> dict[str, tuple[str, str, str]]:
    """Cell path -> (section, row label, column label), over both versions."""
    out: dict[str, tuple[str, str, str]] = {}
    for version in Version:
        for section, row, column in template(version).cells():
            out[row.cell_path(column)] = (section, row.label, column.label)
    return out
