"""``govreport review FILE --html OUT.html``: one self-contained page to check an extraction by eye.

The page shows the source as the reviewer knows it — PDF pages rendered as
images, scans downscaled, text, HTML and Word documents as numbered lines —
with every extracted cell outlined where its provenance says it was read,
coloured by status, next to the tables of 二, 三 and 四 under the template's
labels and the findings. Hovering or clicking a cell on either side shows its
value, raw text, confidence and rules, and points at its counterpart.

The page needs no network at all: CSS and JavaScript are inline, images are
``data:`` URIs, fonts are the system's, and a Content-Security-Policy forbids
every fetch, so it can be mailed, archived or opened offline.
"""

from __future__ import annotations

import base64
import bisect
import html
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageSequence

from govreport import formats, wire
from govreport.errors import GovreportError
from govreport.ir import Document, Paragraph, Table
from govreport.paths import PlacedCell, iter_cells, report_version, value_text
from govreport.readers.detect import detect
from govreport.readers.text import decode
from govreport.render import FORMAT_NAMES, STATE_WORDS, cell_display, findings_by_cell, grid_lines
from govreport.settings import OCR_MIN_CONFIDENCE
from govreport.templates import Column, Row, Template, labels_by_path, template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2, validation_pb2
from govreport.validation.registry import rule

# Pages are rendered at this resolution: sharp enough to read a table's figures on a
# screen, small enough that a 5-page PDF stays well under a megabyte.
RENDER_DPI = 110
# Longest side of a page image, whatever its dpi (a poster-sized scan stays reasonable).
MAX_PAGE_PIXELS = 1800
# A page image quantized to this many colours: rendered text needs few, and PNG packs it well.
PNG_COLOURS = 64

# Cell statuses, strongest first; each is a CSS class ``st-<status>``.
STATUSES: tuple[str, ...] = ("suspect", "rule", "low", "blank", "ok")
STATUS_WORDS: dict[str, str] = {
    "ok": "正常 ok",
    "low": "低置信度 low confidence",
    "rule": "违反规则 breaks a rule",
    "suspect": "最可能误读 suspect (check first)",
    "blank": "空白或缺失 blank / missing",
}
# The OCR rule: its cells are doubtful, not wrong, so they are amber, not red.
OCR_RULE = "Q1"
_EMPTY_STATES = (pb.CELL_STATE_BLANK, pb.CELL_STATE_MISSING, pb.CELL_STATE_NOT_IN_LAYOUT)
_SEVERITY = {proto: severity.value for severity, proto in wire.SEVERITY.items()}
_SEVERITY_WORDS = {"error": "错误 error", "warning": "警告 warning", "info": "说明 note"}


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


# ---------------------------------------------------------------- cells and their status


@dataclass(frozen=True, slots=True)
class CellView:
    """One extracted cell as the page shows it: an id shared by its outline and table cell."""

    id: str
    placed: PlacedCell
    status: str
    rules: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.placed.section} · {self.placed.row.label} · {self.placed.column.label}"

    @property
    def aria(self) -> str:
        shown = value_text(self.placed.cell) or STATE_WORDS.get(self.placed.cell.state, "")
        return f"{self.label}: {shown} ({STATUS_WORDS[self.status]})"


@dataclass(frozen=True, slots=True)
class FindingIndex:
    """Which cell paths the findings name, by how a reviewer should see them."""

    broken: dict[str, list[str]]  # path -> ids of the (non-OCR) rules naming it
    doubtful: set[str]  # paths named by an OCR-confidence finding
    suspects: set[str]  # paths a broken sum names as most likely misread

    @classmethod
    def of(cls, validation: validation_pb2.ValidationReport) -> FindingIndex:
        broken: dict[str, list[str]] = {}
        doubtful: set[str] = set()
        suspects: set[str] = set()
        for finding in validation.findings:
            if finding.severity == validation_pb2.SEVERITY_INFO:
                continue  # a note on the report's layout, not a doubt about a cell
            suspects.update(finding.suspect_cells)
            if finding.rule_id == OCR_RULE:
                doubtful.update(finding.cells)
                continue
            for path in finding.cells:
                ids = broken.setdefault(path, [])
                if finding.rule_id not in ids:
                    ids.append(finding.rule_id)
        return cls(broken, doubtful, suspects)


def cell_status(cell: pb.Cell, path: str, index: FindingIndex, min_confidence: float) -> str:
    """One of STATUSES: a broken rule outranks doubt, doubt outranks an empty cell."""
    if path in index.suspects:
        return "suspect"
    if path in index.broken:
        return "rule"
    if path in index.doubtful:
        return "low"
    if cell.state in _EMPTY_STATES:
        # An empty cell has no reading to doubt: its confidence says nothing.
        return "blank"
    if cell.confidence < min_confidence:
        return "low"
    return "ok"


def cell_views(
    extraction: service_pb2.Extraction, min_confidence: float = OCR_MIN_CONFIDENCE
) -> list[CellView]:
    """Every cell the report sets, in the template's order, with its status."""
    index = FindingIndex.of(extraction.validation)
    rule_ids = findings_by_cell(extraction.validation)  # Q1 included: the reviewer sees all
    return [
        CellView(
            f"c{number}",
            placed,
            cell_status(placed.cell, placed.path, index, min_confidence),
            tuple(rule_ids.get(placed.path, ())),
        )
        for number, placed in enumerate(iter_cells(extraction.report), start=1)
    ]


def has_provenance(cell: pb.Cell) -> bool:
    """Whether the cell says where it was read (derived cells completed from sums do not)."""
    return cell.HasField("provenance") and bool(cell.provenance.ListFields())


