"""Rules on the report as a whole: figures in 一 (R8), the year (R9), and compliance (C1–C3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from govreport.domain import Severity
from govreport.paths import iter_cells, sections_present, table_source
from govreport.templates import SECTIONS, Template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation.findings import finding, label_of
from govreport.validation.reading import number, tables_without_figures
from govreport.validation.registry import Context, check

# Cells as (anchor, column) of the templates: resolved for the report's version.
_NEW_TOTAL = (("new_applications", "total"),)
_REVIEW_TOTAL = (("administrative_review", "total"),)
_LITIGATION_TOTALS = (("litigation_without_review", "total"), ("litigation_after_review", "total"))


@dataclass(frozen=True, slots=True)
class NarrativeFigure:
    """A way section 一 states a table figure: the pattern, the cells it speaks of, and a fixed value for "无…"."""

    pattern: re.Pattern[str]
    cells: tuple[tuple[str, str], ...]  # (anchor, column) of the cells it speaks of
    value: int | None = None  # None: the pattern's first group is the figure


_APPLICATION = r"(?:依申请公开|政府信息公开申请|信息公开申请|公开申请)"
NARRATIVE_FIGURES: tuple[NarrativeFigure, ...] = (
    NarrativeFigure(
        re.compile(
            rf"(?:收到|受理|新收)[^。；;，,]{{0,12}}?{_APPLICATION}[^。；;，,\d]{{0,8}}?(\d+)\s*(?:件|个|条|份|宗)"
        ),
        _NEW_TOTAL,
    ),
    NarrativeFigure(
        re.compile(
            rf"(?:收到|受理|新收)\s*(\d+)\s*(?:件|个|条|份|宗)[^。；;，,]{{0,8}}?{_APPLICATION}"
        ),
        _NEW_TOTAL,
    ),
    NarrativeFigure(
        re.compile(rf"(?:无|没有|未收到|未发生|未受理)[^。；;，,]{{0,6}}?{_APPLICATION}"),
        _NEW_TOTAL,
        0,
    ),
    NarrativeFigure(
        re.compile(r"(?:无|没有|未收到|未发生)[^。；;，,]{0,10}?行政复议"), _REVIEW_TOTAL, 0
    ),
    NarrativeFigure(
        re.compile(r"(?:无|没有|未收到|未发生)[^。；;，]{0,20}?行政诉讼"), _LITIGATION_TOTALS, 0
    ),
)


@check(
    "R8",
    Severity.WARNING,
    "总体情况中的数字与表格一致",
    "Figures in section 一 agree with the tables",
)
def check_narrative_figures(ctx: Context) -> Iterator[vpb.Finding]:
    """R8: a figure section 一 states that its table contradicts."""
    report, tpl = ctx.report, ctx.tpl
    text = re.sub(r"\s+", "", report.overview.text)
    seen: set[str] = set()
    for figure in NARRATIVE_FIGURES:
        match = figure.pattern.search(text)
        if match is None:
            continue
        stated = figure.value if figure.value is not None else int(match.group(1))
        for path in (tpl.path(anchor, column) for anchor, column in figure.cells):
            if path in seen:
                continue
            seen.add(path)
            table = number(report, path, blank_is_zero=False)
            if table is None or table == stated:
                continue
            quote = match.group(0)
            yield finding(
                "R8",
                [path],
                table,
                stated,
                f"总体情况称「{quote}」（{stated}），但表格「{label_of(path)}」为 {table}",
                f'Section 一 says "{quote}" ({stated}) but the table\'s {label_of(path)} is {table}',
            )


@check(
    "R9",
    Severity.ERROR,
    "报告年度与归档年度一致，发布日期晚于报告年度",
    "The report's year agrees with the filing year; it is published after that year",
)
def check_year(ctx: Context) -> Iterator[vpb.Finding]:
    """R9: the report's year agrees with the filing year and its statistics period; it is published after it."""
    meta, filed_year = ctx.report.metadata, ctx.filed_year
    year = meta.report_year
    if filed_year and year and year != filed_year:
        yield finding(
            "R9",
            ["metadata.report_year"],
            filed_year,
            year,
            f"报告年度为 {year}，但归档年度为 {filed_year}",
            f"The report is on {year} but is filed under {filed_year}",
        )
    period = re.search(r"((?:19|20)\d{2})年", meta.statistics_period)
    if year and period and int(period.group(1)) != year:
        yield finding(
            "R9",
            ["metadata.statistics_period"],
            year,
            period.group(1),
            f"统计期限（{meta.statistics_period}）与报告年度 {year} 不一致",
            f"The statistics period ({meta.statistics_period}) is not the report's year {year}",
        )
    if year and meta.publication_date and int(meta.publication_date[:4]) <= year:
        yield finding(
            "R9",
            ["metadata.publication_date"],
            f"after {year}-12-31",
            meta.publication_date,
            f"发布日期 {meta.publication_date} 早于报告年度 {year} 结束",
            f"Published on {meta.publication_date}, before the year {year} it reports on had ended",
        )


