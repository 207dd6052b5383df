"""The templates as the GetTemplate response (template.proto)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from govreport.templates.model import Kind, Template
from govreport.v1 import template_pb2

_KIND = {
    Kind.COUNT: template_pb2.VALUE_KIND_COUNT,
    Kind.AMOUNT: template_pb2.VALUE_KIND_AMOUNT,
    Kind.CHANGE: template_pb2.VALUE_KIND_CHANGE,
}


class RuleDescription(Protocol):
    """What GetTemplate says of a rule (the validation registry's rules are these)."""

    @property
    def id(self) -> str: ...
    @property
    def description_zh(self) -> str: ...
    @property
    def description_en(self) -> str: ...


def definition(tpl: Template, rules: Iterable[RuleDescription]) -> template_pb2.TemplateDefinition:
    out = template_pb2.TemplateDefinition(version=tpl.proto, source=tpl.source)  # type: ignore[arg-type]
    for section in tpl.sections:
        out.sections.add(
            number=section.number, heading=section.heading, field=tpl.field_of(section.number)
        )
    for section in tpl.sections:
        if not section.table:
            continue
        table = out.tables.add(section=section.number, title=section.heading)
        for row in tpl.rows_of(section.number):
            table.rows.add(
                label=row.label,
                field=row.field,
                depth=row.depth,
                group_row=row.group_row,
                columns=[
                    template_pb2.ColumnDefinition(label=c.label, field=c.field, kind=_KIND[c.kind])
                    for c in row.columns
                ],
            )
    for rule in rules:
        out.rules.add(
            id=rule.id, description_zh=rule.description_zh, description_en=rule.description_en
        )
    return out