def where_text(provenance: pb.Provenance) -> str:
    """Provenance as a person reads it: page and box, line and characters, locator."""
    parts: list[str] = []
    if provenance.page:
        parts.append(f"第 {provenance.page} 页 page {provenance.page}")
    if provenance.HasField("box"):
        box = provenance.box
        unit = "pt" if box.unit == pb.COORDINATE_UNIT_POINTS else f"px @ {box.dpi} dpi"
        parts.append(f"({box.x0:.1f}, {box.y0:.1f})–({box.x1:.1f}, {box.y1:.1f}) {unit}")
    if provenance.line:
        parts.append(f"第 {provenance.line} 行 line {provenance.line}")
    if provenance.char_end > provenance.char_start:
        parts.append(f"chars {provenance.char_start}–{provenance.char_end}")
    if provenance.locator:
        parts.append(provenance.locator)
    return " · ".join(parts)


# ---------------------------------------------------------------- outlines


def outline_html(view: CellView, *, style: str = "", first: bool = True, content: str = "") -> str:
    """The element marking a cell on the source; continuation pieces carry no id."""
    classes = f"ol st-{view.status}" + ("" if first else " ol-cont")
    attrs = f' class="{classes}" data-c="{view.id}"'
    if first:
        attrs += f' id="o-{view.id}" tabindex="0" role="button" aria-label="{_esc(view.aria)}"'
    else:
        attrs += ' aria-hidden="true"'
    if style:
        attrs += f' style="{style}"'
    return f"<span{attrs}>{content}</span>"


def unplaced_html(views: Sequence[CellView]) -> str:
    """Cells whose provenance points nowhere the page shows: listed, so none goes unseen."""
    if not views:
        return ""
    items = "".join(
        f"<li>{outline_html(v)} {_esc(v.label)} — {_esc(where_text(v.placed.cell.provenance))}</li>"
        for v in views
    )
    return (
        '<section class="unplaced" data-view="unplaced">'
        "<h2>未能定位的单元格 Cells not placed on the source</h2>"
        f"<ul>{items}</ul></section>"
    )


# ---------------------------------------------------------------- paged sources


@dataclass(frozen=True, slots=True)
class PageImage:
    """A rendered page and its physical size, onto which boxes in points or pixels map."""

    number: int
    uri: str
    width_px: int
    height_px: int
    width_in: float
    height_in: float
    native_dpi: float  # what a box without a unit (or dpi) is measured in


def image_uri(image: Image.Image) -> str:
    """The smaller of a quantized PNG (crisp text) and a JPEG (photos, scans), as a data URI."""
    rgb = image.convert("RGB")
    png = io.BytesIO()
    # Octree without dithering: fast, and leaves rendered text free of speckle.
    rgb.quantize(PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        png, format="PNG"
    )
    jpeg = io.BytesIO()
    rgb.save(jpeg, format="JPEG", quality=78, optimize=True)
    # JPEG smears the edges of text: it must save a good deal to be chosen.
    if len(jpeg.getvalue()) * 1.5 < len(png.getvalue()):
        return "data:image/jpeg;base64," + base64.b64encode(jpeg.getvalue()).decode("ascii")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def _fit_scale(width: float, height: float) -> float:
    """A scale that keeps the longest side within MAX_PAGE_PIXELS."""
    longest = max(width, height, 1.0)
    return min(1.0, MAX_PAGE_PIXELS / longest)


def pdf_pages(content: bytes) -> list[PageImage]:
    """Every page of a PDF rendered at about RENDER_DPI (scanned pages included)."""
    import pypdfium2 as pdfium  # only when a PDF is reviewed: the CLI starts without it

    pages: list[PageImage] = []
    document = pdfium.PdfDocument(content)
    try:
        for index in range(len(document)):
            page = document[index]
            width_pt, height_pt = page.get_size()
            zoom = RENDER_DPI / 72
            scale = zoom * _fit_scale(width_pt * zoom, height_pt * zoom)
            image = page.render(scale=scale).to_pil()
            pages.append(
                PageImage(
                    index + 1,
                    image_uri(image),
                    image.width,
                    image.height,
                    width_pt / 72,
                    height_pt / 72,
                    72.0,
                )
            )
            page.close()
    finally:
        document.close()
    return pages


def image_pages(content: bytes) -> list[PageImage]:
    """Every frame of an image file, downscaled to about RENDER_DPI."""
    from govreport.readers.image import image_dpi  # the dpi the OCR measured boxes at

    pages: list[PageImage] = []
    with Image.open(io.BytesIO(content)) as image:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            dpi = image_dpi(frame)
            scale = min(RENDER_DPI / dpi, 1.0) * _fit_scale(
                frame.width * RENDER_DPI / dpi, frame.height * RENDER_DPI / dpi
            )
            size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
            shown = frame.convert("RGB").resize(size, Image.Resampling.LANCZOS)
            pages.append(
                PageImage(
                    number,
                    image_uri(shown),
                    shown.width,
                    shown.height,
                    frame.width / dpi,
                    frame.height / dpi,
                    float(dpi),
                )
            )
    return pages


