"""``govreport validate``: the rules on a report given as JSON or as a filled-in workbook
(``govreport template --xlsx``), here or on a server."""

from __future__ import annotations

import argparse
import json
from typing import Any

from google.protobuf import json_format

from govreport import render, workbook
from govreport import validation as validation_module
from govreport.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    connect,
    has_errors,
    internal,
    load_settings,
    report,
    server_option,
    write,
)
from govreport.client import read_document
from govreport.errors import GovreportError, Reason
from govreport.v1 import report_pb2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser(
        "validate",
        help="validate a report given as JSON, or a filled-in workbook (template --xlsx)",
    )
    validate.add_argument("report", metavar="REPORT.json|FORM.xlsx")
    validate.add_argument(
        "--previous",
        metavar="PREV.json|PREV.xlsx",
        help="the previous year's report (rule R7)",
    )
    validate.add_argument("--filed-year", type=int, default=0, metavar="N")
    validate.add_argument("--format", choices=("table", "json"), default="table")
    server_option(validate, "use this server's Validate")
    validate.set_defaults(func=run)


def is_workbook(path: str) -> bool:
    return path.lower().endswith(".xlsx")


def load_report(path: str) -> report_pb2.AnnualReport:
    """An AnnualReport from proto3 JSON of an AnnualReport, an Extraction or an
    ExtractResponse, or from a filled-in workbook (.xlsx)."""
    return load_with_layout(path)[0]


def load_with_layout(path: str) -> tuple[report_pb2.AnnualReport, workbook.Layout | None]:
    """The report, and for a workbook its layout (the findings then name its cells)."""
    raw, _ = read_document(path)
    if is_workbook(path):
        return workbook.read(raw)
    return _from_json(raw), None


def _from_json(raw: bytes) -> report_pb2.AnnualReport:
    try:
        data: Any = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GovreportError(Reason.INVALID_JSON, str(exc)) from exc
    if isinstance(data, dict) and isinstance(data.get("extraction"), dict):
        data = data["extraction"]
    if isinstance(data, dict) and isinstance(data.get("report"), dict):
        data = data["report"]
    if not isinstance(data, dict):
        raise GovreportError(
            Reason.INVALID_REPORT, "expected a JSON object (an AnnualReport or Extraction)"
        )
    try:
        return json_format.ParseDict(data, report_pb2.AnnualReport())
    except json_format.ParseError as exc:
        raise GovreportError(Reason.INVALID_REPORT, str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        report_, layout = load_with_layout(args.report)
    except GovreportError as err:
        return report(args.report, err)
    try:
        previous = load_report(args.previous) if args.previous else None
    except GovreportError as err:
        return report(args.previous, err)
    try:
        if args.server:
            with connect(args.server, settings, args) as client:
                findings = client.validate(report_, previous, filed_year=args.filed_year)
        else:
            try:
                findings = validation_module.validate(report_, previous, args.filed_year)
            except GovreportError:
                raise
            except Exception as exc:
                raise internal(exc, args.verbose) from exc
    except GovreportError as err:
        return report(args.report, err)
    if layout is not None:
        # Local or from the server alike, the findings name the workbook's own cells.
        workbook.name_cells(findings, layout)
    if args.format == "json":
        write(render.to_json(findings))
    else:
        write("\n".join(render.findings_lines(findings)))
    return EXIT_FINDINGS if has_errors(findings) else EXIT_OK
