"""R7: this year's report against the same agency's report for the year before."""

from __future__ import annotations

from collections.abc import Iterator

from govreport.template import APPLICANT_COLUMNS, Template, Version
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb
from govreport.validation.findings import finding
from govreport.validation.reading import number

_DOCUMENT_ROWS = (("rules", "规章"), ("normative_documents", "行政规范性文件"))


def check_cross_year(
    report: pb.AnnualReport, previous: pb.AnnualReport, tpl: Template
) -> Iterator[vpb.Finding]:
    for column in APPLICANT_COLUMNS:
        this_path = f"application_handling.carried_over_from_previous_year.{column.field}"
        last_path = f"application_handling.carried_over_to_next_year.{column.field}"
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
    if tpl.version is not Version.V2021 or not previous.HasField("proactive_disclosure_2021"):
        return
    for field, label in _DOCUMENT_ROWS:
        base = f"proactive_disclosure_2021.{field}"
        in_force = number(report, f"{base}.in_force", blank_is_zero=False)
        issued = number(report, f"{base}.issued", blank_is_zero=True)
        repealed = number(report, f"{base}.repealed", blank_is_zero=True)
        last = number(previous, f"{base}.in_force", blank_is_zero=False)
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
            [f"{base}.in_force", f"{base}.issued", f"{base}.repealed"],
            expected,
            in_force,
            f"二「{label}」：上年现行有效 {last} + 本年制发 {issued} − 本年废止 {repealed} = {expected}，现行有效件数填 {in_force}",
            f"Section 二, {label}: last year's {last} in force + {issued} issued − {repealed} repealed = {expected}, "
            f"but {in_force} are in force",
        )
