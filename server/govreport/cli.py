"""The ``govreport`` command.

    govreport extract FILE... [--server HOST:PORT] [--format json|table|cells] [--filed-year N]
    govreport serve [--host HOST] [--port PORT]
    govreport validate REPORT.json [--previous PREV.json] [--filed-year N] [--server HOST:PORT]
    govreport template [--version 2019|2021] [--server HOST:PORT]
    govreport health [--server HOST:PORT] [--wait SECONDS]

Without ``--server`` the work is done in this process; with it, over gRPC
(``extract`` sends files over 4 MiB with ExtractUpload, in chunks).

Exit codes: 0 ok; 1 some report has findings of error severity (``health``:
not SERVING); 2 unreadable input: a file that cannot be read, a document
govreport cannot read, a gRPC error. Failures are printed to stderr as
``govreport: FILE: REASON: message``; with several files every file is
processed and the exit code is the worst one.

Output with several files: ``json`` prints one JSON object a line (JSON
Lines), ``cells`` adds a leading ``file`` column, ``table`` prints the
reports one after another.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from govreport import batch, export, progress, render, review
from govreport import convert as convert_module
from govreport import validation as validation_module
from govreport.convert import ConvertOptions
from govreport.errors import GovreportError
from govreport.settings import FIELDS, MiB, Settings, parse_size
from govreport.templates import TEMPLATES, template
from govreport.v1 import report_pb2, service_pb2, service_pb2_grpc, validation_pb2

PROG = "govreport"
EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2
UPLOAD_THRESHOLD = 4 * MiB  # files above this go through ExtractUpload


class Failure(Exception):
    """A failure to report as ``govreport: WHAT: REASON: message`` (exit code 2)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


def _report(what: str, failure: Failure) -> int:
    print(f"{PROG}: {what}: {failure.reason}: {failure.message}", file=sys.stderr)
    return EXIT_UNREADABLE


# ---------------------------------------------------------------- shared pieces


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise Failure("INVALID_SETTINGS", str(exc)) from exc


def _channel(address: str, settings: Settings) -> grpc.Channel:
    return grpc.insecure_channel(
        address,
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            # A dns:/// name of several replicas (a headless Service): calls go to all of them.
            ("grpc.lb_policy_name", "round_robin"),
        ],
    )


def rpc_failure(err: grpc.RpcError) -> Failure:
    """A gRPC error as a Failure: the ErrorInfo reason when there is one, else the status code."""
    code: grpc.StatusCode | None = err.code() if isinstance(err, grpc.Call) else None
    message = (err.details() if isinstance(err, grpc.Call) else "") or str(err)
    reason = code.name if code is not None else "RPC_ERROR"
    try:
        status = rpc_status.from_call(err) if isinstance(err, grpc.Call) else None
    except ValueError:
        status = None
    if status is not None:
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Is(info.DESCRIPTOR) and detail.Unpack(info):
                reason = info.reason
                break
    return Failure(reason, message)


def _internal(exc: BaseException, verbose: bool) -> Failure:
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    return Failure("INTERNAL", f"{type(exc).__name__}: {exc}".rstrip(": "))


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise Failure("NOT_FOUND", "no such file") from exc
    except OSError as exc:
        raise Failure("UNREADABLE", exc.strerror or str(exc)) from exc


def _has_errors(validation: validation_pb2.ValidationReport) -> bool:
    return validation.error_count > 0 or any(
        f.severity == validation_pb2.SEVERITY_ERROR for f in validation.findings
    )


def _write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------- extract


def upload_requests(
    content: bytes, filename: str, options: service_pb2.ExtractOptions, chunk_bytes: int
) -> Iterator[service_pb2.ExtractUploadRequest]:
    """An ExtractUpload stream: the header, then the bytes in chunks."""
    yield service_pb2.ExtractUploadRequest(
        header=service_pb2.UploadHeader(filename=filename, options=options, size_bytes=len(content))
    )
    for start in range(0, len(content), chunk_bytes):
        yield service_pb2.ExtractUploadRequest(chunk=content[start : start + chunk_bytes])


