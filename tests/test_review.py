"""``govreport review``: the self-contained HTML page, checked as markup and in a real browser.

The browser tests run headless Chromium (Debian package ``chromium``) on the
page from a file:// URL: the DOM after the page's script ran (it records how
many outlines the browser laid out) and a screenshot (the outline colours are
in it). They fail, not skip, when Chromium is missing.

``GOVREPORT_REVIEW_PNG=docs/review.png .venv/bin/pytest -q tests/test_review.py -k screenshot``
rewrites the README's screenshot.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import select
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import headless
import numpy as np
import pypdfium2 as pdfium
import pytest
from fakes import NEW_TOTAL_PATH, FakeBackend, make_extraction
from fixtures import load_gold, render
from fixtures.pdf import pdf_ruled
from PIL import Image

from govreport import cli, review
from govreport.convert import convert
from govreport.paths import iter_cells
from govreport.readers.text import decode
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2, validation_pb2

SAMPLES = Path(__file__).parents[1] / "server/govreport/samples"
# The cell edited in the PDF so that R1 (its column) and R2 (its row) break: 5 -> 7.
EDITED = ("三", "一、本年新收政府信息公开申请数量", "自然人")
EDITED_PATH = "application_handling.new_applications.natural_persons"
PROSE_PATH = "proactive_disclosure_2021.penalty_decisions"  # prose in seed 001 (R6a)
GREEN, RED = (0x1A, 0x7F, 0x37), (0xCF, 0x22, 0x2E)  # --ok and --rule in review/static/review.css
ORIGINAL_FIGURE = "5"  # EDITED's figure in the gold: the sums hold with it


# ---------------------------------------------------------------- reading the page back


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    line: str = ""  # data-n of the enclosing source line
    view: str = ""  # data-view of the enclosing view (a page, the text)
    text: str = ""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Page(HTMLParser):
    """Every element with its attributes, its text and where it sits."""

    VOID: ClassVar[set[str]] = {"img", "meta", "br", "hr", "input", "link", "source", "col", "wbr"}

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.console: list[str] = []  # what Chromium logged of the page (dump_dom)
        self._open: list[Element] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        parent = self._open[-1] if self._open else None
        element = Element(
            tag,
            values,
            values.get("data-n", parent.line if parent else ""),
            values.get("data-view", parent.view if parent else ""),
        )
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def outlines(self) -> list[Element]:
        """One element a cell: the first piece of its outline."""
        return [e for e in self.elements if "ol" in e.classes and "ol-cont" not in e.classes]

    def by_id(self, ident: str) -> Element:
        return next(e for e in self.elements if e.attrs.get("id") == ident)


def inline(markup: str, tag: str) -> list[str]:
    """The text of every <style> or executable <script> element, as the browser hashes it."""
    return re.findall(rf"<{tag}>(.*?)</{tag}>", markup, re.S)  # the JSON data has attributes


def rule_for(markup: str, selector: str) -> str:
    """The declarations of the page's stylesheet rule for ``selector`` (an outline's place)."""
    (style,) = inline(markup, "style")
    found = re.findall(re.escape(selector) + r"\{([^}]*)\}", style)
    assert len(found) == 1, (selector, found)
    return str(found[0])


def declarations(text: str) -> dict[str, float]:
    """Declarations as numbers: "left:1.5%;top:2%" gives {"left": 1.5, "top": 2.0}."""
    return {
        k.strip(): float(v.strip().rstrip("%"))
        for k, v in (part.split(":") for part in text.split(";"))
    }


def located(extraction: service_pb2.Extraction) -> list[str]:
    """Paths of the cells that say where they were read, in the template's order."""
    return [p.path for p in iter_cells(extraction.report) if p.cell.provenance.ListFields()]


def ids_by_path(extraction: service_pb2.Extraction) -> dict[str, str]:
    return {v.placed.path: v.id for v in review.cell_views(extraction)}


