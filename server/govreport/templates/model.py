"""What a template is: sections, table rows and columns, and the anchors rules name cells by.

Every table cell has a path: the field path of its row in the
``AnnualReport`` message plus the column's field, e.g.
``application_handling.outcomes.not_disclosed.state_secrets.total``. Where a
row is itself a ``Cell`` (section 二 rows with one column) the column field
is empty and the row path is the cell path. Code outside the templates
never spells a path: it asks a template for ``tpl.path(anchor, column)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


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

    def column(self, name: str) -> Column:
        """The column whose field is ``name`` ("" for the row's one Cell)."""
        for column in self.columns:
            if column.field == name:
                return column
        raise KeyError(f"{self.label} has no column {name!r}")


@dataclass(frozen=True, slots=True)
class DisclosureBlock:
    """A 二 block: the article it reports on and its rows."""

    label: str  # "第二十条第（一）项"
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Section:
    number: str  # "一" … "六"
    heading: str  # "总体情况"
    field: str  # AnnualReport field ("proactive_disclosure" for 二: see Template.field_of)
    # Other wordings of the heading seen in real reports (without the number).
    aliases: tuple[str, ...] = ()
    table: bool = False


TABLE_SECTIONS = ("二", "三", "四")


@dataclass(frozen=True)
class Template:
    version: int  # the year of its 国办公开办函: 2019, 2021
    source: str  # "国办公开办函〔2021〕30号"
    proto: int  # its TemplateVersion enum value in report.proto
    years: range  # the report years it is the template for
    sections: tuple[Section, ...]
    disclosure_blocks: tuple[DisclosureBlock, ...]  # 二
    application_rows: tuple[Row, ...]  # 三
    review_rows: tuple[Row, ...]  # 四
    # Labels found only in this version: the detector scores them.
    signature_labels: tuple[str, ...]
    # Named rows that rules and readers refer to: name -> the row's field path.
    anchors: Mapping[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(self.version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.version == self.version

    @property
    def disclosure_rows(self) -> tuple[Row, ...]:
        return tuple(row for block in self.disclosure_blocks for row in block.rows)

    @property
    def disclosure_field(self) -> str:
        return f"proactive_disclosure_{self.version}"

    def field_of(self, section: str) -> str:
        """The AnnualReport field of a section ("二" is the version's own message)."""
        if section == "二":
            return self.disclosure_field
        return next(s.field for s in self.sections if s.number == section)

    def rows(self) -> tuple[Row, ...]:
        """Every table row of 二, 三 and 四, in the template's order."""
        return self.disclosure_rows + self.application_rows + self.review_rows

    def rows_of(self, section: str) -> tuple[Row, ...]:
        return {
            "二": self.disclosure_rows,
            "三": self.application_rows,
            "四": self.review_rows,
        }[section]

    def row(self, anchor: str) -> Row:
        """The row an anchor names ("new_applications", "outcomes_total", "rules", …)."""
        path = self.anchors.get(anchor)
        for row in self.rows():
            if row.field == path:
                return row
        raise KeyError(f"the {self.version} template has no row {anchor!r}")

    def has(self, anchor: str) -> bool:
        return anchor in self.anchors

    def path(self, anchor: str, column: str = "") -> str:
        """The cell path of an anchored row's column (by field name; "" for a one-Cell row)."""
        row = self.row(anchor)
        return row.cell_path(row.column(column))

    def expects(self, row: Row) -> bool:
        """True for a row every report on this template gives: an item, or a group the
        template does not break into items (2019's （六）其他处理). A group's own row over its
        items (a subtotal) is the report's choice."""
        if not row.group_row:
            return True
        return not any(other.parent == row.names[0] for other in self.application_rows)

    def groups(self) -> list[tuple[Row, list[Row]]]:
        """三's groups ((三)…(六)): each group's own row and its items."""
        out: list[tuple[Row, list[Row]]] = []
        for row in self.application_rows:
            if row.group_row:
                out.append((row, []))
            elif out and row.parent == out[-1][0].names[0]:
                out[-1][1].append(row)
        return out

    def cells(self) -> list[tuple[str, Row, Column]]:
        """Every table cell as (section number, row, column), in the template's order."""
        out: list[tuple[str, Row, Column]] = []
        for section in TABLE_SECTIONS:
            out.extend(
                (section, row, column) for row in self.rows_of(section) for column in row.columns
            )
        return out
