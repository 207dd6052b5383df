"""The rules: each one a check function registered with what it is, in one list.

    @check("R1", Severity.ERROR, "三：每列 一 + 二 = （七）总计 + 四", "…", sum_rule=True)
    def check_balance(ctx: Context) -> Iterator[vpb.Finding]: ...

A function that finds two rules carries two decorators. What is derived
from the registry instead of being kept by hand: the rules GetTemplate
lists, the rules a validation says it checked, the sums a scan's suspects
are pointed at, and the rules checked across years. Adding a rule is one
decorated function in one of the rule modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from govreport.domain import Severity
from govreport.templates import Template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import validation_pb2 as vpb


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    description_zh: str
    description_en: str
    versions: frozenset[int] | None = None  # the template versions it applies to; None: all
    sum_rule: bool = False  # a sum of cells: a scan's suspects are pointed at
    cross_year: bool = False  # needs last year's report

    def applies(self, tpl: Template, with_previous: bool) -> bool:
        if self.cross_year and not with_previous:
            return False
        return self.versions is None or tpl.version in self.versions


@dataclass(frozen=True, slots=True)
class Context:
    """What a check looks at."""

    report: pb.AnnualReport
    tpl: Template
    filed_year: int = 0
    previous: pb.AnnualReport | None = None
    ocr_min_confidence: float = 0.0


Check = Callable[[Context], Iterable[vpb.Finding]]


@dataclass(slots=True)
class Registered:
    function: Check
    rules: list[Rule] = field(default_factory=list)

    def applies(self, tpl: Template, with_previous: bool) -> bool:
        return any(rule.applies(tpl, with_previous) for rule in self.rules)


RULES: dict[str, Rule] = {}
CHECKS: list[Registered] = []


def check(
    rule_id: str,
    severity: Severity,
    description_zh: str,
    description_en: str,
    *,
    versions: Iterable[int] | None = None,
    sum_rule: bool = False,
    cross_year: bool = False,
) -> Callable[[Check], Check]:
    """Registers the decorated function as the check of rule ``rule_id``."""
    spec = Rule(
        rule_id,
        severity,
        description_zh,
        description_en,
        frozenset(versions) if versions is not None else None,
        sum_rule,
        cross_year,
    )
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} is registered twice")

    def register(function: Check) -> Check:
        RULES[rule_id] = spec
        entry = next((c for c in CHECKS if c.function is function), None)
        if entry is None:
            entry = Registered(function)
            CHECKS.append(entry)
        entry.rules.insert(0, spec)  # stacked decorators apply bottom-up: keep reading order
        return function

    return register


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


_ID = re.compile(r"^([A-Z]+)(\d+)(.*)$")
_FAMILIES = "RCQ"  # consistency rules, compliance, reading quality


def _order(rule_id: str) -> tuple[int, int, str]:
    match = _ID.match(rule_id)
    if match is None:
        return (len(_FAMILIES), 0, rule_id)
    family, number, rest = match.groups()
    return (_FAMILIES.find(family) % (len(_FAMILIES) + 1), int(number), rest)


def ordered(ids: Iterable[str]) -> list[str]:
    """Rule ids in the documents' order: R1, R2, R3, R3a, … R9, C1 … C5, Q1."""
    return sorted(ids, key=_order)


def all_rules() -> list[Rule]:
    return [RULES[i] for i in ordered(RULES)]


def sum_rules() -> frozenset[str]:
    return frozenset(i for i, r in RULES.items() if r.sum_rule)


def cross_year_rules() -> frozenset[str]:
    return frozenset(i for i, r in RULES.items() if r.cross_year)
