"""The table rules of TEMPLATE.md: the sums of 三 (R1–R3a), of 四 (R4), 2019's 二 (R5), and cell types (R6, R6a)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from govreport.domain import Severity
from govreport.paths import iter_cells
from govreport.templates import Kind, Row, Template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation.findings import Number, finding, label_of
from govreport.validation.reading import is_set, number, tables_without_figures
from govreport.validation.registry import Context, check


def _value(report: pb.AnnualReport, path: str) -> Number | None:
    """Applicant columns read blank as 0; a blank 总计 is not filled in."""
    return number(report, path, blank_is_zero=not path.endswith(".total"))


def _sum(values: list[Number | None]) -> Number | None:
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def _columns(tpl: Template) -> Iterator[tuple[str, str]]:
    for column in tpl.row("new_applications").columns:
        yield column.field, column.label


@check(
    "R1",
    Severity.ERROR,
    "三：每列 一 + 二 = （七）总计 + 四",
    "Section 三, every column: new + carried over = total handled + carried to next year",
    sum_rule=True,
)
def check_balance(ctx: Context) -> Iterator[vpb.Finding]:
    """R1: 一 + 二 = （七）总计 + 四, every column."""
    report, tpl = ctx.report, ctx.tpl
    for field, label in _columns(tpl):
        paths = [
            tpl.path(anchor, field)
            for anchor in (
                "new_applications",
                "carried_over",
                "outcomes_total",
                "carried_to_next_year",
            )
        ]
        values = [_value(report, p) for p in paths]
        left, right = _sum(values[:2]), _sum(values[2:])
        if left is None or right is None or left == right:
            continue
        yield finding(
            "R1",
            paths,
            left,
            right,
            f"三「{label}」列：一、本年新收({values[0]}) + 二、上年结转({values[1]}) = {left}，"
            f"但（七）总计({values[2]}) + 四、结转下年度({values[3]}) = {right}",
            f"Section 三, column {label}: new ({values[0]}) + carried over ({values[1]}) = {left}, "
            f"but total handled ({values[2]}) + carried to next year ({values[3]}) = {right}",
        )


@check(
    "R2",
    Severity.ERROR,
    "三：每行 总计 = 六类申请人之和",
    "Section 三, every row: total = sum of the six applicant columns",
    sum_rule=True,
)
def check_row_totals(ctx: Context) -> Iterator[vpb.Finding]:
    """R2: each row's 总计 = the six applicant columns."""
    report, tpl = ctx.report, ctx.tpl
    for row in tpl.application_rows:
        total_column = row.column("total")
        if not is_set(report, row.cell_path(total_column)):
            continue
        parts = [row.cell_path(c) for c in row.columns if c is not total_column]
        total_path = row.cell_path(total_column)
        total = _value(report, total_path)
        expected = _sum([_value(report, p) for p in parts])
        if total is None or expected is None or total == expected:
            continue
        yield finding(
            "R2",
            [*parts, total_path],
            expected,
            total,
            f"三「{row.label}」行：六类申请人之和为 {expected}，总计填 {total}",
            f"Section 三, row {row.label}: the six applicant columns add up to {expected}, the total says {total}",
        )


def _group_value(
    report: pb.AnnualReport, group: Row, items: list[Row], field: str
) -> tuple[Number | None, list[str]]:
    """A group's figure: its items when the report gives them, else its own row."""
    item_paths = [f"{r.field}.{field}" for r in items if is_set(report, f"{r.field}.{field}")]
    if item_paths:
        return _sum([_value(report, p) for p in item_paths]), item_paths
    own = f"{group.field}.{field}"
    if is_set(report, own):
        return _value(report, own), [own]
    return None, []


@check(
    "R3",
    Severity.ERROR,
    "三：每列 （七）总计 = （一）至（六）之和",
    "Section 三, every column: (七) total = sum of outcomes (一) to (六)",
    sum_rule=True,
)
@check(
    "R3a",
    Severity.ERROR,
    "三：分组小计 = 其各项之和",
    "Section 三: a group's own row equals the sum of its items",
    sum_rule=True,
)
def check_outcome_total(ctx: Context) -> Iterator[vpb.Finding]:
    """R3: （七）总计 = （一） + （二） + Σ（三）…（六）, every column; R3a: group rows = their items."""
    report, tpl = ctx.report, ctx.tpl
    groups = tpl.groups()
    for field, label in _columns(tpl):
        total_path = tpl.path("outcomes_total", field)
        total = _value(report, total_path)
        paths = [tpl.path("disclosed", field), tpl.path("partially_disclosed", field)]
        parts: list[Number | None] = [_value(report, p) for p in paths]
        for group, items in groups:
            value, used = _group_value(report, group, items, field)
            parts.append(value)
            paths.extend(used)
            yield from _check_subtotal(report, group, items, field, label)
        expected = _sum(parts)
        if total is None or expected is None or total == expected:
            continue
        yield finding(
            "R3",
            [*paths, total_path],
            expected,
            total,
            f"三「{label}」列：（一）至（六）之和为 {expected}，（七）总计填 {total}",
            f"Section 三, column {label}: outcomes (一) to (六) add up to {expected}, (七) total says {total}",
        )


