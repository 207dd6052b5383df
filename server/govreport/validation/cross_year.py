"""R7: this year's report against the same agency's report for the year before."""

from __future__ import annotations

from collections.abc import Iterator

from govreport.domain import Severity
from govreport.v1 import validation_pb2 as vpb
from govreport.validation.findings import finding
from govreport.validation.reading import number
from govreport.validation.registry import Context, check

# 二's rows whose 现行有效件数 carries over from year to year (anchors of the templates that have them).
_DOCUMENT_ROWS = ("rules", "normative_documents")


@check(
    "R7",
    Severity.ERROR,
    "跨年度：本年 上年结转 = 上年 结转下年度继续办理",
    "Across years: carried over from last year = last year's carried to next year",
    cross_year=True,
)
@check(
    "R7a",
    Severity.WARNING,
    "跨年度：现行有效件数 = 上年现行有效件数 + 本年制发 − 本年废止",
    "Across years: in force = last year's in force + issued − repealed",
    cross_year=True,
)
def check_cross_year(ctx: Context) -> Iterator[vpb.Finding]:
    report, previous, tpl = ctx.report, ctx.previous, ctx.tpl
    assert previous is not None  # a cross-year rule runs only with last year's report
    for column in tpl.row("carried_over").columns:
        this_path = tpl.path("carried_over", column.field)
        last_path = tpl.path("carried_to_next_year", column.field)
        blank_is_zero = column.field != "total"
        this = number(report, this_path, blank_is_zero=blank_is_zero)
        last = number(previous, last_path, blank_is_zero=blank_is_zero)
        if this is None or last is None or this == last:
            continue
        yield finding(
            "R7",
            [this_path],
            last,
            this,
            f"三「{column.label}」列：本年「上年结转」为 {this}，但上年报告「结转下年度继续办理」为 {last}",
            f"Section 三, column {column.label}: carried over from last year is {this}, "
            f"but last year's report carried {last} to this year",
        )
    if not previous.HasField(tpl.disclosure_field):  # type: ignore[arg-type]
        return
    for anchor in _DOCUMENT_ROWS:
        if not tpl.has(anchor) or "in_force" not in {c.field for c in tpl.row(anchor).columns}:
            continue
        label = tpl.row(anchor).names[0]
        in_force_path = tpl.path(anchor, "in_force")
        issued_path, repealed_path = tpl.path(anchor, "issued"), tpl.path(anchor, "repealed")
        in_force = number(report, in_force_path, blank_is_zero=False)
        issued = number(report, issued_path, blank_is_zero=True)
        repealed = number(report, repealed_path, blank_is_zero=True)
        last = number(previous, in_force_path, blank_is_zero=False)
        if None in (in_force, issued, repealed, last):
            continue
        assert (
            in_force is not None
            and issued is not None
            and repealed is not None
            and last is not None
        )
        expected = last + issued - repealed
        if expected == in_force:
            continue
        yield finding(
            "R7a",
            [in_force_path, issued_path, repealed_path],
            expected,
            in_force,
            f"二「{label}」：上年现行有效 {last} + 本年制发 {issued} − 本年废止 {repealed} = {expected}，现行有效件数填 {in_force}",
            f"Section 二, {label}: last year's {last} in force + {issued} issued − {repealed} repealed = {expected}, "
            f"but {in_force} are in force",
        )