@check(
    "C1",
    Severity.WARNING,
    "2021年及以后的报告应使用2021年版格式",
    "A report on 2021 or later uses the 2021 template",
    versions=(2019,),
)
def check_template_version(ctx: Context) -> Iterator[vpb.Finding]:
    """C1: a report on a year after its template's (2021 or later on the 2019 template)."""
    tpl = ctx.tpl
    year = ctx.report.metadata.report_year or ctx.filed_year
    if year > tpl.years[-1]:
        yield finding(
            "C1",
            [],
            "2021",
            "2019",
            f"{year} 年度报告仍使用 2019 年版格式（国办公开办函〔2019〕60号），应使用 2021 年版（国办公开办函〔2021〕30号）",
            f"A report on {year} uses the 2019 template; reports on 2021 and later must use the 2021 template",
        )


def looked_for(tpl: Template, number: str) -> str:
    """What a table section's table is recognised by, for a finding that it was not found."""
    rows = tpl.rows_of(number)
    names = [row.names[0] for row in rows]
    columns = [c.label.split(" / ")[-1] for c in rows[0].columns]
    if number == "二":
        blocks = "、".join(b.label for b in tpl.disclosure_blocks)
        return f"{blocks}，行「{'」「'.join(names)}」"
    return f"行「{names[0]}」…「{names[-1]}」，列「{columns[0]}」…「{columns[-1]}」"


@check("C2", Severity.ERROR, "报告应包含全部六个部分", "A report has all six sections")
def check_sections(ctx: Context) -> Iterator[vpb.Finding]:
    """C2: all six sections are there: a heading, or a table section's table."""
    tpl = ctx.tpl
    present = sections_present(ctx.report)
    for section in SECTIONS:
        if present[section.number]:
            continue
        field = tpl.field_of(section.number)
        wanted = f"{section.number}、{section.heading}"
        zh = f"报告缺少第{section.number}部分「{section.heading}」"
        en = f"The report lacks section {section.number} ({section.heading})"
        if section.table:
            what = looked_for(tpl, section.number)
            zh += f"：既没有该部分的标题，也没有它的表格（{what}）"
            en += f": neither its heading nor its table ({what}) was found"
        yield finding("C2", [field], wanted, "", zh, en)


@check("C4", Severity.ERROR, "表格部分应有表格", "A table section gives its table")
def check_tables_given(ctx: Context) -> Iterator[vpb.Finding]:
    """C4: a section that is there (C2 covers one that is not) gives its table."""
    report, tpl = ctx.report, ctx.tpl
    present = sections_present(report)
    left_out = tables_without_figures(report, tpl)
    for section in SECTIONS:
        if not section.table or not present[section.number]:
            continue
        source = table_source(report, section.number)
        missing = not source.table_found if source is not None else section.number in left_out
        if not missing:
            continue
        field = tpl.field_of(section.number)
        what = looked_for(tpl, section.number)
        yield finding(
            "C4",
            [field],
            f"the table of section {section.number}",
            "",
            f"第{section.number}部分「{section.heading}」没有找到表格（或表格是图片，无法读取）；"
            f"查找的是：{what}",
            f"Section {section.number} ({section.heading}) has no table that could be read "
            f"(left out, or only a picture of one); looked for: {what}",
        )


@check(
    "C5",
    Severity.INFO,
    "表三的分组按模板应分项列出",
    "A group of 三 is printed as one row, without the items the template breaks it into",
)
def check_layout(ctx: Context) -> Iterator[vpb.Finding]:
    """C5 (info): groups of 三 printed as one row, their items not broken out. One finding."""
    report, tpl = ctx.report, ctx.tpl
    groups = {
        placed.row.parent
        for placed in iter_cells(report, tpl)
        if placed.cell.state == pb.CELL_STATE_NOT_IN_LAYOUT
    }
    if not groups:
        return
    names = "、".join(sorted(groups, key=lambda name: "一二三四五六七".index(name[1])))
    rows = [row for row in tpl.application_rows if row.group_row and row.names[0] in groups]
    yield finding(
        "C5",
        [row.cell_path(column) for row in rows for column in row.columns],
        "the template's items",
        "one row",
        f"表三的{names}按一行填报，未按模板分项列出；其数字记在该组的行上",
        f"Section 三 gives {names} as one row, without the items the template breaks it into; "
        "its figures are on the group's row",
    )


@check(
    "C3",
    Severity.WARNING,
    "2021年版第六部分应说明信息处理费收取情况",
    "Section 六 of a 2021-template report states the information processing fees",
    versions=(2021,),
)
def check_fee_statement(ctx: Context) -> Iterator[vpb.Finding]:
    """C3: section 六 of a 2021-template report states the 信息处理费 charged."""
    other = ctx.report.other_matters
    if not other.present:
        return
    if "处理费" in re.sub(r"\s+", "", other.text):
        return
    yield finding(
        "C3",
        ["other_matters"],
        "a statement on 信息处理费",
        other.text[:60],
        "第六部分未说明信息处理费收取情况（2021 年版格式要求）",
        "Section 六 does not state the information processing fees charged, as the 2021 template asks",
    )
