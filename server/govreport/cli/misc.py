"""``govreport template``, ``health`` and ``serve``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from grpc_health.v1 import health_pb2

from govreport import render
from govreport import validation as validation_module
from govreport.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    connect,
    credentials,
    load_settings,
    report,
    security_options,
    server_option,
    write,
)
from govreport.client import Client
from govreport.errors import GovreportError, Reason
from govreport.settings import FIELDS, Settings, parse_size
from govreport.templates import TEMPLATES, template
from govreport.v1 import service_pb2

# The full name of the service a health check may ask about (generated code, no server import).
SERVICE_NAME: str = service_pb2.DESCRIPTOR.services_by_name["ReportExtractor"].full_name


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the gRPC server",
        description="Settings: defaults < --config FILE (TOML) < GOVREPORT_* variables < flags; "
        "the table is in docs/configuration.md.",
    )
    serve.add_argument("--config", metavar="FILE.toml", help="settings file (or GOVREPORT_CONFIG)")
    for f in fields(Settings):
        default, meaning = FIELDS[f.name]
        serve.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f"set_{f.name}",
            type=_flag_type(f.name),
            default=None,
            metavar=f.name.upper(),
            help=f"{meaning} (default {default or 'none'})",
        )
    serve.set_defaults(func=run_serve)


def add_late_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tpl = commands.add_parser(
        "template",
        help="print a template version as JSON, or write its tables as a workbook to fill in",
    )
    tpl.add_argument(
        "--version",
        choices=[str(v) for v in TEMPLATES],
        default=None,
        help=f"default {max(TEMPLATES)}, or with --from the version of its report",
    )
    tpl.add_argument(
        "--xlsx",
        metavar="FILE.xlsx",
        help="write the tables of 二, 三 and 四 as a workbook to fill in "
        "(check it with: govreport validate FILE.xlsx)",
    )
    tpl.add_argument(
        "--from",
        dest="from_report",
        metavar="REPORT.json",
        help="with --xlsx: fill the workbook with this report's figures",
    )
    server_option(tpl, "ask this server (GetTemplate)")
    tpl.set_defaults(func=run_template)

    health = commands.add_parser("health", help="check a server's health (exit 0 if SERVING)")
    health.add_argument(
        "--server",
        metavar="HOST:PORT",
        default=os.environ.get("GOVREPORT_SERVER") or None,
        help="default GOVREPORT_SERVER, else GOVREPORT_HOST:GOVREPORT_PORT",
    )
    health.add_argument("--service", default="", help='service name ("" for the server)')
    health.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="retry until SERVING"
    )
    health.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS")
    security_options(health)
    health.set_defaults(func=run_health)


def run_template(args: argparse.Namespace) -> int:
    if args.xlsx:
        return _write_workbook(args)
    if args.from_report:
        return report("template", GovreportError(Reason.INVALID_ARGUMENT, "--from needs --xlsx"))
    tpl = template(int(args.version or max(TEMPLATES)))
    if args.server:
        try:
            settings = load_settings()
            with connect(args.server, settings, args) as client:
                definition = client.template(tpl.proto)
        except GovreportError as err:
            return report(args.server, err)
    else:
        definition = validation_module.definition(tpl)
    write(render.to_json(service_pb2.GetTemplateResponse(template=definition)))
    return EXIT_OK


def _write_workbook(args: argparse.Namespace) -> int:
    """``template --xlsx FILE [--from REPORT]``: the form to fill in (govreport.workbook)."""
    # Imported here: openpyxl and the validate command are only needed for a workbook.
    import sys

    from govreport import workbook
    from govreport.cli.common import PROG
    from govreport.cli.validate import load_report
    from govreport.paths import report_version

    if args.server:
        return report(
            args.xlsx,
            GovreportError(
                Reason.INVALID_ARGUMENT,
                "--xlsx writes the template as govreport has it here; --server is not used",
            ),
        )
    source = None
    if args.from_report:
        try:
            source = load_report(args.from_report)
        except GovreportError as err:
            return report(args.from_report, err)
    version = int(args.version) if args.version else max(TEMPLATES)
    if source is not None:
        found = report_version(source)
        if args.version and found != version:
            return report(
                args.from_report,
                GovreportError(
                    Reason.INVALID_ARGUMENT,
                    f"the report follows the {found} template, not the {version} one",
                ),
            )
        version = found
    try:
        left_out = workbook.write(args.xlsx, template(version), source)
    except GovreportError as err:
        return report(args.xlsx, err)
    for label in left_out:
        print(
            f"{PROG}: {args.from_report}: no place on the form, left out: {label}", file=sys.stderr
        )
    write(
        f"{args.xlsx}: the tables of the {version} template (二, 三, 四) to fill in; "
        f"check them with: govreport validate {args.xlsx}"
    )
    return EXIT_OK


def run_health(args: argparse.Namespace) -> int:
    try:
        address = args.server or load_settings().address
        with Client(address, credentials=credentials(args)) as client:
            status = client.health(args.service, wait=args.wait, timeout=args.timeout)
    except GovreportError as err:
        if err.reason == "NOT_FOUND":  # the health service knows no such name
            err = GovreportError(
                Reason.NOT_FOUND,
                f"the server has no service named {args.service!r}; ask for "
                f"'' (the server) or {SERVICE_NAME!r}",
            )
        return report(args.server or "health", err)
    print(health_pb2.HealthCheckResponse.ServingStatus.Name(status))  # type: ignore[arg-type]
    return EXIT_OK if status == health_pb2.HealthCheckResponse.SERVING else EXIT_FINDINGS


def run_serve(args: argparse.Namespace) -> int:
    from govreport.server import check_tls_files, serve

    overrides = {
        f.name: getattr(args, f"set_{f.name}")
        for f in fields(Settings)
        if hasattr(args, f"set_{f.name}")
    }
    try:
        settings = Settings.load(config_file=args.config, overrides=overrides)
        settings.tokens()  # a missing tokens file is a settings error, not a crash later
        check_tls_files(settings)
    except (ValueError, OSError) as exc:
        return report("serve", GovreportError(Reason.INVALID_SETTINGS, str(exc)))
    try:
        return serve(settings)
    except OSError as exc:
        return report("serve", GovreportError(Reason.UNAVAILABLE, str(exc)))


def _flag_type(name: str) -> Callable[[str], Any]:
    """A flag's value as its setting's type (sizes accept KiB/MiB/GiB)."""
    default = next(f.default for f in fields(Settings) if f.name == name)
    if name.endswith("_bytes"):
        return parse_size
    if isinstance(default, float):
        return float
    if isinstance(default, int):
        return int
    return str