def box_fraction(box: pb.BoundingBox, page: PageImage) -> tuple[float, float, float, float]:
    """(left, top, width, height) as fractions of the page.

    Points are 1/72 inch; pixels are 1/dpi inch of the image the reader saw
    (300 dpi for a rendered scan page, the file's own dpi for an image), so
    both land on the page whatever resolution it is shown at.
    """
    if box.unit == pb.COORDINATE_UNIT_POINTS:
        per_inch = 72.0
    elif box.unit == pb.COORDINATE_UNIT_PIXELS and box.dpi > 0:
        per_inch = float(box.dpi)
    else:
        per_inch = page.native_dpi
    x0, x1 = sorted((box.x0, box.x1))
    y0, y1 = sorted((box.y0, box.y1))

    def clamp(value: float) -> float:
        return min(1.0, max(0.0, value))

    left = clamp(x0 / per_inch / page.width_in)
    top = clamp(y0 / per_inch / page.height_in)
    right = clamp(x1 / per_inch / page.width_in)
    bottom = clamp(y1 / per_inch / page.height_in)
    # A zero-width box (a missing cell's place) still needs something to point at.
    return left, top, max(right - left, 0.006), max(bottom - top, 0.004)


def _page_outline(view: CellView, page: PageImage) -> str:
    left, top, width, height = box_fraction(view.placed.cell.provenance.box, page)
    style = (
        f"left:{left * 100:.3f}%;top:{top * 100:.3f}%;"
        f"width:{width * 100:.3f}%;height:{height * 100:.3f}%"
    )
    return outline_html(view, style=style)


def paged_html(
    pages: Sequence[PageImage], views: Sequence[CellView], unread: dict[int, str]
) -> str:
    """The pages with the outlines over them, then the cells no page can show."""
    by_page: dict[int, list[CellView]] = {}
    unplaced: list[CellView] = []
    numbers = {page.number for page in pages}
    for view in views:
        provenance = view.placed.cell.provenance
        if not has_provenance(view.placed.cell):
            continue
        if provenance.page in numbers and provenance.HasField("box"):
            by_page.setdefault(provenance.page, []).append(view)
        else:
            unplaced.append(view)
    parts = []
    for page in pages:
        outlines = "".join(_page_outline(v, page) for v in by_page.get(page.number, ()))
        note = unread.get(page.number, "")
        caption = f"第 {page.number} 页 · page {page.number} of {len(pages)}"
        if note:
            caption += f" · 未读 not read: {note}"
        parts.append(
            f'<figure class="sheet" id="page-{page.number}">'
            f'<div class="page" data-view="page-{page.number}" '
            f'style="max-width:{page.width_px}px;aspect-ratio:{page.width_px}/{page.height_px}">'
            f'<img src="{page.uri}" width="{page.width_px}" height="{page.height_px}" '
            f'alt="第 {page.number} 页 page {page.number}">{outlines}</div>'
            f"<figcaption>{_esc(caption)}</figcaption></figure>"
        )
    return "".join(parts) + unplaced_html(unplaced)


# ---------------------------------------------------------------- text sources


@dataclass(slots=True)
class TextDoc:
    """A source shown as numbered lines, and how a provenance lands in them.

    ``starts`` are the lines' offsets in the coordinate space that ``locate``
    answers in: the decoded text for a text file, the lines themselves joined
    by one separator for a document rebuilt from the reader's blocks.
    """

    lines: list[str]
    starts: list[int]
    titles: list[str]
    locate: Callable[[pb.Provenance], tuple[int, int] | None]


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


@dataclass(slots=True)
class _Builder:
    """Lines rebuilt from a reader's blocks, remembering where each locator's text went."""

    lines: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    row_ends: dict[str, int] = field(default_factory=dict)
    line_starts: dict[int, int] = field(default_factory=dict)
    offset: int = 0

    def add(self, text: str, title: str = "", source_line: int = 0) -> int:
        """Appends a line; returns its offset."""
        start = self.offset
        self.lines.append(text)
        self.starts.append(start)
        self.titles.append(title)
        if source_line:
            self.line_starts.setdefault(source_line, start)
        self.offset += len(text) + 1
        return start

    def paragraph(self, block: Paragraph) -> None:
        where = block.location
        title = where.locator + (f" · line {where.line}" if where.line else "")
        for part in block.text.split("\n"):
            self.add(part, title, where.line)

    def table(self, block: Table) -> None:
        separator = " │ "
        for r in range(len(block.rows)):
            pieces: list[str] = []
            cells: list[tuple[str, int, int]] = []
            length = 0
            for cell in block.own_cells(r):
                if not cell.exists:
                    continue
                text = " ".join(cell.text.split())
                if pieces:
                    length += len(separator)
                cells.append((cell.location.locator, length, length + len(text)))
                pieces.append(text)
                length += len(text)
            row_locator = f"{block.location.locator}/row[{r + 1}]"
            first_line = next((c.location.line for c in block.rows[r] if c.location.line), 0)
            title = row_locator + (f" · line {first_line}" if first_line else "")
            start = self.add(separator.join(pieces), title, first_line)
            for locator, a, b in cells:
                self.spans.setdefault(locator, (start + a, start + b))
            self.row_ends[row_locator] = start + length

    def locate(self, provenance: pb.Provenance) -> tuple[int, int] | None:
        if provenance.locator in self.spans:
            return self.spans[provenance.locator]
        if provenance.locator in self.row_ends:  # a missing cell: the end of its row
            end = self.row_ends[provenance.locator]
            return end, end
        if provenance.line in self.line_starts:
            start = self.line_starts[provenance.line]
            return start, start
        return None


def blocks_text_doc(document: Document) -> TextDoc:
    """An HTML or DOCX document as its reader read it: paragraphs, then table rows as lines."""
    builder = _Builder()
    for block in document.blocks:
        if isinstance(block, Table):
            builder.table(block)
        else:
            builder.paragraph(block)
    return TextDoc(builder.lines, builder.starts, builder.titles, builder.locate)


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int  # within the line
    end: int
    view: CellView
    first: bool