def assert_self_contained(markup: str) -> None:
    remote = re.findall(
        r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""",
        markup,
        re.I,
    )
    assert not remote, f"the page refers to the network: {remote[:3]}"
    assert "<link" not in markup and "@import" not in markup
    sources = re.findall(r"""\bsrc\s*=\s*["']([^"']*)""", markup)
    assert all(s.startswith("data:image/") for s in sources), sources[:3]
    assert "Content-Security-Policy" in markup and "default-src 'none'" in markup


# ---------------------------------------------------------------- fixtures


@dataclass
class Reviewed:
    path: Path  # the source document
    html: Path  # the page written by `govreport review`
    extraction: service_pb2.Extraction
    markup: str = field(repr=False)
    page: Page = field(repr=False)


def run_review(*argv: str) -> int:
    """``govreport review ARGV…``: its exit code."""
    return cli.main(["review", *argv])


def write_review(source: Path, out: Path, expect: int) -> Reviewed:
    code = run_review(str(source), "--html", str(out))
    assert code == expect
    markup = out.read_text(encoding="utf-8")
    extraction = convert(source.read_bytes(), source.name)
    return Reviewed(source, out, extraction, markup, Page(markup))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("review")


@pytest.fixture(scope="module")
def pdf_review(workdir: Path) -> Reviewed:
    """synthetic_2021 drawn as pdf_ruled, one figure edited so that R1 and R2 break (exit 1)."""
    gold = load_gold("synthetic_2021").with_expected({EDITED: "7"})
    content, _ = pdf_ruled(gold)
    source = workdir / "synthetic_2021_edited.pdf"
    source.write_bytes(content)
    return write_review(source, workdir / "pdf.html", expect=1)


@pytest.fixture(scope="module")
def html_review(workdir: Path) -> Reviewed:
    """synthetic_2021 as a web page with merged header cells: shown as extracted (exit 0)."""
    content, _ = render("synthetic_2021", "html_merged")
    source = workdir / "synthetic_2021.html"
    source.write_bytes(content)
    return write_review(source, workdir / "html.html", expect=0)


@pytest.fixture(scope="module")
def text_review(workdir: Path) -> Reviewed:
    """Seed 001: a text report whose 行政处罚 cell is prose (R6a, a warning: exit 0)."""
    source = next(SAMPLES.glob("001_*.txt"))
    return write_review(source, workdir / "text.html", expect=0)


# ---------------------------------------------------------------- the markup: a PDF


def test_pdf_page_is_self_contained_and_small(pdf_review: Reviewed) -> None:
    assert_self_contained(pdf_review.markup)
    images = [e for e in pdf_review.page.elements if e.tag == "img"]
    assert len(images) == pdf_review.extraction.document.page_count == 3
    assert len(pdf_review.markup.encode()) < 1_500_000  # 3 pages; the brief: 5 well under 3 MB


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("which", ["pdf", "text", "html"])
def test_csp_allows_only_the_inlined_style_and_script_by_their_hashes(
    which: str, request: pytest.FixtureRequest
) -> None:
    reviewed: Reviewed = request.getfixturevalue(f"{which}_review")
    markup = reviewed.markup
    meta = next(
        e
        for e in reviewed.page.elements
        if e.tag == "meta" and e.attrs.get("http-equiv") == "Content-Security-Policy"
    )
    policy = meta.attrs["content"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    (style,) = inline(markup, "style")
    (script,) = inline(markup, "script")
    assert directives == {
        "default-src": ["'none'"],
        "img-src": ["data:"],
        "style-src": [_sha256(style)],
        "script-src": [_sha256(script)],
    }
    assert "unsafe" not in policy
    # The static files, inlined as they are (the page's geometry follows the stylesheet).
    assert script == review.asset("review.js") and style.startswith(review.asset("review.css"))
    # A hash allows no style attribute and no event-handler attribute: the page has none.
    assert not [e.attrs for e in reviewed.page.elements if "style" in e.attrs]
    assert not [e.tag for e in reviewed.page.elements if any(a.startswith("on") for a in e.attrs)]


def test_pdf_has_one_outline_per_located_cell(pdf_review: Reviewed) -> None:
    outlines = pdf_review.page.outlines()
    expected = located(pdf_review.extraction)
    assert len(expected) == 200
    assert len(outlines) == len(expected)
    ids = ids_by_path(pdf_review.extraction)
    assert sorted(o.attrs["data-c"] for o in outlines) == sorted(ids[p] for p in expected)
    assert all(o.view.startswith("page-") for o in outlines), "every PDF cell sits on a page"
    assert not [e for e in pdf_review.page.elements if e.attrs.get("data-view") == "unplaced"]


def test_pdf_outline_is_where_the_box_is(pdf_review: Reviewed) -> None:
    """Points from the top of the page, as fractions of the page pypdfium2 measures."""
    cell = next(p.cell for p in iter_cells(pdf_review.extraction.report) if p.path == EDITED_PATH)
    box = cell.provenance.box
    assert box.unit == pb.COORDINATE_UNIT_POINTS
    width, height = pdfium.PdfDocument(pdf_review.path.read_bytes())[
        cell.provenance.page - 1
    ].get_size()
    outline = pdf_review.page.by_id("o-" + ids_by_path(pdf_review.extraction)[EDITED_PATH])
    assert outline.view == f"page-{cell.provenance.page}"
    style = declarations(rule_for(pdf_review.markup, f"#{outline.attrs['id']}"))
    assert style["left"] == pytest.approx(box.x0 / width * 100, abs=0.01)
    assert style["top"] == pytest.approx(box.y0 / height * 100, abs=0.01)
    assert style["width"] == pytest.approx((box.x1 - box.x0) / width * 100, abs=0.01)
    assert style["height"] == pytest.approx((box.y1 - box.y0) / height * 100, abs=0.01)


def test_pdf_statuses_follow_the_findings(pdf_review: Reviewed) -> None:
    """Cells named by a broken rule are red, every other cell of this text layer is green."""
    findings = list(pdf_review.extraction.validation.findings)
    assert {f.rule_id for f in findings} >= {"R1", "R2"}
    assert not any(f.suspect_cells for f in findings)  # no OCR here: no suspects
    named = {p for f in findings if f.rule_id != "Q1" for p in f.cells}
    ids = ids_by_path(pdf_review.extraction)
    status = {
        o.attrs["data-c"]: o.classes & {f"st-{s}" for s in review.STATUSES}
        for o in pdf_review.page.outlines()
    }
    assert all(len(s) == 1 for s in status.values())
    assert status[ids[EDITED_PATH]] == {"st-rule"}
    red = {ids[p] for p in named if p in ids}
    assert red == {i for i, s in status.items() if s == {"st-rule"}}
    assert {i for i, s in status.items() if s == {"st-ok"}} == set(status) - red
    # The side panel: the same status on the table cell, the findings listed with their rule ids.
    table_cell = pdf_review.page.by_id("t-" + ids[EDITED_PATH])
    assert "st-rule" in table_cell.classes and table_cell.text == "7"
    listed = [e for e in pdf_review.page.elements if "finding" in e.classes]
    assert [e.attrs["id"] for e in listed] == [f"f-{n}" for n in range(1, len(findings) + 1)]
    r1 = next(n for n, f in enumerate(findings) if f.rule_id == "R1")
    assert "sev-error" in listed[r1].classes
    assert (
        "R1" in listed[r1].text and "expected 8" in listed[r1].text and "found 6" in listed[r1].text
    )


def test_side_panel_has_the_three_tables_under_the_template_labels(pdf_review: Reviewed) -> None:
    page = pdf_review.page
    headings = [e.text for e in page.elements if e.tag == "h2"]
    for heading in (
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
    ):
        assert heading in headings
    row_labels = {e.text for e in page.elements if e.tag == "th"}
    assert {
        "规章",
        "行政规范性文件",
        "一、本年新收政府信息公开申请数量",
        "1.属于国家秘密",
        "复议后起诉",
    } <= row_labels
    assert {"自然人", "法人或其他组织", "商业企业", "总计", "结果维持"} <= row_labels
    table_cells = [e for e in page.elements if "tc" in e.classes]
    assert len(table_cells) == 200
    assert len({e.attrs["id"] for e in table_cells}) == 200


# ---------------------------------------------------------------- the markup: text and HTML/DOCX


def test_text_outlines_mark_the_cells_span_on_its_line(text_review: Reviewed) -> None:
    text, _ = decode(text_review.path.read_bytes())
    outlines = {o.attrs["data-c"]: o for o in text_review.page.outlines()}
    placed = list(iter_cells(text_review.extraction.report))
    assert len(outlines) == len(located(text_review.extraction)) == 200
    assert_self_contained(text_review.markup)
    for view in review.cell_views(text_review.extraction):
        provenance = view.placed.cell.provenance
        outline = outlines[view.id]
        assert outline.line == str(provenance.line), view.label
        pieces = [
            e.text
            for e in text_review.page.elements
            if e.attrs.get("data-c") == view.id and "ol" in e.classes
        ]
        assert "".join(pieces) == text[provenance.char_start : provenance.char_end].replace(
            "\n", ""
        )
    prose = next(p for p in placed if p.path == PROSE_PATH)
    prose_outline = outlines[ids_by_path(text_review.extraction)[prose.path]]
    # R6a is a warning here: the warning's colour, not the error's.
    assert "st-warn" in prose_outline.classes and "一般程序案件" in prose_outline.text
    assert sum("st-ok" in o.classes for o in outlines.values()) == 199


@pytest.mark.parametrize("layout", ["html_merged", "docx_merged"])
def test_html_and_docx_are_shown_as_their_text_with_every_cell_marked(layout: str) -> None:
    content, _ = render("synthetic_2021", layout)
    name = f"report.{layout.split('_')[0]}"
    extraction = convert(content, name)
    markup = review.build_review(content, name, extraction)
    page = Page(markup)
    outlines = page.outlines()
    assert len(outlines) == len(located(extraction)) == 200
    assert all(o.view == "text" and o.line for o in outlines)
    cells = {v.id: v.placed.cell for v in review.cell_views(extraction)}
    assert all(o.text.strip() == cells[o.attrs["data-c"]].raw_text.strip() for o in outlines)
    # What is shown is what was extracted: the file is not read a second time.
    assert review.build_review(b"", name, extraction) == markup
    lines = [e.text for e in page.elements if "ln" in e.classes]
    report = extraction.report
    for heading in (
        report.metadata.title,
        report.overview.heading,
        report.application_handling_source.heading,
        report.other_matters.heading,
    ):
        assert heading and heading in lines
    assert report.problems_and_improvements.text in lines  # a paragraph, one line
    # A row of 三 as its cells' raw text, after the template's name for the row (set apart).
    new = next(e for e in page.elements if "ln" in e.classes and e.text.startswith("一、本年新收"))
    assert new.text == "一、本年新收政府信息公开申请数量" + "5 │ 1 │ 0 │ 0 │ 0 │ 0 │ 6"
    assert "table[2]/row[4]" in new.attrs["title"]


def test_a_word_document_is_shown_from_its_extraction_alone() -> None:
    """Headings, paragraphs and the rows cells were read from, in the document's order; a
    missing cell at the end of its row, a cell read from a paragraph on a line of its own."""
    report = pb.AnnualReport()
    report.overview.present = True
    report.overview.heading = "一、总体情况"
    report.overview.text = "第一段。\n（一）主动公开。及时公开。"
    report.overview.provenance.locator = "p[3]"
    report.overview.subsections.add(heading="（一）主动公开").provenance.locator = "p[5]"
    report.proactive_disclosure_source.heading = "二、主动公开政府信息情况"
    report.proactive_disclosure_source.heading_provenance.locator = "p[10]"
    rules = report.proactive_disclosure_2021.rules
    for cell, state, raw, locator in (
        (rules.in_force, pb.CELL_STATE_NUMBER, "5", "table[1]/row[3]/cell[4]"),
        (rules.issued, pb.CELL_STATE_NUMBER, "3", "table[1]/row[3]/cell[2]"),
        (rules.repealed, pb.CELL_STATE_MISSING, "", "table[1]/row[3]"),
        (
            report.proactive_disclosure_2021.penalty_decisions,
            pb.CELL_STATE_TEXT,
            "一般程序案件29起",
            "p[12]",
        ),
    ):
        cell.state, cell.raw_text, cell.confidence = state, raw, 1.0
        cell.provenance.locator = locator
    extraction = service_pb2.Extraction(
        report=report, document=service_pb2.DocumentInfo(format=service_pb2.DOCUMENT_FORMAT_DOCX)
    )
    views = review.cell_views(extraction)
    doc = review.extracted_text_doc(extraction, views)
    assert doc.lines == [
        "一、总体情况",
        "第一段。",
        "（一）主动公开。及时公开。",
        "二、主动公开政府信息情况",
        "3 │ 5",
        "一般程序案件29起",
    ]
    assert doc.titles[:4] == ["p[3]", "", "p[5]", "p[10]"]
    assert doc.labels[4:] == ["规章", "行政处罚"]
    page = Page(review.build_review(b"", "report.docx", extraction))  # no file: no reading
    outlines = {o.text: o for o in page.outlines()}
    assert set(outlines) == {"3", "5", "", "一般程序案件29起"}
    assert {o.line for o in outlines.values()} == {"5", "6"}
    assert [o.text for o in page.outlines() if o.line == "5"] == ["3", "5", ""]  # at the end
    assert "st-blank" in outlines[""].classes
    assert not [e for e in page.elements if e.attrs.get("data-view") == "unplaced"]


def test_a_cell_over_two_lines_is_one_outline_in_two_pieces() -> None:
    doc = review.plain_text_doc("规章\t12\r\n34\t5\n")
    assert doc.lines == ["规章\t12", "34\t5"] and doc.starts == [0, 7]
    assert doc.locate(pb.Provenance(char_start=3, char_end=9)) == (3, 9)
    placed = next(iter_cells(_report_with_one_cell()))
    cell_view = review.CellView("c1", placed, "ok", ())
    by_line, unplaced = review.pieces(doc, [cell_view])
    assert not unplaced
    assert [(p.start, p.end, p.first) for p in by_line[0]] == [(3, 5, True)]
    assert [(p.start, p.end, p.first) for p in by_line[1]] == [(0, 2, False)]
    first = review.line_html(doc.lines[0], by_line[0])
    assert 'id="o-c1"' in first and first.endswith(">12</span>")
    assert 'class="ol st-ok ol-cont"' in review.line_html(doc.lines[1], by_line[1])


def _report_with_one_cell() -> pb.AnnualReport:
    report = pb.AnnualReport()
    cell = report.proactive_disclosure_2021.rules.issued
    cell.state = pb.CELL_STATE_NUMBER
    cell.count = 1234
    cell.provenance.char_start, cell.provenance.char_end = 3, 9
    return report


# ---------------------------------------------------------------- statuses and geometry


def test_status_precedence() -> None:
    index = review.FindingIndex(broken={"a": ["R1"], "s": ["R2"]}, doubtful={"q"}, suspects={"s"})
    number = pb.Cell(state=pb.CELL_STATE_NUMBER, confidence=1.0)
    doubtful = pb.Cell(state=pb.CELL_STATE_NUMBER, confidence=0.5)
    blank = pb.Cell(state=pb.CELL_STATE_BLANK, confidence=0.0)
    assert review.cell_status(number, "s", index, 0.8) == "suspect"
    assert review.cell_status(blank, "a", index, 0.8) == "rule"
    assert review.cell_status(number, "q", index, 0.8) == "low"  # a Q1 finding
    assert review.cell_status(doubtful, "x", index, 0.8) == "low"  # under the threshold
    assert review.cell_status(blank, "x", index, 0.8) == "blank"
    assert review.cell_status(pb.Cell(state=pb.CELL_STATE_MISSING), "x", index, 0.8) == "blank"
    assert review.cell_status(number, "x", index, 0.8) == "ok"
    warned = review.FindingIndex(
        broken={"w": ["R6a"], "s": ["R2"]}, doubtful=set(), suspects={"s"}, warned=frozenset("ws")
    )
    assert review.cell_status(number, "w", warned, 0.8) == "warn"
    assert review.cell_status(number, "s", warned, 0.8) == "suspect"  # a suspect stays one


def test_cells_only_warnings_name_are_told_apart_from_errors() -> None:
    validation = validation_pb2.ValidationReport(
        findings=[
            validation_pb2.Finding(
                rule_id="R6a", severity=validation_pb2.SEVERITY_WARNING, cells=["a", "b"]
            ),
            validation_pb2.Finding(
                rule_id="R1", severity=validation_pb2.SEVERITY_ERROR, cells=["b"]
            ),
            validation_pb2.Finding(
                rule_id="C5", severity=validation_pb2.SEVERITY_INFO, cells=["c"]
            ),
        ]
    )
    index = review.FindingIndex.of(validation)
    assert index.warned == {"a"} and set(index.broken) == {"a", "b"}
    number = pb.Cell(state=pb.CELL_STATE_NUMBER, confidence=1.0)
    assert [review.cell_status(number, p, index, 0.8) for p in "abc"] == ["warn", "rule", "ok"]


def test_finding_index_keeps_ocr_doubt_apart_from_broken_rules() -> None:
    validation = validation_pb2.ValidationReport(
        findings=[
            validation_pb2.Finding(rule_id="Q1", cells=["a"]),
            validation_pb2.Finding(rule_id="R2", cells=["a", "b"], suspect_cells=["b"]),
        ]
    )
    index = review.FindingIndex.of(validation)
    assert index.doubtful == {"a"} and index.broken == {"a": ["R2"], "b": ["R2"]}
    assert index.suspects == {"b"}


def test_boxes_in_points_and_in_pixels_land_on_the_same_place() -> None:
    a4 = review.PageImage(1, "", 910, 1287, 595.0 / 72, 842.0 / 72, 72.0)
    points = pb.BoundingBox(x0=72, y0=144, x1=144, y1=216, unit=pb.COORDINATE_UNIT_POINTS)
    pixels = pb.BoundingBox(x0=300, y0=600, x1=600, y1=900, unit=pb.COORDINATE_UNIT_PIXELS, dpi=300)
    assert review.box_fraction(points, a4) == pytest.approx(review.box_fraction(pixels, a4))
    assert review.box_fraction(points, a4) == pytest.approx(
        (72 / 595, 144 / 842, 72 / 595, 72 / 842)
    )
    # An image page: boxes in the file's pixels at its dpi, whatever size the page is shown at.
    scan = review.PageImage(1, "", 827, 1170, 1654 / 200, 2339 / 200, 200.0)
    at_200 = pb.BoundingBox(x0=200, y0=400, x1=400, y1=600, unit=pb.COORDINATE_UNIT_PIXELS, dpi=200)
    assert review.box_fraction(at_200, scan) == pytest.approx(
        (200 / 1654, 400 / 2339, 200 / 1654, 200 / 2339)
    )


def test_image_pages_are_downscaled_to_about_110_dpi() -> None:
    image = Image.new("RGB", (1654, 2339), "white")  # A4 at 200 dpi
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(200, 200))
    (page,) = review.image_pages(buffer.getvalue())
    assert (page.width_px, page.height_px) == (round(1654 * 110 / 200), round(2339 * 110 / 200))
    assert page.native_dpi == 200 and page.width_in == pytest.approx(1654 / 200)
    assert page.uri.startswith("data:image/png;base64,")
    # A scan's cell, boxed in the file's pixels, lands on the shown (smaller) page in place.
    report = _report_with_one_cell()
    provenance = report.proactive_disclosure_2021.rules.issued.provenance
    provenance.Clear()
    provenance.page = 1
    provenance.box.CopyFrom(
        pb.BoundingBox(x0=331, y0=468, x1=496, y1=585, unit=pb.COORDINATE_UNIT_PIXELS, dpi=200)
    )
    extraction = service_pb2.Extraction(
        report=report, document=service_pb2.DocumentInfo(format=service_pb2.DOCUMENT_FORMAT_IMAGE)
    )
    markup = review.build_review(buffer.getvalue(), "scan.png", extraction)
    (outline,) = Page(markup).outlines()
    assert outline.view == "page-1"
    assert rule_for(markup, f"#{outline.attrs['id']}") == (
        "left:20.012%;top:20.009%;width:9.976%;height:5.002%"
    )


# ---------------------------------------------------------------- the command


def test_unreadable_input_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.pdf"
    assert run_review(str(missing), "--html", str(tmp_path / "a.html")) == 2
    assert capsys.readouterr().err.strip() == f"govreport: {missing}: NOT_FOUND: no such file"
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(256)) * 8)
    assert run_review(str(noise), "--html", str(tmp_path / "b.html")) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {noise}: UNSUPPORTED_FORMAT: ")
    assert not (tmp_path / "a.html").exists() and not (tmp_path / "b.html").exists()
    seed = next(SAMPLES.glob("000_*.txt"))
    out = tmp_path / "no-such-dir" / "c.html"
    assert run_review(str(seed), "--html", str(out)) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {out}: UNWRITABLE: ")