def _check_subtotal(
    report: pb.AnnualReport, group: Row, items: list[Row], field: str, label: str
) -> Iterator[vpb.Finding]:
    own = f"{group.field}.{field}"
    item_paths = [f"{r.field}.{field}" for r in items if is_set(report, f"{r.field}.{field}")]
    if not item_paths or not is_set(report, own):
        return
    subtotal, expected = _value(report, own), _sum([_value(report, p) for p in item_paths])
    if subtotal is None or expected is None or subtotal == expected:
        return
    yield finding(
        "R3a",
        [*item_paths, own],
        expected,
        subtotal,
        f"三「{group.names[0]}」「{label}」列：各项之和为 {expected}，小计填 {subtotal}",
        f"Section 三, {group.names[0]}, column {label}: the items add up to {expected}, the group row says {subtotal}",
    )


@check(
    "R4",
    Severity.ERROR,
    "四：每组 总计 = 维持 + 纠正 + 其他 + 尚未审结",
    "Section 四, each group: total = upheld + corrected + other + pending",
    sum_rule=True,
)
def check_review_totals(ctx: Context) -> Iterator[vpb.Finding]:
    """R4: each 四 group's 总计 = 维持 + 纠正 + 其他 + 尚未审结."""
    report, tpl = ctx.report, ctx.tpl
    for row in tpl.review_rows:
        total_column = row.column("total")
        parts = [row.cell_path(c) for c in row.columns if c is not total_column]
        total_path = row.cell_path(total_column)
        total = number(report, total_path, blank_is_zero=False)
        expected = _sum([number(report, p, blank_is_zero=True) for p in parts])
        if total is None or expected is None or total == expected:
            continue
        yield finding(
            "R4",
            [*parts, total_path],
            expected,
            total,
            f"四「{row.label}」：维持、纠正、其他、尚未审结之和为 {expected}，总计填 {total}",
            f"Section 四, {row.label}: upheld + corrected + other + pending = {expected}, the total says {total}",
        )


# 2019's 二 rows that count items: previous year, change, decisions.
_ITEM_ROWS_2019 = ("licensing", "other_external_services", "penalties", "coercion")


@check(
    "R5",
    Severity.WARNING,
    "二（2019）：上一年项目数量 + 本年增/减 = 处理决定数量",
    "Section 二 (2019): previous year + change = decisions",
    versions=(2019,),
)
def check_item_changes(ctx: Context) -> Iterator[vpb.Finding]:
    """R5 (2019 二 blocks （五）（六）): 上一年项目数量 + 本年增/减 = 处理决定数量, a warning."""
    report, tpl = ctx.report, ctx.tpl
    for anchor in _ITEM_ROWS_2019:
        row = tpl.row(anchor)
        paths = [row.cell_path(c) for c in row.columns]
        previous, change, decisions = (number(report, p, blank_is_zero=False) for p in paths)
        if previous is None or change is None or decisions is None:
            continue
        if previous + change == decisions:
            continue
        yield finding(
            "R5",
            paths,
            previous + change,
            decisions,
            f"二「{row.label}」：上一年项目数量 {previous} + 本年增/减 {change:+} = {previous + change}，处理决定数量填 {decisions}",
            f"Section 二, {row.label}: previous year {previous} + change {change:+} = {previous + change}, decisions say {decisions}",
        )


_FRACTION = re.compile(r"^\s*\d+\.\d+\s*$")


@check(
    "R6",
    Severity.ERROR,
    "计数为非负整数，金额为小数",
    "Counts are non-negative integers; amounts are decimals",
)
@check("R6a", Severity.WARNING, "表格单元格应填写数字", "A table cell should hold a number")
def check_cell_types(ctx: Context) -> Iterator[vpb.Finding]:
    """R6: counts are non-negative integers; R6a: a table cell holds a number (a table left out
    as a whole is one C4 finding, not one R6a a cell)."""
    report, tpl = ctx.report, ctx.tpl
    left_out = tables_without_figures(report, tpl)
    for placed in iter_cells(report, tpl):
        if placed.section in left_out:
            continue
        cell, path = placed.cell, placed.path
        label = label_of(path)
        if (
            placed.column.kind is Kind.COUNT
            and cell.WhichOneof("value") == "count"
            and cell.count < 0
        ):
            yield finding(
                "R6",
                [path],
                "≥ 0",
                cell.count,
                f"{label}：计数不能为负数（{cell.count}）",
                f"{label}: a count cannot be negative ({cell.count})",
            )
        elif (
            placed.column.kind is Kind.COUNT
            and cell.state == pb.CELL_STATE_TEXT
            and _FRACTION.match(cell.raw_text)
        ):
            yield finding(
                "R6",
                [path],
                "an integer",
                cell.raw_text,
                f"{label}：计数应为整数（{cell.raw_text}）",
                f"{label}: a count must be a whole number ({cell.raw_text})",
            )
        elif cell.state == pb.CELL_STATE_MISSING:
            yield finding(
                "R6a",
                [path],
                "a number",
                "",
                f"{label}：报告中缺少该单元格",
                f"{label}: the report does not give this cell",
            )
        elif cell.state == pb.CELL_STATE_TEXT and cell.WhichOneof("value") is None:
            yield finding(
                "R6a",
                [path],
                "a number",
                cell.raw_text,
                f"{label}：单元格为文字，无法读出数字",
                f"{label}: the cell holds text, no number can be read from it",
            )
