"""Which drawn lines of a PDF page are table rulings: the ones a reader can see.

Word processors draw more than the rules of a table. WPS puts every line of
body text on a white rectangle (a "frame"), and Word and WPS give table
cells white backgrounds: filled, unstroked rectangles the colour of the
paper. Their edges are invisible, yet pdfplumber's lines strategy takes
every rectangle edge for a ruling, so a page of framed prose becomes a
one-column table and a section heading inside it is lost. Only what shows
counts here: a stroke or a fill that is not the paper's white. A coloured
band (a header row shaded blue) is visible, and so are its edges.

A table cut by a page break has no rule under its last row on the first
page (WPS leaves it open, like the top of the continuation): the vertical
rules that end together there, with nothing drawn across, get a closing
rule so the last row is a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pdfplumber.page import Page

# A colour component this close to 1 (or a CMYK this close to 0) is paper white.
_WHITE = 0.95
# Rulings closer than this (points) are at the same place.
_SAME = 2.0
# An open end needs this many vertical rules ending together (a table, not one stray line).
_MIN_OPEN_RULES = 3
# Horizontal rules covering less than this share of the open end leave it open.
_COVERED = 0.5


def _is_white(colour: Any) -> bool:
    """True for the paper's colour in DeviceGray, DeviceRGB or DeviceCMYK; unknown spaces show."""
    if isinstance(colour, int | float):
        return float(colour) >= _WHITE
    if not isinstance(colour, Sequence) or isinstance(colour, str) or not colour:
        return False
    if not all(isinstance(v, int | float) for v in colour):
        return False  # a pattern or a named colour: assume it shows
    values = [float(v) for v in colour]
    if len(values) == 4:
        return max(values) <= 1 - _WHITE  # CMYK: no ink
    return min(values) >= _WHITE


def is_visible(obj: dict[str, Any]) -> bool:
    """False for a line, rectangle or curve drawn in the paper's colour (or not drawn at all)."""
    if obj.get("object_type") not in ("rect", "line", "curve"):
        return True
    stroked = bool(obj.get("stroke", obj.get("object_type") == "line"))
    filled = bool(obj.get("fill", False))
    if stroked and not _is_white(obj.get("stroking_color")):
        return True
    return filled and not _is_white(obj.get("non_stroking_color"))


def visible(page: Page) -> Page:
    """The page without its invisible rectangles, lines and curves (text is kept)."""
    return page.filter(is_visible)


def closing_rules(page: Page) -> list[dict[str, Any]]:
    """Horizontal rules across the open top or bottom of a table cut by a page break.

    An open end is where several vertical rulings stop at the same height,
    none of the verticals over that width goes on past it, and no drawn
    horizontal covers half of the width there.
    """
    edges = page.edges
    verticals = [e for e in edges if e["orientation"] == "v"]
    horizontals = [e for e in edges if e["orientation"] == "h"]
    out: list[dict[str, Any]] = []
    for end, beyond in (("bottom", 1), ("top", -1)):
        for y, group in _grouped(verticals, end):
            xs = sorted({round(e["x0"], 1) for e in group})
            if len(xs) < _MIN_OPEN_RULES:
                continue
            x0, x1 = xs[0], xs[-1]
            if any(
                x0 - _SAME <= e["x0"] <= x1 + _SAME and (e[end] - y) * beyond > _SAME
                for e in verticals
            ):
                continue  # the table goes on past this height: not an end
            covered = sum(
                max(0.0, min(x1, h["x1"]) - max(x0, h["x0"]))
                for h in horizontals
                if abs(h["top"] - y) <= _SAME
            )
            if covered >= _COVERED * (x1 - x0):
                continue
            out.append(
                {
                    "object_type": "line",
                    "x0": x0,
                    "x1": x1,
                    "top": y,
                    "bottom": y,
                    "width": x1 - x0,
                    "height": 0.0,
                }
            )
    return out


def _grouped(edges: list[dict[str, Any]], end: str) -> list[tuple[float, list[dict[str, Any]]]]:
    groups: list[tuple[float, list[dict[str, Any]]]] = []
    for e in sorted(edges, key=lambda e: float(e[end])):
        if groups and float(e[end]) - groups[-1][0] <= _SAME:
            groups[-1][1].append(e)
        else:
            groups.append((float(e[end]), [e]))
    return groups
