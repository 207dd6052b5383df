"""The side panel's findings: each with its severity, rule, values and the cells it names."""

from __future__ import annotations

from collections.abc import Sequence

from govreport import wire
from govreport.paths import report_version
from govreport.review.markup import esc
from govreport.review.model import CellView
from govreport.templates import Template, labels_by_path, template
from govreport.v1 import service_pb2
from govreport.validation.registry import rule

SEVERITY = {proto: severity.value for severity, proto in wire.SEVERITY.items()}
_SEVERITY_WORDS = {"error": "错误 error", "warning": "警告 warning", "info": "说明 note"}


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
        head += f'<p class="checked">已核查 Rules checked: {esc(" ".join(validation.rules_checked))}</p>'
    if not validation.findings:
        return head + '<p class="none">无 None: every rule checked holds.</p>'
    items = []
    for number, finding in enumerate(validation.findings):
        severity = SEVERITY.get(finding.severity, "warning")
        values = ""
        if finding.expected or finding.found:
            values = (
                f'<p class="values">应为 expected <b>{esc(finding.expected or "?")}</b> · '
                f"实为 found <b>{esc(finding.found or '?')}</b></p>"
            )
        places = "".join(
            f'<li class="{"suspect" if path in finding.suspect_cells else ""}">'
            f"{esc(_place_label(path, tpl))}"
            f"{' — 最可能误读 suspect' if path in finding.suspect_cells else ''}</li>"
            for path in finding.cells
        )
        messages = "".join(
            f'<p class="msg" lang="{lang}">{esc(text)}</p>'
            for lang, text in (("zh-CN", finding.message_zh), ("en", finding.message_en))
            if text
        )
        located = sum(1 for path in finding.cells if path in has_view)
        button = (
            f'<button type="button" class="fbtn" aria-label="{esc(finding.rule_id)}: '
            f'显示 {located} 个单元格 show its {located} cell(s)">{esc(finding.rule_id)}</button>'
        )
        items.append(
            f'<li class="finding sev-{severity}" id="f-{number + 1}" data-f="{number}">'
            f'<p class="fh"><span class="badge">{_SEVERITY_WORDS[severity]}</span> {button} '
            f'<span class="rdesc">{esc(_rule_text(finding.rule_id))}</span></p>'
            f'{values}{messages}<ul class="places">{places}</ul></li>'
        )
    return head + f'<ol class="findings">{"".join(items)}</ol>'