def test_over_grpc_the_page_shows_what_the_server_extracted(
    fake_server: str, fake_backend: FakeBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--server``: the bytes go over ExtractRequest, the page shows the server's extraction."""
    seed = next(SAMPLES.glob("000_*.txt"))
    out = tmp_path / "remote.html"
    args = (str(seed), "--html", str(out), "--server", fake_server, "--filed-year", "2023")
    assert run_review(*args) == 1  # the fake's R2 is an error
    call = fake_backend.last_call(seed.name)
    assert call.sha256 == hashlib.sha256(seed.read_bytes()).hexdigest() and call.filed_year == 2023
    fake = make_extraction(seed.read_bytes(), seed.name)
    page = Page(out.read_text(encoding="utf-8"))
    assert next(e for e in page.elements if e.tag == "h1").text == fake.report.metadata.title
    assert len(page.outlines()) == len(located(fake))
    ids = ids_by_path(fake)
    assert "st-rule" in page.by_id("o-" + ids[NEW_TOTAL_PATH]).classes
    # A document the server refuses: its reason, exit 2, no page.
    refused = tmp_path / "refused.txt"
    refused.write_bytes(b"FAIL: not a report")
    args = (str(refused), "--html", str(tmp_path / "r.html"), "--server", fake_server)
    capsys.readouterr()
    assert run_review(*args) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {refused}: NOT_A_REPORT: ")
    assert not (tmp_path / "r.html").exists()


def test_over_grpc_a_server_that_is_not_there_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = next(SAMPLES.glob("000_*.txt"))
    args = (
        str(seed),
        "--html",
        str(tmp_path / "x.html"),
        "--server",
        "127.0.0.1:9",
        "--timeout",
        "2",
    )
    assert run_review(*args) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {seed}: UNAVAILABLE: ")


# ---------------------------------------------------------------- a real browser


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail(
            "headless Chromium is needed for the review page's browser tests: "
            "apt-get install -y --no-install-recommends chromium"
        )
    command = [
        exe,
        *headless.FLAGS,
        "--disable-extensions",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-2000:]}"
    return done