def _pieces(
    doc: TextDoc, views: Iterable[CellView]
) -> tuple[dict[int, list[_Piece]], list[CellView]]:
    """Each located cell cut into the lines it covers; and the cells that land nowhere."""
    by_line: dict[int, list[_Piece]] = {}
    unplaced: list[CellView] = []
    for view in views:
        if not has_provenance(view.placed.cell):
            continue
        span = doc.locate(view.placed.cell.provenance)
        cuts = list(_cut(doc, span)) if span is not None else []
        if not cuts:
            unplaced.append(view)
        for number, (line, start, end) in enumerate(cuts):
            by_line.setdefault(line, []).append(_Piece(start, end, view, number == 0))
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


def line_html(text: str, pieces: Sequence[_Piece]) -> str:
    """One line with its cells marked; cells with the same span nest, overlaps are clipped."""
    out: list[str] = []
    cursor = 0
    groups: dict[tuple[int, int], list[_Piece]] = {}
    for piece in sorted(pieces, key=lambda p: (p.start, -p.end)):
        groups.setdefault((piece.start, piece.end), []).append(piece)
    for (start, end), group in groups.items():
        start = max(start, cursor)
        end = max(end, start)
        out.append(_esc(text[cursor:start]))
        inner = _esc(text[start:end])
        for piece in reversed(group):
            inner = outline_html(piece.view, first=piece.first, content=inner)
        out.append(inner)
        cursor = end
    out.append(_esc(text[cursor:]))
    return "".join(out)


def text_html(doc: TextDoc, views: Sequence[CellView], label: str) -> str:
    by_line, unplaced = _pieces(doc, views)
    rows = []
    for index, text in enumerate(doc.lines):
        title = f' title="{_esc(doc.titles[index])}"' if doc.titles[index] else ""
        rows.append(
            f'<div class="ln" data-n="{index + 1}"{title}>'
            f"{line_html(text, by_line.get(index, ()))}</div>"
        )
    return (
        f'<section class="src" data-view="text" aria-label="{_esc(label)}">'
        f"{''.join(rows)}</section>{unplaced_html(unplaced)}"
    )


# ---------------------------------------------------------------- the source pane


def source_format(extraction: service_pb2.Extraction, content: bytes, filename: str) -> int:
    """The format the extraction says it read; detected again when it says nothing."""
    if extraction.document.format:
        fmt: int = extraction.document.format
        return fmt
    return wire.DOCUMENT_FORMAT[detect(content, filename)]


def source_html(
    content: bytes, filename: str, extraction: service_pb2.Extraction, views: Sequence[CellView]
) -> str:
    unread = {p.page: p.reason for p in extraction.document.unread_pages}
    try:
        fmt = source_format(extraction, content, filename)
        if fmt == service_pb2.DOCUMENT_FORMAT_PDF:
            return paged_html(pdf_pages(content), views, unread)
        if fmt == service_pb2.DOCUMENT_FORMAT_IMAGE:
            return paged_html(image_pages(content), views, unread)
        if fmt == service_pb2.DOCUMENT_FORMAT_TEXT:
            text, _ = decode(content)
            return text_html(plain_text_doc(text), views, "原文 source text")
        document = formats.read(content, filename)
        return text_html(blocks_text_doc(document), views, "原文 source text (as read)")
    except (GovreportError, OSError, ValueError, RuntimeError) as exc:
        # The extraction stands on its own: say why the source is missing, show the rest.
        note = f"原文无法显示 The source cannot be shown: {type(exc).__name__}: {exc}"
        located = [v for v in views if has_provenance(v.placed.cell)]
        return f'<p class="notice">{_esc(note)}</p>{unplaced_html(located)}'


# ---------------------------------------------------------------- the side panel: tables


def _header_html(columns: Sequence[Column]) -> str:
    """One header row, or two when columns are nested ("法人或其他组织 / 商业企业")."""
    split = [c.label.split(" / ") for c in columns]
    if all(len(parts) == 1 for parts in split):
        cells = "".join(f'<th scope="col">{_esc(p[0])}</th>' for p in split)
        return f'<thead><tr><td class="corner"></td>{cells}</tr></thead>'
    top: list[str] = ['<td class="corner" rowspan="2"></td>']
    bottom: list[str] = []
    index = 0
    while index < len(split):
        parts = split[index]
        if len(parts) == 1:
            top.append(f'<th scope="col" rowspan="2">{_esc(parts[0])}</th>')
            index += 1
            continue
        span = 1
        while index + span < len(split) and split[index + span][0] == parts[0]:
            span += 1
        top.append(f'<th scope="colgroup" colspan="{span}">{_esc(parts[0])}</th>')
        bottom.extend(
            f'<th scope="col">{_esc(" / ".join(p[1:]))}</th>' for p in split[index : index + span]
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
        f'<button type="button" aria-label="{_esc(view.aria)}">{_esc(text)}</button></td>'
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
                f'class="d{line.depth}">{_esc(line.label)}</th></tr>'
            )
            continue
        row = line.row
        tds = "".join(
            _table_cell_html(cell, column, views.get(row.cell_path(column)))
            for column, cell in zip(columns, line.cells, strict=True)
        )
        out.append(f'<tr><th scope="row" class="d{line.depth}">{_esc(line.label)}</th>{tds}</tr>')
    return "".join(out)


