"""Sources shown as numbered lines, with each cell's span marked in them.

A ``TextDoc`` is the lines and how a provenance lands in them; the plain-text
source is its decoded text (line and character provenance point into it), an
HTML or DOCX source is what was extracted from it (extracted.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from govreport.review.markup import esc
from govreport.review.model import CellView, has_provenance
from govreport.review.outlines import outline_html, unplaced_html
from govreport.v1 import report_pb2 as pb


@dataclass(slots=True)
class TextDoc:
    """A source shown as numbered lines, and how a provenance lands in them.

    ``starts`` are the lines' offsets in the coordinate space that ``locate``
    answers in: the decoded text for a text file, the lines themselves joined
    by one separator for a document rebuilt from its extraction. ``titles``
    (a tooltip: where the line was read) and ``labels`` (shown before the line,
    apart from its text) are "" where there is nothing to say.
    """

    lines: list[str]
    starts: list[int]
    titles: list[str]
    locate: Callable[[pb.Provenance], tuple[int, int] | None]
    labels: list[str] = field(default_factory=list)


def plain_text_doc(text: str) -> TextDoc:
    """A text file as decoded: its own lines, its own character offsets."""
    lines: list[str] = []
    starts: list[int] = []
    offset = 0
    # splitlines, as the text reader numbers lines with it (\r\n, \r, \u2028 … all break).
    for raw in text.splitlines(keepends=True):
        starts.append(offset)
        lines.append(raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))
        offset += len(raw)

    def locate(provenance: pb.Provenance) -> tuple[int, int] | None:
        if provenance.char_end > provenance.char_start:
            return provenance.char_start, provenance.char_end
        if 0 < provenance.line <= len(lines):
            end = starts[provenance.line - 1] + len(lines[provenance.line - 1])
            return end, end
        return None

    return TextDoc(lines, starts, [""] * len(lines), locate)


@dataclass(frozen=True, slots=True)
class Piece:
    """The part of a cell's span on one line."""

    start: int  # within the line
    end: int
    view: CellView
    first: bool


def pieces(
    doc: TextDoc, views: Iterable[CellView]
) -> tuple[dict[int, list[Piece]], list[CellView]]:
    """Each located cell cut into the lines it covers; and the cells that land nowhere."""
    by_line: dict[int, list[Piece]] = {}
    unplaced: list[CellView] = []
    for view in views:
        if not has_provenance(view.placed.cell):
            continue
        span = doc.locate(view.placed.cell.provenance)
        cuts = list(_cut(doc, span)) if span is not None else []
        if not cuts:
            unplaced.append(view)
        for number, (line, start, end) in enumerate(cuts):
            by_line.setdefault(line, []).append(Piece(start, end, view, number == 0))
    return by_line, unplaced


def _cut(doc: TextDoc, span: tuple[int, int]) -> Iterator[tuple[int, int, int]]:
    """(line index, start, end within the line) for every line the span touches."""
    start, end = span
    if not doc.lines or start > doc.starts[-1] + len(doc.lines[-1]):
        return  # past the end of the text: the provenance is not about this text
    first = max(0, bisect.bisect_right(doc.starts, start) - 1)
    index = first
    while end > start and index < len(doc.lines) and doc.starts[index] < end:
        line_start = doc.starts[index]
        a = max(start, line_start) - line_start
        b = min(end, line_start + len(doc.lines[index])) - line_start
        if b > a:
            yield index, a, b
            first = -1
        index += 1
    if first >= 0:
        # An empty span (a missing cell's place), or one over line breaks only: a point.
        point = min(max(start - doc.starts[first], 0), len(doc.lines[first]))
        yield first, point, point


def line_html(text: str, pieces: Sequence[Piece]) -> str:
    """One line with its cells marked; cells with the same span nest, overlaps are clipped."""
    out: list[str] = []
    cursor = 0
    groups: dict[tuple[int, int], list[Piece]] = {}
    for piece in sorted(pieces, key=lambda p: (p.start, -p.end)):
        groups.setdefault((piece.start, piece.end), []).append(piece)
    for (start, end), group in groups.items():
        start = max(start, cursor)
        end = max(end, start)
        out.append(esc(text[cursor:start]))
        inner = esc(text[start:end])
        for piece in reversed(group):
            inner = outline_html(piece.view, first=piece.first, content=inner)
        out.append(inner)
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def text_html(doc: TextDoc, views: Sequence[CellView], label: str, note: str = "") -> str:
    """The numbered lines with the cells marked, then the cells no line can show."""
    by_line, unplaced = pieces(doc, views)
    rows = []
    for index, text in enumerate(doc.lines):
        title = f' title="{esc(doc.titles[index])}"' if doc.titles[index] else ""
        tag = doc.labels[index] if index < len(doc.labels) else ""
        # The label is the page's, not the source's: set apart, and not part of the line's text.
        lead = f'<span class="rl">{esc(tag)}</span>' if tag else ""
        rows.append(
            f'<div class="ln" data-n="{index + 1}"{title}>'
            f"{lead}{line_html(text, by_line.get(index, ()))}</div>"
        )
    head = f'<p class="src-note">{esc(note)}</p>' if note else ""
    return (
        f'<section class="src" data-view="text" aria-label="{esc(label)}">'
        f"{head}{''.join(rows)}</section>{unplaced_html(unplaced)}"
    )
