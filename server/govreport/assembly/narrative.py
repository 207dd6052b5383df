"""The free-text sections (一, 五, 六): their text and their "（一）…" sub-parts."""

from __future__ import annotations

import re

from govreport.assembly.provenance import provenance
from govreport.assembly.sections import SectionSpan
from govreport.ir import Paragraph, Table
from govreport.v1 import report_pb2 as pb

_SUBHEADING = re.compile(r"^\s*[（(]\s*[一二三四五六七八九十]+\s*[)）]")
# A sub-heading that runs on into its text: "（一）主动公开。2020 年公开…"
_RUN_ON = re.compile(r"^(.{2,30}?[。：:])(.+)$")


def _lines(span: SectionSpan) -> list[tuple[str, Paragraph]]:
    out: list[tuple[str, Paragraph]] = []
    for block in span.blocks:
        if isinstance(block, Paragraph):
            out.append((block.text.strip(), block))
        elif isinstance(block, Table):
            for r in range(len(block.rows)):
                cells = [c for c in block.own_cells(r) if c.text.strip()]
                if cells:
                    out.append(
                        (" ".join(c.text.strip() for c in cells), Paragraph("", cells[0].location))
                    )
    return out


def fill_narrative(span: SectionSpan | None, target: pb.NarrativeSection) -> None:
    """Fills ``target`` from the section's blocks."""
    if span is None:
        target.present = False
        return
    target.present = True
    target.heading = span.heading.text.strip()
    target.provenance.CopyFrom(provenance(span.heading.location))
    lines = _lines(span)
    target.text = "\n".join(text for text, _ in lines)
    current: pb.Subsection | None = None
    body: list[str] = []
    for text, para in lines:
        if _SUBHEADING.match(text):
            if current is not None:
                current.text = "\n".join(body)
            body = []
            heading, rest = text, ""
            if len(text) > 30:
                run_on = _RUN_ON.match(text)
                if run_on:
                    heading, rest = run_on.group(1).rstrip("。：:"), run_on.group(2).strip()
            current = target.subsections.add(heading=heading)
            current.provenance.CopyFrom(provenance(para.location))
            if rest:
                body.append(rest)
        elif current is not None:
            body.append(text)
    if current is not None:
        current.text = "\n".join(body)
