"""The template as the GetTemplate response: template.py's data in proto form."""

from __future__ import annotations

from govreport.template import RULES as TEMPLATE_RULES
from govreport.template import Kind, Version, template
from govreport.v1 import report_pb2, template_pb2

_KIND = {
    Kind.COUNT: template_pb2.VALUE_KIND_COUNT,
    Kind.AMOUNT: template_pb2.VALUE_KIND_AMOUNT,
    Kind.CHANGE: template_pb2.VALUE_KIND_CHANGE,
}
VERSION_OF_PROTO = {
    report_pb2.TEMPLATE_VERSION_UNSPECIFIED: Version.V2021,
    report_pb2.TEMPLATE_VERSION_2019: Version.V2019,
    report_pb2.TEMPLATE_VERSION_2021: Version.V2021,
}
PROTO_OF_VERSION = {
    Version.V2019: report_pb2.TEMPLATE_VERSION_2019,
    Version.V2021: report_pb2.TEMPLATE_VERSION_2021,
}


def definition(version: Version) -> template_pb2.TemplateDefinition:
    tpl = template(version)
    out = template_pb2.TemplateDefinition(version=PROTO_OF_VERSION[version], source=tpl.source)
    for section in tpl.sections:
        field = tpl.disclosure_field if section.number == "二" else section.field
        out.sections.add(number=section.number, heading=section.heading, field=field)
    for number, heading, rows in (
        ("二", tpl.sections[1].heading, tpl.disclosure_rows),
        ("三", tpl.sections[2].heading, tpl.application_rows),
        ("四", tpl.sections[3].heading, tpl.review_rows),
    ):
        table = out.tables.add(section=number, title=heading)
        for row in rows:
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
    for rule in TEMPLATE_RULES:
        out.rules.add(
            id=rule.id, description_zh=rule.description_zh, description_en=rule.description_en
        )
    return out
