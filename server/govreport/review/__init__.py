"""``govreport review FILE --html OUT.html``: one self-contained page to check an extraction by eye.

The page shows the source as the reviewer knows it — PDF pages rendered as
images, scans downscaled, a text file as its numbered lines, an HTML or Word
document as the numbered lines of what was extracted from it — with every
extracted cell outlined where its provenance says it was read, coloured by
status, next to the tables of 二, 三 and 四 under the template's labels and
the findings. Hovering or clicking a cell on either side shows its value, raw
text, confidence and rules, and points at its counterpart. Errors and warnings
have their own colours, on the findings and on the cells they name.

The page is also a tool: the side panel sticks beside the source and follows
the page in view; a figure double-clicked in the tables can be corrected in
place (shown struck through beside the new one, its box on the source marked),
and "download corrected extraction" saves the Extraction as proto3 JSON with
the corrections applied — what ``govreport validate`` reads and checks again.

The page needs no network at all: CSS and JavaScript are inline, images are
``data:`` URIs, fonts are the system's, and a Content-Security-Policy forbids
every fetch and allows only the page's own stylesheet and script (by their
hashes), so it can be mailed, archived or opened offline.

Modules, one job each:

- ``model``: a cell's view (id, status, rules), the findings by cell, provenance in words;
- ``sources``: which source pane a format gets; ``pages`` (PDF and image pages),
  ``text`` (numbered lines), ``extracted`` (an HTML or DOCX document as extracted);
- ``outlines``: a cell marked on the source; ``markup``: escaping and a pane;
- ``tables`` and ``findings``: the side panel;
- ``page``: the skeleton, the page's data (with the extraction a download corrects), the
  static CSS and JS and the CSP;
- ``static/``: ``review.css`` and ``review.js``.
"""

from __future__ import annotations

from govreport.review.extracted import extracted_text_doc
from govreport.review.model import (
    OCR_RULE,
    STATUS_WORDS,
    STATUSES,
    CellView,
    FindingIndex,
    cell_status,
    cell_views,
    has_provenance,
    where_text,
)
from govreport.review.page import asset, build_review, content_security_policy, csp_hash
from govreport.review.pages import PageImage, box_fraction, image_pages, outline_position, pdf_pages
from govreport.review.text import Piece, TextDoc, line_html, pieces, plain_text_doc

__all__ = [
    "OCR_RULE",
    "STATUSES",
    "STATUS_WORDS",
    "CellView",
    "FindingIndex",
    "PageImage",
    "Piece",
    "TextDoc",
    "asset",
    "box_fraction",
    "build_review",
    "cell_status",
    "cell_views",
    "content_security_policy",
    "csp_hash",
    "extracted_text_doc",
    "has_provenance",
    "image_pages",
    "line_html",
    "outline_position",
    "pdf_pages",
    "pieces",
    "plain_text_doc",
    "where_text",
]