def tables_html(report: pb.AnnualReport, views: Sequence[CellView]) -> str:
    """二 (one small table a block), 三 and 四, labelled as the template labels them."""
    tpl = template(report_version(report))
    by_path = {v.placed.path: v for v in views}
    headings = {s.number: f"{s.number}、{s.heading}" for s in tpl.sections}
    parts = [f'<h2 id="sec-2">{_esc(headings["二"])}</h2>']
    for block in tpl.disclosure_blocks:
        columns = max((row.columns for row in block.rows), key=len)
        body = _rows_html(report, block.rows, columns, by_path, skip_prefix=f"{block.label} / ")
        parts.append(
            f'<table class="grid"><caption>{_esc(block.label)}</caption>'
            f"{_header_html(columns)}<tbody>{body}</tbody></table>"
        )
    for number, rows in (("三", tpl.application_rows), ("四", tpl.review_rows)):
        columns = rows[0].columns
        body = _rows_html(report, rows, columns, by_path)
        parts.append(
            f'<h2 id="sec-{"3" if number == "三" else "4"}">{_esc(headings[number])}</h2>'
            f'<table class="grid wide">{_header_html(columns)}<tbody>{body}</tbody></table>'
        )
    parts.append(
        '<p class="key">空白 = blank · / = 不适用 n/a as written · ? = 缺失 missing · '
        "* = 推算 derived</p>"
    )
    return "".join(parts)


# ---------------------------------------------------------------- the side panel: findings


def _place_label(path: str, tpl: Template) -> str:
    labels = labels_by_path()
    if path in labels:
        return " · ".join(labels[path])
    for section in tpl.sections:
        if path == section.field or path.startswith(section.field + "."):
            return f"{section.number}、{section.heading}"
    return path


def _rule_text(rule_id: str) -> str:
    try:
        found = rule(rule_id)
    except KeyError:
        return ""
    return f"{found.description_zh} · {found.description_en}"


def findings_html(extraction: service_pb2.Extraction, views: Sequence[CellView]) -> str:
    validation = extraction.validation
    tpl = template(report_version(extraction.report))
    has_view = {v.placed.path for v in views}
    head = (
        f'<h2 id="findings">核查结果 Findings <span class="count">{validation.error_count} 错误 '
        f"error(s) · {validation.warning_count} 警告 warning(s)</span></h2>"
    )
    if validation.rules_checked:
        head += f'<p class="checked">已核查 Rules checked: {_esc(" ".join(validation.rules_checked))}</p>'
    if not validation.findings:
        return head + '<p class="none">无 None: every rule checked holds.</p>'
    items = []
    for number, finding in enumerate(validation.findings):
        severity = _SEVERITY.get(finding.severity, "warning")
        values = ""
        if finding.expected or finding.found:
            values = (
                f'<p class="values">应为 expected <b>{_esc(finding.expected or "?")}</b> · '
                f"实为 found <b>{_esc(finding.found or '?')}</b></p>"
            )
        places = "".join(
            f'<li class="{"suspect" if path in finding.suspect_cells else ""}">'
            f"{_esc(_place_label(path, tpl))}"
            f"{' — 最可能误读 suspect' if path in finding.suspect_cells else ''}</li>"
            for path in finding.cells
        )
        messages = "".join(
            f'<p class="msg" lang="{lang}">{_esc(text)}</p>'
            for lang, text in (("zh-CN", finding.message_zh), ("en", finding.message_en))
            if text
        )
        located = sum(1 for path in finding.cells if path in has_view)
        button = (
            f'<button type="button" class="fbtn" aria-label="{_esc(finding.rule_id)}: '
            f'显示 {located} 个单元格 show its {located} cell(s)">{_esc(finding.rule_id)}</button>'
        )
        items.append(
            f'<li class="finding sev-{severity}" id="f-{number + 1}" data-f="{number}">'
            f'<p class="fh"><span class="badge">{_SEVERITY_WORDS[severity]}</span> {button} '
            f'<span class="rdesc">{_esc(_rule_text(finding.rule_id))}</span></p>'
            f'{values}{messages}<ul class="places">{places}</ul></li>'
        )
    return head + f'<ol class="findings">{"".join(items)}</ol>'


# ---------------------------------------------------------------- the page


def _metadata_html(extraction: service_pb2.Extraction, filename: str) -> str:
    report, doc = extraction.report, extraction.document
    meta = report.metadata
    version = report_version(report)
    fmt = FORMAT_NAMES.get(doc.format, "")
    facts = [
        ("机关 agency", meta.agency),
        ("年度 year", str(meta.report_year) if meta.report_year else ""),
        ("发布 published", meta.publication_date),
        ("模板 template", f"{version}（{template(version).source}）"),
        ("文件 file", " · ".join(x for x in (doc.filename or filename, fmt) if x)),
        ("页数 pages", str(doc.page_count) if doc.page_count else ""),
    ]
    items = "".join(f"<div><dt>{_esc(k)}</dt><dd>{_esc(v)}</dd></div>" for k, v in facts if v)
    return f'<dl class="facts">{items}</dl>'


def _legend_html(views: Sequence[CellView]) -> str:
    counts = {status: 0 for status in STATUSES}
    for view in views:
        counts[view.status] += 1
    items = "".join(
        f'<li><span class="swatch st-{status}" aria-hidden="true"></span>'
        f'{_esc(STATUS_WORDS[status])} <span class="n">{counts[status]}</span></li>'
        for status in ("ok", "low", "rule", "suspect", "blank")
    )
    return f'<ul class="legend" aria-label="图例 Legend">{items}</ul>'


