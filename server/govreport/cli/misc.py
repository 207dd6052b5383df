"""``govreport template``, ``health`` and ``serve``."""

from __future__ import annotations

import argparse
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
    load_settings,
    report,
    server_option,
    write,
)
from govreport.client import Client
from govreport.errors import GovreportError, Reason
from govreport.settings import FIELDS, Settings, parse_size
from govreport.templates import TEMPLATES, template
from govreport.v1 import service_pb2


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
    tpl = commands.add_parser("template", help="print a template version as JSON")
    tpl.add_argument("--version", choices=[str(v) for v in TEMPLATES], default=str(max(TEMPLATES)))
    server_option(tpl, "ask this server (GetTemplate)")
    tpl.set_defaults(func=run_template)

    health = commands.add_parser("health", help="check a server's health (exit 0 if SERVING)")
    health.add_argument(
        "--server", metavar="HOST:PORT", help="default GOVREPORT_HOST:GOVREPORT_PORT"
    )
    health.add_argument("--service", default="", help='service name ("" for the server)')
    health.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="retry until SERVING"
    )
    health.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS")
    health.set_defaults(func=run_health)


def run_template(args: argparse.Namespace) -> int:
    tpl = template(int(args.version))
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


def run_health(args: argparse.Namespace) -> int:
    try:
        address = args.server or load_settings().address
        with Client(address) as client:
            status = client.health(args.service, wait=args.wait, timeout=args.timeout)
    except GovreportError as err:
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