def dump_dom(tmp_path: Path, url: str) -> Page:
    """The DOM after the page's script ran, with what Chromium's console said (a CSP violation,
    a script error) in ``console``."""
    done = chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", url)
    page = Page(done.stdout)
    page.console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return page


@pytest.fixture(scope="module")
def pdf_dom(pdf_review: Reviewed, workdir: Path) -> Page:
    """The PDF page as Chromium has it after the script ran, opened on its first finding."""
    return dump_dom(workdir / "pdf-dom", pdf_review.html.as_uri() + "#f-1")


@pytest.fixture(scope="module")
def html_dom(html_review: Reviewed, workdir: Path) -> Page:
    """The HTML report's page (its text as extracted) in Chromium."""
    return dump_dom(workdir / "html-dom", html_review.html.as_uri())


@pytest.fixture(scope="module")
def text_dom(text_review: Reviewed, workdir: Path) -> Page:
    """The text page in Chromium, opened on the prose cell of 行政处罚 (as a click on it does)."""
    cell = ids_by_path(text_review.extraction)[PROSE_PATH]
    return dump_dom(workdir / "text-dom", text_review.html.as_uri() + f"#t-{cell}")


@pytest.mark.parametrize("which", ["pdf", "text", "html"])
def test_browser_lays_out_every_outline(which: str, request: pytest.FixtureRequest) -> None:
    """The script counts the outlines the browser gave a size to, view by view; the console
    reports no Content-Security-Policy violation (the stylesheet and the script both apply)."""
    reviewed: Reviewed = request.getfixturevalue(f"{which}_review")
    dom: Page = request.getfixturevalue(f"{which}_dom")
    assert not dom.console, "Chromium's console: " + "\n".join(dom.console[:3])
    body = next(e for e in dom.elements if e.tag == "body")
    assert body.attrs.get("data-ready") == "1", "the page's script did not run to its end"
    outlines = reviewed.page.outlines()
    assert body.attrs["data-drawn"] == str(len(outlines)) == str(len(located(reviewed.extraction)))
    assert body.attrs["data-cells"] == str(len(list(iter_cells(reviewed.extraction.report))))
    views = [e for e in dom.elements if "data-view" in e.attrs]
    assert views
    for view in views:
        on_view = [o for o in outlines if o.view == view.attrs["data-view"]]
        assert view.attrs["data-drawn"] == str(len(on_view)), view.attrs["data-view"]