def _data_json(extraction: service_pb2.Extraction, views: Sequence[CellView]) -> str:
    """What the script shows on hover: per cell, and per finding the cell ids it names."""
    ids = {v.placed.path: v.id for v in views}
    cells = {}
    for view in views:
        cell = view.placed.cell
        cells[view.id] = {
            "label": view.label,
            "value": value_text(cell) + (cell.unit if cell.unit and value_text(cell) else ""),
            "raw": cell.raw_text,
            "state": STATE_WORDS.get(cell.state, "unspecified"),
            "derived": cell.derived,
            "confidence": round(cell.confidence, 3),
            "rules": list(view.rules),
            "notes": list(cell.notes),
            "where": where_text(cell.provenance) if has_provenance(cell) else "",
            "status": STATUS_WORDS[view.status],
        }
    findings = [
        {
            "rule": f.rule_id,
            "severity": _SEVERITY.get(f.severity, "warning"),
            "message": f.message_zh or f.message_en,
            "cells": [ids[p] for p in f.cells if p in ids],
            "suspects": [ids[p] for p in f.suspect_cells if p in ids],
        }
        for f in extraction.validation.findings
    ]
    text = json.dumps({"cells": cells, "findings": findings}, ensure_ascii=False)
    # Inside <script>, "</script" would end the element: "<" never appears raw.
    return text.replace("<", "\\u003c")