def _extract_remote(
    stub: service_pb2_grpc.ReportExtractorStub,
    content: bytes,
    filename: str,
    options: service_pb2.ExtractOptions,
    settings: Settings,
    timeout: float,
) -> service_pb2.Extraction:
    try:
        if len(content) > UPLOAD_THRESHOLD:
            requests = upload_requests(content, filename, options, settings.upload_chunk_bytes)
            return stub.ExtractUpload(requests, timeout=timeout).extraction
        request = service_pb2.ExtractRequest(content=content, filename=filename, options=options)
        return stub.Extract(request, timeout=timeout).extraction
    except grpc.RpcError as err:
        raise rpc_failure(err) from err


def _extract_local(
    content: bytes, filename: str, filed_year: int, verbose: bool
) -> service_pb2.Extraction:
    try:
        return convert_module.convert(content, filename, ConvertOptions(filed_year=filed_year))
    except GovreportError as err:
        raise Failure(err.reason.value, err.message) from err
    except Exception as exc:  # reported as INTERNAL, exit 2
        raise _internal(exc, verbose) from exc


def cmd_extract(args: argparse.Namespace) -> int:
    try:
        settings = _settings()
    except Failure as failure:
        return _report("extract", failure)
    args.files = batch.expand(args.files)
    if not args.files:
        return _report(
            "extract", Failure("NO_DOCUMENTS", "no documents found in the given folders")
        )
    if args.out:
        return cmd_extract_many(args, settings)
    several = len(args.files) > 1
    options = service_pb2.ExtractOptions(filed_year=args.filed_year)
    channel = _channel(args.server.split(",")[0], settings) if args.server else None
    stub = service_pb2_grpc.ReportExtractorStub(channel) if channel else None
    worst = EXIT_OK
    printed = 0
    try:
        for path in args.files:
            name = os.path.basename(path)
            try:
                content = _read_bytes(path)
                if stub is not None:
                    extraction = _extract_remote(
                        stub, content, name, options, settings, args.timeout
                    )
                else:
                    extraction = _extract_local(content, name, args.filed_year, args.verbose)
            except Failure as failure:
                worst = max(worst, _report(path, failure))
                continue
            if _has_errors(extraction.validation):
                worst = max(worst, EXIT_FINDINGS)
            if args.format == "json":
                _write(render.to_json(extraction, indent=None if several else 2))
            elif args.format == "cells":
                csv_text = render.to_cells([extraction], with_file=several)
                _write(csv_text if printed == 0 else csv_text.split("\n", 1)[1])
            else:
                _write(("\n" + "=" * 72 + "\n" if printed else "") + render.to_table(extraction))
            printed += 1
    finally:
        if channel is not None:
            channel.close()
    return worst


def cmd_extract_many(args: argparse.Namespace, settings: Settings) -> int:
    """``extract --out``: every document in parallel, one outcome each, written as tables."""
    out = Path(args.out)
    if out.suffix.lower() not in export.FORMATS:
        return _report(
            "extract", Failure("INVALID_ARGUMENT", f"--out must end in {', '.join(export.FORMATS)}")
        )
    addresses = [a.strip() for a in (args.server or "").split(",") if a.strip()]
    channels = [_channel(a, settings) for a in addresses]
    outcomes: list[batch.Outcome] = []
    try:
        with progress.Bar(len(args.files), enabled=args.progress) as bar:
            if channels:
                stream = batch.run_remote(args.files, channels, args.timeout, args.filed_year)
            else:
                stream = batch.run_local(
                    args.files, args.workers or Settings().worker_count, args.filed_year
                )
            for outcome in stream:
                outcomes.append(outcome)
                bar.advance(ok=outcome.ok)
                if not outcome.ok:
                    _report(outcome.path, Failure(outcome.reason, outcome.message))
        if channels:
            stub = service_pb2_grpc.ReportExtractorStub(channels[0])
            pairs = batch.check_across_years(outcomes, _remote_validate(stub, args.timeout))
        else:
            pairs = batch.check_across_years(
                outcomes, lambda report, previous: validation_module.validate(report, previous)
            )
    except Failure as failure:
        return _report("extract", failure)
    finally:
        for channel in channels:
            channel.close()
    written = export.write(outcomes, out)
    failed = sum(1 for o in outcomes if not o.ok)
    print(
        f"{PROG}: {len(outcomes)} documents, {failed} failed, {pairs} year-to-year pairs "
        f"checked; wrote {', '.join(str(p) for p in written)}",
        file=sys.stderr,
    )
    if failed:
        return EXIT_UNREADABLE
    has_errors = any(
        o.extraction is not None
        and (
            _has_errors(o.extraction.validation)
            or any(f.severity == validation_pb2.SEVERITY_ERROR for f in o.cross_year)
        )
        for o in outcomes
    )
    return EXIT_FINDINGS if has_errors else EXIT_OK