def test_browser_console_shows_a_csp_violation(text_review: Reviewed, workdir: Path) -> None:
    """The console check above can fail: a style attribute the policy does not allow is logged."""
    tampered = workdir / "tampered.html"
    tampered.write_text(
        text_review.markup.replace("<body>", '<body><p style="color:red">x</p>', 1),
        encoding="utf-8",
    )
    dom = dump_dom(workdir / "tampered-dom", tampered.as_uri())
    assert any("Content Security Policy" in line for line in dom.console), dom.console
    assert next(e for e in dom.elements if e.tag == "body").attrs.get("data-ready") == "1"


def test_browser_selects_a_finding_named_in_the_url(pdf_review: Reviewed, pdf_dom: Page) -> None:
    first = pdf_review.extraction.validation.findings[0]
    ids = ids_by_path(pdf_review.extraction)
    highlighted = {
        e.attrs["data-c"] for e in pdf_dom.elements if "fhl" in e.classes and "ol" in e.classes
    }
    assert highlighted == {ids[p] for p in first.cells}
    assert "active" in pdf_dom.by_id("f-1").classes
    assert first.rule_id in pdf_dom.by_id("inspector").text


def test_browser_shows_a_selected_cell_on_both_sides(text_review: Reviewed, text_dom: Page) -> None:
    cell = ids_by_path(text_review.extraction)[PROSE_PATH]
    selected = {(e.tag, e.attrs.get("id")) for e in text_dom.elements if "sel" in e.classes}
    assert selected == {("span", f"o-{cell}"), ("td", f"t-{cell}")}
    inspector = text_dom.by_id("inspector").text
    assert "行政处罚" in inspector and "一般程序案件29起" in inspector and "R6a" in inspector
    assert "text" in inspector and "1.00" in inspector  # its state and confidence


