"""A cell marked on the source (an outline over a page, a span in a line), and the cells no
view of the source can show."""

from __future__ import annotations

from collections.abc import Sequence

from govreport.review.markup import esc
from govreport.review.model import CellView, where_text


def outline_html(view: CellView, *, first: bool = True, content: str = "") -> str:
    """The element marking a cell on the source; continuation pieces carry no id.

    A first piece has the id ``o-<cell id>``, by which the page's stylesheet
    places it on a page image.
    """
    classes = f"ol st-{view.status}" + ("" if first else " ol-cont")
    attrs = f' class="{classes}" data-c="{view.id}"'
    if first:
        attrs += f' id="o-{view.id}" tabindex="0" role="button" aria-label="{esc(view.aria)}"'
    else:
        attrs += ' aria-hidden="true"'
    return f"<span{attrs}>{content}</span>"


def unplaced_html(views: Sequence[CellView]) -> str:
    """Cells whose provenance points nowhere the page shows: listed, so none goes unseen."""
    if not views:
        return ""
    items = "".join(
        f"<li>{outline_html(v)} {esc(v.label)} — {esc(where_text(v.placed.cell.provenance))}</li>"
        for v in views
    )
    return (
        '<section class="unplaced" data-view="unplaced">'
        "<h2>未能定位的单元格 Cells not placed on the source</h2>"
        f"<ul>{items}</ul></section>"
    )