def build_review(
    content: bytes,
    filename: str,
    extraction: service_pb2.Extraction,
    *,
    min_confidence: float = OCR_MIN_CONFIDENCE,
) -> str:
    """The review page for one document: its bytes, its name and what was extracted from it."""
    views = cell_views(extraction, min_confidence)
    meta = extraction.report.metadata
    title = meta.title or extraction.document.filename or filename or "govreport review"
    return (
        "<!doctype html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        # Nothing may be fetched: the page is whole as it is.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>审阅 Review · {_esc(title)}</title><style>{CSS}</style></head>"
        '<body><a class="skip" href="#side">跳到表格 Skip to the tables</a>'
        f'<header class="top"><h1>{_esc(title)}</h1>'
        f"{_metadata_html(extraction, filename)}{_legend_html(views)}</header>"
        '<main class="layout">'
        f'<section class="doc" id="doc" aria-label="原文 Source">'
        f"{source_html(content, filename, extraction, views)}</section>"
        '<aside class="side" id="side" aria-label="提取结果 Extracted data">'
        '<section class="inspector" id="inspector" aria-live="polite">'
        '<p class="hint">将鼠标移到或点击单元格查看详情 · Hover over or click a cell, '
        "or a finding, to see it here.</p></section>"
        f"{findings_html(extraction, views)}{tables_html(extraction.report, views)}</aside></main>"
        f'<script type="application/json" id="review-data">{_data_json(extraction, views)}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


# ---------------------------------------------------------------- command line


# ---------------------------------------------------------------- style and script

CSS = """
:root{--ok:#1a7f37;--low:#b07000;--rule:#cf222e;--blank:#8c959f;--sel:#0969da;
--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#eef1f4;--panel:#fff}
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Source Han Sans SC",
"WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg);
display:flex;flex-direction:column}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;z-index:9;background:#fff;padding:.3rem}
header.top{padding:.5rem 1rem;background:var(--panel);border-bottom:1px solid var(--line);
display:flex;flex-wrap:wrap;align-items:baseline;gap:.3rem 1.5rem}
h1{font-size:1.1rem;margin:0;font-weight:600}
h2{font-size:1rem;margin:1.1rem 0 .4rem}
.facts{display:flex;flex-wrap:wrap;gap:.2rem 1rem;margin:0;font-size:.85rem}
.facts div{display:flex;gap:.3rem}.facts dt{color:var(--muted)}.facts dd{margin:0}
.legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;list-style:none;margin:0;padding:0;font-size:.85rem}
.legend li{display:flex;align-items:center;gap:.35rem}.legend .n{color:var(--muted)}
.swatch{display:inline-block;width:1.4em;height:.9em;border:2px solid var(--c)}
.swatch.st-low{border-style:dashed}.swatch.st-blank{border-style:dotted}
.swatch.st-suspect{border-width:3px;background:rgba(207,34,46,.18)}
.st-ok{--c:var(--ok)}.st-low{--c:var(--low)}.st-rule,.st-suspect{--c:var(--rule)}.st-blank{--c:var(--blank)}
.layout{flex:1;min-height:0;display:grid;grid-template-columns:minmax(0,1fr) clamp(440px,42vw,720px)}
.doc{overflow:auto;padding:1rem}
.side{overflow:auto;background:var(--panel);border-left:1px solid var(--line);padding:0 1rem 2rem}
.sheet{margin:0 auto 1.2rem}
.page{position:relative;margin:0 auto;background:#fff;box-shadow:0 1px 4px rgba(0,0,0,.25)}
.page img{position:absolute;inset:0;width:100%;height:100%;display:block}
figcaption{text-align:center;color:var(--muted);font-size:.8rem;margin-top:.3rem}
.ol{cursor:pointer;scroll-margin:6rem}
.page .ol{position:absolute;border:2px solid var(--c);border-radius:1px}
.page .ol.st-low{border-style:dashed}.page .ol.st-blank{border-style:dotted}
.page .ol.st-rule{background:rgba(207,34,46,.07)}
.page .ol.st-suspect{border-width:3px;background:rgba(207,34,46,.18)}
.ol:hover,.ol.hl{box-shadow:0 0 0 3px rgba(9,105,218,.45);z-index:2}
.ol.fhl{box-shadow:0 0 0 3px rgba(9,105,218,.7);z-index:2}
.ol.sel,.ol:focus-visible{box-shadow:0 0 0 4px var(--sel);outline:none;z-index:3}
.src{background:#fff;box-shadow:0 1px 4px rgba(0,0,0,.25);padding:.6rem 0;max-width:60rem;margin:0 auto;
font:13px/1.7 ui-monospace,"DejaVu Sans Mono","WenQuanYi Zen Hei Mono",monospace;tab-size:4}
.ln{display:flex;white-space:pre-wrap;word-break:break-all;padding-right:1rem}
.ln::before{content:attr(data-n);flex:0 0 3.5em;text-align:right;padding-right:1em;color:var(--muted);
user-select:none;border-right:1px solid var(--line);margin-right:.8em}
.src .ol{outline:2px solid var(--c);outline-offset:1px;border-radius:2px}
.src .ol.st-low{outline-style:dashed}.src .ol.st-blank{outline-style:dotted}
.src .ol.st-rule{background:rgba(207,34,46,.08)}.src .ol.st-suspect{outline-width:3px;background:rgba(207,34,46,.18)}
.src .ol:empty,.unplaced .ol{display:inline-block;min-width:1.4em;height:1.1em;vertical-align:middle;
outline:2px dotted var(--c)}
.unplaced{background:#fff;padding:.5rem 1rem;margin:1rem auto;max-width:60rem}
.notice{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem 1rem}
.inspector{position:sticky;top:0;z-index:5;background:var(--panel);border-bottom:1px solid var(--line);
padding:.6rem 0;min-height:6rem;font-size:.85rem}
.inspector h3{font-size:.9rem;margin:0 0 .3rem}
.inspector dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:0}
.inspector dt{color:var(--muted)}.inspector dd{margin:0;word-break:break-all}
.hint{color:var(--muted);margin:0}
.count,.checked{color:var(--muted);font-weight:400;font-size:.85rem}
.findings{list-style:none;margin:0;padding:0}
.finding{border:1px solid var(--line);border-left:4px solid var(--c);border-radius:4px;margin:.4rem 0;
padding:.3rem .6rem;font-size:.85rem}
.finding{cursor:pointer;scroll-margin-top:14rem}
.fbtn{font:inherit;font-weight:700;border:0;background:none;padding:0 .1rem;color:inherit;cursor:pointer;
text-decoration:underline dotted}
.finding.sev-error{--c:var(--rule)}.finding.sev-warning{--c:var(--low)}.finding.sev-info{--c:var(--blank)}
.finding.active{outline:3px solid var(--sel);outline-offset:1px}
.fbtn:focus-visible{outline:3px solid var(--sel)}
.finding p{margin:.15rem 0}.finding .places{margin:.15rem 0;padding-left:1.2rem;color:var(--muted)}
.finding .places .suspect{color:var(--rule);font-weight:600}
.badge{display:inline-block;padding:0 .4rem;border-radius:1em;color:#fff;background:var(--c);font-size:.75rem}
.rdesc{color:var(--muted)}
table.grid{border-collapse:collapse;width:100%;font-size:12px;margin:.3rem 0 .8rem}
.grid caption{text-align:left;font-weight:600;padding:.2rem 0}
.grid th,.grid td{border:1px solid var(--line);padding:2px 4px}
.grid thead th{background:#f6f8fa;font-weight:500;font-size:11px}
.grid th[scope=row]{text-align:left;font-weight:400}
.grid .grp th{text-align:left;background:#f6f8fa;font-weight:600}
.grid .d1{padding-left:1.2em}.grid .d2{padding-left:2.2em}
.grid td.tc{padding:0;min-width:2.2em;scroll-margin:14rem 0 3rem}
.tc button{font:inherit;color:inherit;background:none;border:0;width:100%;min-height:1.6em;padding:2px 4px;
text-align:right;font-variant-numeric:tabular-nums;cursor:pointer}
.tc button:focus-visible{outline:3px solid var(--sel);outline-offset:-3px}
.grid td.na{background:repeating-linear-gradient(45deg,#fff,#fff 4px,#f3f4f6 4px,#f3f4f6 8px)}
.tc.st-rule{background:#ffebe9;box-shadow:inset 3px 0 0 var(--rule)}
.tc.st-suspect{background:#ffcecb;box-shadow:inset 4px 0 0 var(--rule);font-weight:700}
.tc.st-low{background:#fff8c5;box-shadow:inset 3px 0 0 var(--low)}
.tc.st-blank{background:#f6f8fa;color:var(--muted)}
.tc:hover,.tc.hl{outline:2px solid rgba(9,105,218,.6);outline-offset:-2px}
.tc.fhl{outline:2px solid rgba(9,105,218,.8);outline-offset:-2px}
.tc.sel{outline:3px solid var(--sel);outline-offset:-3px}
.key{color:var(--muted);font-size:.8rem}
@media (max-width:900px){.layout{grid-template-columns:1fr}.side{border-left:0}}
@media print{.layout{display:block}.doc,.side{overflow:visible}.inspector{position:static}}
"""

SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var outlines = {}, tableCells = {};
  function index(map, el) { var id = el.getAttribute("data-c"); (map[id] = map[id] || []).push(el); }
  document.querySelectorAll(".ol[data-c]").forEach(function (el) { index(outlines, el); });
  document.querySelectorAll(".tc[data-c]").forEach(function (el) { index(tableCells, el); });
  var inspector = document.getElementById("inspector");
  var hint = inspector.innerHTML;
  var selected = null;

  function both(ids) {
    var out = [];
    ids.forEach(function (id) { out = out.concat(outlines[id] || [], tableCells[id] || []); });
    return out;
  }
  function mark(cls, ids) {
    document.querySelectorAll("." + cls).forEach(function (el) { el.classList.remove(cls); });
    both(ids).forEach(function (el) { el.classList.add(cls); });
  }
  function reveal(el) { if (el) { el.scrollIntoView({block: "center", inline: "nearest"}); } }
  function add(parent, tag, text, cls) {
    var el = document.createElement(tag);
    if (text !== undefined) { el.textContent = text; }
    if (cls) { el.className = cls; }
    parent.appendChild(el);
    return el;
  }
  function fact(dl, term, value) {
    if (value === "" || value === null || value === undefined) { return; }
    add(dl, "dt", term); add(dl, "dd", String(value));
  }
  function showCell(id) {
    var c = data.cells[id];
    if (!c) { return; }
    inspector.textContent = "";
    add(inspector, "h3", c.label);
    var dl = add(inspector, "dl");
    fact(dl, "值 value", c.value || "—");
    fact(dl, "原文 raw text", c.raw === "" ? "(空 empty)" : c.raw);
    fact(dl, "状态 state", c.state + (c.derived ? " · 推算 derived" : ""));
    fact(dl, "置信度 confidence", c.confidence.toFixed(2));
    fact(dl, "审阅 status", c.status);
    fact(dl, "规则 rules", c.rules.join(" "));
    fact(dl, "位置 where", c.where || "(无 none)");
    fact(dl, "备注 notes", c.notes.join("; "));
  }
  function showFinding(i) {
    var f = data.findings[i];
    inspector.textContent = "";
    add(inspector, "h3", f.rule + " · " + (f.severity === "error" ? "错误 error" : "警告 warning"));
    add(inspector, "p", f.message);
    var dl = add(inspector, "dl");
    fact(dl, "单元格 cells", f.cells.map(function (id) { return data.cells[id].label; }).join("; "));
    fact(dl, "可疑 suspect", f.suspects.map(function (id) { return data.cells[id].label; }).join("; "));
  }
  function restore() {
    if (!selected) { inspector.innerHTML = hint; }
    else if (selected.cell) { showCell(selected.cell); }
    else { showFinding(selected.finding); }
  }
  function activeFinding(i) {
    document.querySelectorAll(".finding.active").forEach(function (el) { el.classList.remove("active"); });
    if (i !== null) { document.getElementById("f-" + (i + 1)).classList.add("active"); }
  }
  function selectCell(id, from) {
    selected = {cell: id};
    mark("fhl", []); activeFinding(null); mark("sel", [id]); showCell(id);
    if (from !== "outline") { reveal((outlines[id] || [])[0]); }
    if (from !== "table") { reveal((tableCells[id] || [])[0]); }
  }
  function selectFinding(i) {
    var f = data.findings[i];
    if (!f) { return; }
    selected = {finding: i};
    mark("sel", f.suspects); mark("fhl", f.cells); activeFinding(i); showFinding(i);
    var first = f.suspects.concat(f.cells).filter(function (id) { return outlines[id]; })[0];
    if (first) { reveal(outlines[first][0]); }
  }
  function clear() { selected = null; mark("sel", []); mark("fhl", []); activeFinding(null); restore(); }

  function hover(e) {
    var t = e.target.closest ? e.target.closest("[data-c]") : null;
    if (!t) { return; }
    mark("hl", [t.getAttribute("data-c")]);
    showCell(t.getAttribute("data-c"));
  }
  function leave(e) {
    var t = e.target.closest ? e.target.closest("[data-c]") : null;
    if (!t) { return; }
    mark("hl", []);
    restore();
  }
  function activate(e) {
    var t = e.target.closest ? e.target.closest("[data-c], [data-f]") : null;
    if (!t) { return false; }
    if (t.hasAttribute("data-c")) {
      selectCell(t.getAttribute("data-c"), t.classList.contains("ol") ? "outline" : "table");
    } else {
      selectFinding(Number(t.getAttribute("data-f")));
    }
    return true;
  }
  document.addEventListener("mouseover", hover);
  document.addEventListener("mouseout", leave);
  document.addEventListener("focusin", hover);
  document.addEventListener("click", function (e) { if (activate(e)) { e.preventDefault(); } });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { clear(); return; }
    // Buttons click on Enter and Space by themselves; the outlines (spans) need the help.
    var onOutline = e.target.classList && e.target.classList.contains("ol");
    if (onOutline && (e.key === "Enter" || e.key === " ") && activate(e)) { e.preventDefault(); }
  });

  // A link to the page can name what to show: #f-2 (a finding) or #o-c17 / #t-c17 (a cell).
  var hash = decodeURIComponent(location.hash.slice(1));
  var m = /^f-(\\d+)$/.exec(hash);
  if (m) { selectFinding(Number(m[1]) - 1); }
  m = /^[ot]-(c\\d+)$/.exec(hash);
  if (m && data.cells[m[1]]) { selectCell(m[1], ""); }

  // Record what the browser actually laid out, for tests and for a glance in devtools.
  var drawn = 0;
  document.querySelectorAll("[data-view]").forEach(function (view) {
    var n = 0;
    view.querySelectorAll(".ol:not(.ol-cont)").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) { n += 1; }
    });
    view.setAttribute("data-drawn", String(n));
    drawn += n;
  });
  document.body.setAttribute("data-drawn", String(drawn));
  document.body.setAttribute("data-cells", String(Object.keys(data.cells).length));
  document.body.setAttribute("data-ready", "1");
})();
"""
