"""The national template, as data: one module a version, and the registry of them.

    from govreport.templates import TEMPLATES, template
    tpl = template(2021)
    tpl.path("new_applications", "total")  # "application_handling.new_applications.total"

model.py says what a template is; common.py holds what the versions share;
v2019.py and v2021.py are the versions (国办公开办函〔2019〕60号 and
〔2021〕30号). Adding a version is one module and a line in TEMPLATES. See
../shared/TEMPLATE.md.
"""

from __future__ import annotations

from functools import cache

from govreport.templates import v2019, v2021
from govreport.templates.common import (
    APPLICANT_COLUMNS,
    CASE_COLUMNS,
    HEADER_WORDS,
    HEADING_EXTRA_WORDS,
    SECTIONS,
    TABLE_MARKERS,
)
from govreport.templates.model import (
    TABLE_SECTIONS,
    Column,
    DisclosureBlock,
    Kind,
    Row,
    Section,
    Template,
)

# Every version govreport knows, by its year; the last is the one in force.
TEMPLATES: dict[int, Template] = {t.version: t for t in (v2019.TEMPLATE, v2021.TEMPLATE)}
LATEST: Template = TEMPLATES[max(TEMPLATES)]

__all__ = [
    "APPLICANT_COLUMNS",
    "CASE_COLUMNS",
    "HEADER_WORDS",
    "HEADING_EXTRA_WORDS",
    "LATEST",
    "SECTIONS",
    "TABLE_MARKERS",
    "TABLE_SECTIONS",
    "TEMPLATES",
    "Column",
    "DisclosureBlock",
    "Kind",
    "Row",
    "Section",
    "Template",
    "for_proto",
    "for_year",
    "labels_by_path",
    "template",
]


def template(version: int) -> Template:
    """The template of a version (2019, 2021); KeyError for one govreport does not know."""
    return TEMPLATES[int(version)]


def for_proto(value: int) -> Template | None:
    """The template of a TemplateVersion enum value; None for UNSPECIFIED or an unknown one."""
    return next((t for t in TEMPLATES.values() if t.proto == value), None)


def for_year(year: int) -> Template:
    """The template in force for reports on ``year``: the earliest for a year before any, the
    latest when the year is unknown (0) or after all."""
    found = next((t for t in TEMPLATES.values() if year in t.years), None)
    if found is not None:
        return found
    earliest = TEMPLATES[min(TEMPLATES)]
    return earliest if 0 < year < earliest.years.start else LATEST


@cache
def labels_by_path() -> dict[str, tuple[str, str, str]]:
    """Cell path -> (section, row label, column label), over every version."""
    out: dict[str, tuple[str, str, str]] = {}
    for tpl in TEMPLATES.values():
        for section, row, column in tpl.cells():
            out[row.cell_path(column)] = (section, row.label, column.label)
    return out
