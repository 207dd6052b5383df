"""The side panel's tables: 二 (one small table a block), 三 and 四 under the template's
labels, each cell a button with its status."""

from __future__ import annotations

from collections.abc import Sequence

from govreport.paths import report_version
from govreport.render import cell_display, grid_lines
from govreport.review.markup import esc
from govreport.review.model import CellView
from govreport.templates import Column, Row, template
from govreport.v1 import report_pb2 as pb


def _header_html(columns: Sequence[Column]) -> str:
    """One header row, or two when columns are nested ("法人或其他组织 / 商业企业")."""
    split = [c.label.split(" / ") for c in columns]
    if all(len(parts) == 1 for parts in split):
        cells = "".join(f'<th scope="col">{esc(p[0])}</th>' for p in split)
        return f'<thead><tr><td class="corner"></td>{cells}</tr></thead>'
    top: list[str] = ['<td class="corner" rowspan="2"></td>']
    bottom: list[str] = []
    index = 0
    while index < len(split):
        parts = split[index]
        if len(parts) == 1:
            top.append(f'<th scope="col" rowspan="2">{esc(parts[0])}</th>')
            index += 1
            continue
        span = 1
        while index + span < len(split) and split[index + span][0] == parts[0]:
            span += 1
        top.append(f'<th scope="colgroup" colspan="{span}">{esc(parts[0])}</th>')
        bottom.extend(
            f'<th scope="col">{esc(" / ".join(p[1:]))}</th>' for p in split[index : index + span]
        )
        index += span
    return f"<thead><tr>{''.join(top)}</tr><tr>{''.join(bottom)}</tr></thead>"


def _table_cell_html(cell: pb.Cell | None, column: Column, view: CellView | None) -> str:
    if cell is None or view is None:
        return '<td class="na"></td>'
    text = cell_display(cell, column)  # the CLI's notation: "" blank, "/" n/a, "?" missing, "*"
    # A real button inside the cell: the table keeps its semantics, the keyboard gets a stop.
    return (
        f'<td class="tc st-{view.status}" data-c="{view.id}" id="t-{view.id}">'
        f'<button type="button" aria-label="{esc(view.aria)}">{esc(text)}</button></td>'
    )


def _rows_html(
    report: pb.AnnualReport,
    rows: Sequence[Row],
    columns: Sequence[Column],
    views: dict[str, CellView],
    skip_prefix: str = "",
) -> str:
    """Rows under nested labels, as the CLI's table shows them: enclosing labels on lines
    of their own, a group's own row only when the document gives it."""
    out: list[str] = []
    for line in grid_lines(report, rows, columns, skip_prefix):
        if line.row is None:
            out.append(
                f'<tr class="grp"><th scope="rowgroup" colspan="{len(columns) + 1}" '
                f'class="d{line.depth}">{esc(line.label)}</th></tr>'
            )
            continue
        row = line.row
        tds = "".join(
            _table_cell_html(cell, column, views.get(row.cell_path(column)))
            for column, cell in zip(columns, line.cells, strict=True)
        )
        out.append(f'<tr><th scope="row" class="d{line.depth}">{esc(line.label)}</th>{tds}</tr>')
    return "".join(out)


def tables_html(report: pb.AnnualReport, views: Sequence[CellView]) -> str:
    """二 (one small table a block), 三 and 四, labelled as the template labels them."""
    tpl = template(report_version(report))
    by_path = {v.placed.path: v for v in views}
    headings = {s.number: f"{s.number}、{s.heading}" for s in tpl.sections}
    parts = [f'<h2 id="sec-2">{esc(headings["二"])}</h2>']
    for block in tpl.disclosure_blocks:
        columns = max((row.columns for row in block.rows), key=len)
        body = _rows_html(report, block.rows, columns, by_path, skip_prefix=f"{block.label} / ")
        parts.append(
            f'<table class="grid"><caption>{esc(block.label)}</caption>'
            f"{_header_html(columns)}<tbody>{body}</tbody></table>"
        )
    for number, rows in (("三", tpl.application_rows), ("四", tpl.review_rows)):
        columns = rows[0].columns
        body = _rows_html(report, rows, columns, by_path)
        parts.append(
            f'<h2 id="sec-{"3" if number == "三" else "4"}">{esc(headings[number])}</h2>'
            f'<table class="grid wide">{_header_html(columns)}<tbody>{body}</tbody></table>'
        )
    parts.append(
        '<p class="key">空白 = blank · / = 不适用 n/a as written · ? = 缺失 missing · '
        "* = 推算 derived</p>"
    )
    return "".join(parts)
