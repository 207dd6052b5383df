"""The page: its skeleton, its header, the data its script reads, and its one stylesheet and
one script, inlined and allowed by their hashes.

The stylesheet and the script are static files (``static/review.css``,
``static/review.js``) read with importlib.resources. The page's
Content-Security-Policy fetches nothing (``default-src 'none'``, images are
``data:`` URIs) and runs no inline code but those two, by their SHA-256: the
page has no ``style`` attribute (outlines are placed by rules generated into
the stylesheet) and no event-handler attribute.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Sequence
from importlib import resources

from google.protobuf import json_format

from govreport.paths import report_version, value_text
from govreport.render import FORMAT_NAMES, STATE_WORDS
from govreport.review.findings import SEVERITY, findings_html
from govreport.review.markup import esc
from govreport.review.model import (
    STATUS_WORDS,
    STATUSES,
    CellView,
    cell_views,
    has_provenance,
    where_text,
)
from govreport.review.sources import source_pane
from govreport.review.tables import tables_html
from govreport.settings import OCR_MIN_CONFIDENCE
from govreport.templates import template
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2


@functools.cache
def asset(name: str) -> str:
    """A file of ``static/``, as the page inlines it."""
    return (resources.files("govreport.review") / "static" / name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    """A CSP source allowing an inline element whose content is exactly ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _raw_text(text: str, tag: str) -> str:
    """Text for a <style> or <script> element, which nothing inside may end early."""
    if re.search(f"</{tag}", text, re.IGNORECASE):
        raise ValueError(f"</{tag} inside an inline <{tag}>")
    return text


def content_security_policy(style: str, script: str) -> str:
    """Nothing fetched; only this stylesheet and this script applied."""
    return (
        "default-src 'none'; img-src data:; "
        f"style-src {csp_hash(style)}; script-src {csp_hash(script)}"
    )


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
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts if v)
    return f'<dl class="facts">{items}</dl>'


def _legend_html(views: Sequence[CellView]) -> str:
    counts = {status: 0 for status in STATUSES}
    for view in views:
        counts[view.status] += 1
    items = "".join(
        f'<li><span class="swatch st-{status}" aria-hidden="true"></span>'
        f'{esc(STATUS_WORDS[status])} <span class="n">{counts[status]}</span></li>'
        for status in ("ok", "low", "warn", "rule", "suspect", "blank")
    )
    return f'<ul class="legend" aria-label="图例 Legend">{items}</ul>'


def downloadable(extraction: service_pb2.Extraction) -> dict[str, object]:
    """The extraction as ``govreport validate`` reads it back (proto3 JSON, the .proto's field
    names, as ``extract --format json`` writes it), which the page's corrections are applied to.

    Without its validation: that judged the figures as read, and after a correction it no
    longer holds; ``govreport validate`` makes the new one.
    """
    copy = service_pb2.Extraction()
    copy.CopyFrom(extraction)
    copy.ClearField("validation")
    out: dict[str, object] = json_format.MessageToDict(copy, preserving_proto_field_name=True)
    return out


def data_json(
    extraction: service_pb2.Extraction, views: Sequence[CellView], filename: str = ""
) -> str:
    """What the script shows on hover: per cell, and per finding the cell ids it names; and
    what a correction needs: each cell's path and value kind, and the extraction itself."""
    ids = {v.placed.path: v.id for v in views}
    cells = {}
    for view in views:
        cell = view.placed.cell
        cells[view.id] = {
            "path": view.placed.path,
            "kind": view.placed.column.kind.value,  # the Cell field a corrected figure goes in
            "state_name": pb.CellState.Name(cell.state),
            "v": value_text(cell),
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
            "severity": SEVERITY.get(f.severity, "warning"),
            "message": f.message_zh or f.message_en,
            "cells": [ids[p] for p in f.cells if p in ids],
            "suspects": [ids[p] for p in f.suspect_cells if p in ids],
        }
        for f in extraction.validation.findings
    ]
    stem = (extraction.document.filename or filename or "report").rsplit(".", 1)[0]
    name = (stem or "report") + ".corrected.json"
    text = json.dumps(
        {
            "cells": cells,
            "findings": findings,
            "extraction": downloadable(extraction),
            "download": name,
        },
        ensure_ascii=False,
    )
    # Inside <script>, "</script" would end the element: "<" never appears raw.
    return text.replace("<", "\\u003c")


def _tools_html() -> str:
    """The corrections' bar: how many there are, and the download of the corrected extraction.

    ``corrected-json`` holds the text the last download saved (a browser test reads it from
    the DOM; a person can copy it from devtools when downloads are blocked).
    """
    return (
        '<div class="tools">'
        '<button type="button" id="download">下载更正后的提取结果 Download corrected extraction '
        "(JSON)</button> "
        '<span class="fixes" id="fix-count" aria-live="polite">0 处更正 corrections</span>'
        '<output id="corrected-json" hidden></output></div>'
    )


def page_html(
    content: bytes,
    filename: str,
    extraction: service_pb2.Extraction,
    views: Sequence[CellView],
) -> str:
    """The whole page, one self-contained HTML document."""
    meta = extraction.report.metadata
    title = meta.title or extraction.document.filename or filename or "govreport review"
    source = source_pane(content, filename, extraction, views)
    # The page's geometry (each page's size, each outline's place) follows the static rules.
    style = _raw_text(asset("review.css") + source.css + ("\n" if source.css else ""), "style")
    script = _raw_text(asset("review.js"), "script")
    data = data_json(extraction, views, filename)
    return (
        "<!doctype html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        # Nothing may be fetched, and nothing runs or styles the page but what is below.
        '<meta http-equiv="Content-Security-Policy" '
        f'content="{content_security_policy(style, script)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>审阅 Review · {esc(title)}</title><style>{style}</style></head>"
        '<body><a class="skip" href="#side">跳到表格 Skip to the tables</a>'
        f'<header class="top"><h1>{esc(title)}</h1>'
        f"{_metadata_html(extraction, filename)}{_legend_html(views)}</header>"
        '<main class="layout">'
        f'<section class="doc" id="doc" aria-label="原文 Source">{source.markup}</section>'
        '<aside class="side" id="side" aria-label="提取结果 Extracted data">'
        '<div class="side-top">'
        f"{_tools_html()}"
        '<section class="inspector" id="inspector" aria-live="polite">'
        '<p class="hint">将鼠标移到或点击单元格查看详情 · Hover over or click a cell, '
        "or a finding, to see it here; double-click a figure in the tables to correct it."
        "</p></section></div>"
        f"{findings_html(extraction, views)}{tables_html(extraction.report, views)}</aside></main>"
        f'<script type="application/json" id="review-data">{data}</script>'
        f"<script>{script}</script></body></html>\n"
    )


def build_review(
    content: bytes,
    filename: str,
    extraction: service_pb2.Extraction,
    *,
    min_confidence: float = OCR_MIN_CONFIDENCE,
) -> str:
    """The review page for one document: its bytes, its name and what was extracted from it.

    The bytes give the pixels of a PDF's or an image's pages and a text
    file's decoded text; everything else is the extraction's.
    """
    return page_html(content, filename, extraction, cell_views(extraction, min_confidence))