def test_browser_screenshot_shows_the_outline_colours(pdf_review: Reviewed, tmp_path: Path) -> None:
    shot = tmp_path / "review.png"
    chromium(
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=1400,1000",
        pdf_review.html.as_uri() + "#f-1",
    )
    assert shot.exists() and shot.stat().st_size > 50_000
    with Image.open(shot) as image:
        assert image.size == (1400, 1000)
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)

    def near(colour: tuple[int, int, int]) -> int:
        """Pixels within 12 levels of ``colour`` on every channel (anti-aliased edges aside)."""
        return int((np.abs(pixels - np.array(colour)).max(axis=2) <= 12).sum())

    assert near(GREEN) > 500, "no green (ok) outlines in the screenshot"
    assert near(RED) > 500, "no red (broken rule) outlines in the screenshot"
    target = os.environ.get("GOVREPORT_REVIEW_PNG")
    if target:  # regenerate the README's screenshot
        with Image.open(shot) as image:
            image.convert("RGB").quantize(256).save(target, optimize=True)


# ---------------------------------------------------------------- a tool: colours, corrections


def css_variable(markup: str, name: str) -> str:
    (style,) = inline(markup, "style")
    found = re.findall(rf"{re.escape(name)}:(#[0-9a-f]{{6}})", style)
    assert len(found) == 1, (name, found)
    return str(found[0])


def test_warnings_and_errors_have_their_own_colours(
    pdf_review: Reviewed, text_review: Reviewed
) -> None:
    """An error (the PDF's R1) is red on the findings list and on its cells; a warning (the
    text's R6a on a prose cell) is orange on both, not red."""
    markup = text_review.markup
    assert css_variable(markup, "--warn") != css_variable(markup, "--rule")
    (style,) = inline(markup, "style")
    assert "\n.st-warn{--c:var(--warn)}" in style  # the cells' outline and edge colour
    assert rule_for(markup, ".finding.sev-warning") == "--c:var(--warn)"
    assert rule_for(markup, ".finding.sev-error") == "--c:var(--rule)"
    assert "background" in rule_for(markup, ".tc.st-warn")
    prose = ids_by_path(text_review.extraction)[PROSE_PATH]
    for element in (text_review.page.by_id(f"o-{prose}"), text_review.page.by_id(f"t-{prose}")):
        assert "st-warn" in element.classes and "st-rule" not in element.classes
    r6a = next(e for e in text_review.page.elements if "finding" in e.classes and "R6a" in e.text)
    assert "sev-warning" in r6a.classes
    edited = ids_by_path(pdf_review.extraction)[EDITED_PATH]
    for element in (pdf_review.page.by_id(f"o-{edited}"), pdf_review.page.by_id(f"t-{edited}")):
        assert "st-rule" in element.classes
    assert any("sev-error" in e.classes for e in pdf_review.page.elements)
    legend = next(e for e in text_review.page.elements if "legend" in e.classes)
    assert "规则警告" in legend.text and "违反规则" in legend.text