def _remote_validate(stub: service_pb2_grpc.ReportExtractorStub, timeout: float) -> batch.Validate:
    def validate(
        report: report_pb2.AnnualReport, previous: report_pb2.AnnualReport
    ) -> validation_pb2.ValidationReport:
        request = service_pb2.ValidateRequest(report=report, previous_year_report=previous)
        try:
            return stub.Validate(request, timeout=timeout).validation
        except grpc.RpcError as err:
            raise rpc_failure(err) from err

    return validate


# ---------------------------------------------------------------- validate


def load_report(path: str) -> report_pb2.AnnualReport:
    """An AnnualReport from proto3 JSON of an AnnualReport, an Extraction or an ExtractResponse."""
    raw = _read_bytes(path)
    try:
        data: Any = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Failure("INVALID_JSON", str(exc)) from exc
    if isinstance(data, dict) and isinstance(data.get("extraction"), dict):
        data = data["extraction"]
    if isinstance(data, dict) and isinstance(data.get("report"), dict):
        data = data["report"]
    if not isinstance(data, dict):
        raise Failure("INVALID_REPORT", "expected a JSON object (an AnnualReport or Extraction)")
    try:
        return json_format.ParseDict(data, report_pb2.AnnualReport())
    except json_format.ParseError as exc:
        raise Failure("INVALID_REPORT", str(exc)) from exc


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        settings = _settings()
        report = load_report(args.report)
    except Failure as failure:
        return _report(args.report, failure)
    try:
        previous = load_report(args.previous) if args.previous else None
    except Failure as failure:
        return _report(args.previous, failure)
    try:
        if args.server:
            with _channel(args.server, settings) as channel:
                stub = service_pb2_grpc.ReportExtractorStub(channel)
                request = service_pb2.ValidateRequest(report=report, filed_year=args.filed_year)
                if previous is not None:
                    request.previous_year_report.CopyFrom(previous)
                try:
                    findings = stub.Validate(request, timeout=args.timeout).validation
                except grpc.RpcError as err:
                    raise rpc_failure(err) from err
        else:
            try:
                findings = validation_module.validate(report, previous, args.filed_year)
            except GovreportError as err:
                raise Failure(err.reason.value, err.message) from err
            except Exception as exc:
                raise _internal(exc, args.verbose) from exc
    except Failure as failure:
        return _report(args.report, failure)
    if args.format == "json":
        _write(render.to_json(findings))
    else:
        _write("\n".join(render.findings_lines(findings)))
    return EXIT_FINDINGS if _has_errors(findings) else EXIT_OK


# ---------------------------------------------------------------- template


def cmd_template(args: argparse.Namespace) -> int:
    tpl = template(int(args.version))
    if args.server:
        try:
            settings = _settings()
            with _channel(args.server, settings) as channel:
                stub = service_pb2_grpc.ReportExtractorStub(channel)
                request = service_pb2.GetTemplateRequest(version=tpl.proto)  # type: ignore[arg-type]
                try:
                    response = stub.GetTemplate(request, timeout=args.timeout)
                except grpc.RpcError as err:
                    raise rpc_failure(err) from err
        except Failure as failure:
            return _report(args.server, failure)
    else:
        response = service_pb2.GetTemplateResponse(template=validation_module.definition(tpl))
    _write(render.to_json(response))
    return EXIT_OK


# ---------------------------------------------------------------- health