def test_the_page_carries_the_extraction_validate_reads_without_its_old_findings(
    pdf_review: Reviewed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the download starts from, written untouched, is the extraction as read: validate
    finds the same rules broken (the stale validation itself is not carried)."""
    (data,) = [e.text for e in pdf_review.page.elements if e.attrs.get("id") == "review-data"]
    carried = json.loads(data)["extraction"]
    assert "validation" not in carried and carried["document"]["page_count"] == 3
    path = tmp_path / "as-read.json"
    path.write_text(json.dumps(carried, ensure_ascii=False), encoding="utf-8")
    assert validate_json(path, capsys)[0] == 1
    assert json_report(path) == pdf_review.extraction.report


def validate_json(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, Any]]]:
    """``govreport validate PATH --format json``: its exit code and its findings."""
    capsys.readouterr()
    code = cli.main(["validate", str(path), "--format", "json"])
    out = capsys.readouterr().out
    findings: list[dict[str, Any]] = json.loads(out).get("findings", [])
    return code, findings


def json_report(path: Path) -> pb.AnnualReport:
    from govreport.cli.validate import load_report

    return load_report(str(path))


def corrected_dom(reviewed: Reviewed, tmp_path: Path, fragment: str, width: int) -> Page:
    """The page in Chromium after the corrections named in the URL were typed into their table
    cells (double-click, type, Enter: the page's own handlers) and the download button pressed."""
    done = chromium(
        tmp_path,
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={width},1000",
        "--dump-dom",
        reviewed.html.as_uri() + "#" + fragment,
    )
    page = Page(done.stdout)
    page.console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert not page.console, "Chromium's console: " + "\n".join(page.console[:3])
    body = next(e for e in page.elements if e.tag == "body")
    assert body.attrs.get("data-ready") == "1", "the page's script did not run to its end"
    return page


def downloaded(page: Page, tmp_path: Path) -> Path:
    """The JSON the download button saved, as the page keeps its text, written to a file."""
    body = next(e for e in page.elements if e.tag == "body")
    name = body.attrs["data-downloaded"]
    text = page.by_id("corrected-json").text
    assert text.strip(), "the download button saved nothing"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_browser_correction_that_fixes_a_broken_sum_clears_its_findings(
    pdf_review: Reviewed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PDF's 自然人 cell was printed 7 (R1 and R2 broken); the reviewer types 5. The page
    shows 7 struck through beside 5 and marks the box on the page; the downloaded extraction
    holds 5 and `govreport validate` finds R1 and R2 hold again (exit 0)."""
    cell = ids_by_path(pdf_review.extraction)[EDITED_PATH]
    read = next(p.cell for p in iter_cells(pdf_review.extraction.report) if p.path == EDITED_PATH)
    before = {
        f.rule_id for f in pdf_review.extraction.validation.findings if EDITED_PATH in f.cells
    }
    assert {"R1", "R2"} <= before
    page = corrected_dom(pdf_review, tmp_path, f"fix-{cell}={ORIGINAL_FIGURE}&download", 1400)
    body = next(e for e in page.elements if e.tag == "body")
    assert body.attrs["data-fixes"] == cell
    assert body.attrs["data-side"] == "beside"  # a wide window: the tables beside the pages
    td = page.by_id(f"t-{cell}")
    assert "corr" in td.classes
    shown = [(e.tag, e.text) for e in page.elements if e.tag in {"del", "ins"}]
    assert shown == [("del", "7"), ("ins", ORIGINAL_FIGURE)]
    outline = page.by_id(f"o-{cell}")
    assert {"corr", "sel"} <= outline.classes and outline.attrs["data-fix"] == ORIGINAL_FIGURE
    assert outline.view == f"page-{read.provenance.page}"  # on its page
    assert "1 处更正" in page.by_id("fix-count").text
    assert body.attrs["data-downloaded"] == "synthetic_2021_edited.corrected.json"

    path = downloaded(page, tmp_path)
    report = json_report(path)
    fixed = next(p.cell for p in iter_cells(report) if p.path == EDITED_PATH)
    assert fixed.state == pb.CELL_STATE_NUMBER and fixed.count == int(ORIGINAL_FIGURE)
    assert fixed.raw_text == ORIGINAL_FIGURE and fixed.confidence == 1.0
    assert any("corrected by a reviewer" in note and "'7'" in note for note in fixed.notes)
    assert fixed.provenance == read.provenance  # it still points at its box
    # Every other cell is as extracted.
    others = {p.path: p.cell for p in iter_cells(pdf_review.extraction.report)}
    assert all(p.cell == others[p.path] for p in iter_cells(report) if p.path != EDITED_PATH)
    code, findings = validate_json(path, capsys)
    assert code == 0
    assert not [f for f in findings if EDITED_PATH in f.get("cells", [])]
    assert not {"R1", "R2"} & {f["ruleId"] for f in findings}


def test_browser_correction_that_breaks_a_sum_is_named_by_validate(
    html_review: Reviewed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report whose rules hold; the reviewer types 9 for its 自然人 figure (5), "abc" (not
    a figure) into another cell, and changes a third and then types its figure back. Only the
    9 is taken; validate names the cell in R1's error. A narrow window: the tables stack under
    the source."""
    ids = ids_by_path(html_review.extraction)
    cell = ids[EDITED_PATH]
    other = ids["application_handling.new_applications.total"]
    third = "application_handling.carried_over_from_previous_year.natural_persons"
    as_read = next(p.cell for p in iter_cells(html_review.extraction.report) if p.path == third)
    assert html_review.extraction.validation.error_count == 0
    fragment = (
        f"fix-{cell}=9&fix-{ids[third]}={as_read.count + 3}&fix-{ids[third]}={as_read.count}"
        f"&fix-{other}=abc&download"  # the refused field last: leaving it would drop it
    )
    page = corrected_dom(html_review, tmp_path, fragment, 800)
    body = next(e for e in page.elements if e.tag == "body")
    assert body.attrs["data-fixes"] == cell  # "abc" refused, the third back as it was read
    assert body.attrs["data-side"] == "stacked"
    for untouched in (other, ids[third]):
        assert "corr" not in page.by_id(f"t-{untouched}").classes
        assert "corr" not in page.by_id(f"o-{untouched}").classes
    assert [e.attrs.get("aria-invalid") for e in page.elements if "fix-in" in e.classes] == ["true"]
    assert {"corr"} <= page.by_id(f"o-{cell}").classes
    path = downloaded(page, tmp_path)
    report = json_report(path)
    assert next(p.cell for p in iter_cells(report) if p.path == EDITED_PATH).count == 9
    corrected = {p.path for p in iter_cells(report) if p.cell.notes != []}
    assert corrected == {EDITED_PATH}
    code, findings = validate_json(path, capsys)
    assert code == 1
    r1 = [f for f in findings if f["ruleId"] == "R1"]
    assert r1 and all(f["severity"] == "SEVERITY_ERROR" for f in r1)
    assert any(EDITED_PATH in f["cells"] for f in r1)


def test_browser_download_button_saves_the_file(
    pdf_review: Reviewed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The button's Blob download, as a browser saves it: Chromium driven over the DevTools
    protocol (on a pipe, no port) with downloads allowed into a folder; the file is the JSON
    `govreport validate` reads, the correction in it."""
    cell = ids_by_path(pdf_review.extraction)[EDITED_PATH]
    folder = tmp_path / "downloads"
    folder.mkdir()
    url = pdf_review.html.as_uri() + f"#fix-{cell}={ORIGINAL_FIGURE}&download"
    with DevTools(tmp_path) as devtools:
        devtools.call(
            "Browser.setDownloadBehavior",
            behavior="allow",
            downloadPath=str(folder),
            eventsEnabled=True,
        )
        devtools.call("Target.createTarget", url=url)
        state = devtools.wait_for("Browser.downloadProgress", lambda p: p["state"] != "inProgress")
    assert state["state"] == "completed", state
    (saved,) = folder.iterdir()
    assert saved.name == "synthetic_2021_edited.corrected.json"
    report = json_report(saved)
    assert next(p.cell for p in iter_cells(report) if p.path == EDITED_PATH).count == 5
    code, findings = validate_json(saved, capsys)
    assert code == 0 and not {"R1", "R2"} & {f["ruleId"] for f in findings}


MOVE_FDS = """
import fcntl, os, sys
ends = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]
os.dup2(ends[0], 3)
os.dup2(ends[1], 4)
os.execv(sys.argv[3], sys.argv[3:])
"""


class DevTools:
    """Headless Chromium on ``--remote-debugging-pipe``: CDP messages as NUL-terminated JSON,
    written to its fd 3 and read from its fd 4."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.buffer = b""

    def __enter__(self) -> DevTools:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            pytest.fail("headless Chromium is needed: apt-get install -y chromium")
        self.log = (self.tmp_path / "chromium.log").open("wb")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # The pipe's ends on 3 and 4, where Chromium looks for them: moved there by a small
        # Python that then runs Chromium (a preexec_fn is unsafe with a test process's threads,
        # and sh cannot name descriptors over 9).
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                MOVE_FDS,
                str(to_browser_r),
                str(from_browser_w),
                exe,
                *headless.FLAGS,
                "--disable-extensions",
                f"--user-data-dir={self.tmp_path / 'chromium-profile'}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            pass_fds=(to_browser_r, from_browser_w),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close")
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self.to_browser)
            os.close(self.from_browser)
            self.log.close()

    def said(self) -> str:
        """The end of what Chromium logged, for a failure's message."""
        self.log.flush()
        return (self.tmp_path / "chromium.log").read_text(errors="replace")[-2000:]

    def send(self, method: str, **params: Any) -> int:
        self.next_id += 1
        message = json.dumps({"id": self.next_id, "method": method, "params": params})
        os.write(self.to_browser, message.encode() + b"\0")
        return self.next_id

    def read(self) -> dict[str, Any]:
        """The next message; fails after 60 s of silence."""
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_browser], [], [], 60)
            assert ready, "Chromium said nothing for 60 s:\n" + self.said()
            chunk = os.read(self.from_browser, 65536)
            assert chunk, "Chromium closed the DevTools pipe:\n" + self.said()
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        decoded: dict[str, Any] = json.loads(message)
        return decoded

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = self.send(method, **params)
        while True:
            message = self.read()
            if message.get("id") == ident:
                assert "error" not in message, message
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, method: str, done: Any) -> dict[str, Any]:
        """The params of the first event ``method`` whose params satisfy ``done``."""
        while True:
            message = self.events.pop(0) if self.events else self.read()
            if message.get("method") == method and done(message["params"]):
                params: dict[str, Any] = message["params"]
                return params