def check_health(address: str, service: str, wait: float, timeout: float) -> int:
    """The serving status enum value; retries connection failures for ``wait`` seconds."""
    deadline = time.monotonic() + wait
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = stub.Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=timeout
                )
                status: int = response.status
                if status == health_pb2.HealthCheckResponse.SERVING or time.monotonic() > deadline:
                    return status
            except grpc.RpcError as err:
                if time.monotonic() > deadline:
                    raise rpc_failure(err) from err
            time.sleep(0.1)


def cmd_health(args: argparse.Namespace) -> int:
    try:
        address = args.server or _settings().address
        status = check_health(address, args.service, args.wait, args.timeout)
    except Failure as failure:
        return _report(args.server or "health", failure)
    print(health_pb2.HealthCheckResponse.ServingStatus.Name(status))  # type: ignore[arg-type]
    return EXIT_OK if status == health_pb2.HealthCheckResponse.SERVING else EXIT_FINDINGS


# ---------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace) -> int:
    from govreport.server import serve

    overrides = {
        f.name: getattr(args, f"set_{f.name}")
        for f in fields(Settings)
        if hasattr(args, f"set_{f.name}")
    }
    try:
        settings = Settings.load(config_file=args.config, overrides=overrides)
        settings.tokens()  # a missing tokens file is a settings error, not a crash later
    except (ValueError, OSError) as exc:
        return _report("serve", Failure("INVALID_SETTINGS", str(exc)))
    try:
        return serve(settings)
    except OSError as exc:
        return _report("serve", Failure("UNAVAILABLE", str(exc)))


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Government information disclosure annual reports as structured, "
        "validated data.",
        epilog="Exit codes: 0 ok, 1 findings of error severity, 2 unreadable input.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print tracebacks of internal errors"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def server_option(p: argparse.ArgumentParser, help_text: str) -> None:
        p.add_argument("--server", metavar="HOST:PORT", help=help_text)
        p.add_argument(
            "--timeout", type=float, default=300.0, metavar="SECONDS", help="per call (300)"
        )

    extract = commands.add_parser("extract", help="extract and validate documents")
    extract.add_argument("files", nargs="+", metavar="FILE_OR_DIR")
    server_option(
        extract,
        "use this server instead of extracting in-process; with --out, several "
        "(HOST:PORT,HOST:PORT) share the documents",
    )
    extract.add_argument("--format", choices=render.FORMATS, default="table")
    extract.add_argument(
        "--out",
        metavar="RESULTS.{csv,jsonl,xlsx}",
        help="write one row per document (and .cells/.findings tables) instead of printing; "
        "documents run in parallel and a failed one gets an error row",
    )
    extract.add_argument(
        "--workers", type=int, default=0, metavar="N", help="with --out: processes (the CPUs)"
    )
    extract.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with --out: a progress bar on stderr (default: when stderr is a terminal)",
    )
    extract.add_argument(
        "--filed-year", type=int, default=0, metavar="N", help="the year filed under (rule R9)"
    )
    extract.set_defaults(func=cmd_extract)

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
    serve.set_defaults(func=cmd_serve)

    validate = commands.add_parser("validate", help="validate a report given as JSON")
    validate.add_argument("report", metavar="REPORT.json")
    validate.add_argument(
        "--previous", metavar="PREV.json", help="the previous year's report (rule R7)"
    )
    validate.add_argument("--filed-year", type=int, default=0, metavar="N")
    validate.add_argument("--format", choices=("table", "json"), default="table")
    server_option(validate, "use this server's Validate")
    validate.set_defaults(func=cmd_validate)

    tpl = commands.add_parser("template", help="print a template version as JSON")
    tpl.add_argument("--version", choices=[str(v) for v in TEMPLATES], default=str(max(TEMPLATES)))
    server_option(tpl, "ask this server (GetTemplate)")
    tpl.set_defaults(func=cmd_template)

    health = commands.add_parser("health", help="check a server's health (exit 0 if SERVING)")
    health.add_argument(
        "--server", metavar="HOST:PORT", help="default GOVREPORT_HOST:GOVREPORT_PORT"
    )
    health.add_argument("--service", default="", help='service name ("" for the server)')
    health.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="retry until SERVING"
    )
    health.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS")
    health.set_defaults(func=cmd_health)
    review.add_parser(commands)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
