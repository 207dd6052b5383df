"""What every subcommand shares: exit codes, how a failure is printed, settings, the client."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from govreport.client import Client, Credentials
from govreport.errors import GovreportError, Reason
from govreport.settings import Settings
from govreport.v1 import validation_pb2

PROG = "govreport"
EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


def report(what: str, err: GovreportError) -> int:
    """Prints ``govreport: WHAT: REASON: message`` and returns exit code 2."""
    print(f"{PROG}: {what}: {err.reason}: {err.message}", file=sys.stderr)
    return EXIT_UNREADABLE


def load_settings() -> Settings:
    try:
        settings = Settings.from_env()
        settings.share_with_workers()
        return settings
    except ValueError as exc:
        raise GovreportError(Reason.INVALID_SETTINGS, str(exc)) from exc


def internal(exc: BaseException, verbose: bool) -> GovreportError:
    """A bug of ours as an INTERNAL failure (exit 2); its traceback with --verbose."""
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    return GovreportError(Reason.INTERNAL, f"{type(exc).__name__}: {exc}".rstrip(": "))


def connect(address: str, settings: Settings, args: argparse.Namespace) -> Client:
    return Client.from_settings(
        address, settings, timeout=args.timeout, credentials=credentials(args)
    )


def credentials(args: argparse.Namespace) -> Credentials:
    """The token and TLS files of --token/--token-file/--tls-*, or of their GOVREPORT_* variables."""

    def given(flag: str, variable: str) -> str:
        value: str = getattr(args, flag, None) or os.environ.get(variable, "")
        return value

    def read(path: str, flag: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except FileNotFoundError as exc:
            raise GovreportError(Reason.NOT_FOUND, f"{flag} {path}: no such file") from exc
        except OSError as exc:
            raise GovreportError(Reason.UNREADABLE, f"{flag} {path}: {exc.strerror}") from exc

    token = given("token", "GOVREPORT_TOKEN")
    token_file = given("token_file", "GOVREPORT_TOKEN_FILE")
    if token_file and not token:
        token = read(token_file, "--token-file").decode("utf-8", "replace").strip()
    files = {
        flag: given(flag.replace("-", "_"), variable)
        for flag, variable in (
            ("tls-ca", "GOVREPORT_TLS_CA"),
            ("tls-cert", "GOVREPORT_TLS_CERT"),
            ("tls-key", "GOVREPORT_TLS_KEY"),
        )
    }
    if bool(files["tls-cert"]) != bool(files["tls-key"]):
        raise GovreportError(
            Reason.INVALID_ARGUMENT, "--tls-cert and --tls-key go together (mutual TLS)"
        )
    pem = {flag: read(path, f"--{flag}") if path else None for flag, path in files.items()}
    return Credentials(
        tls_server_name=given("tls_server_name", "GOVREPORT_TLS_SERVER_NAME"),
        token=token,
        tls_ca=pem["tls-ca"],  # None with a client certificate: the system's CAs
        tls_cert=pem["tls-cert"],
        tls_key=pem["tls-key"],
    )


def has_errors(validation: validation_pb2.ValidationReport) -> bool:
    return validation.error_count > 0 or any(
        f.severity == validation_pb2.SEVERITY_ERROR for f in validation.findings
    )


def write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def server_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--server",
        metavar="HOST:PORT",
        default=os.environ.get("GOVREPORT_SERVER") or None,
        help=f"{help_text} (default: GOVREPORT_SERVER)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="the deadline of each document, each call (in a batch stream: each document's "
        "ExtractOptions.time_limit); 300",
    )
    security_options(parser)


def security_options(parser: argparse.ArgumentParser) -> None:
    """How to reach a server with bearer tokens or TLS (server.py's tokens and TLS files)."""
    group = parser.add_argument_group("a secured server")
    group.add_argument("--token", help="bearer token (default: GOVREPORT_TOKEN)")
    group.add_argument(
        "--token-file", metavar="FILE", help="file holding the token (GOVREPORT_TOKEN_FILE)"
    )
    group.add_argument(
        "--tls-ca",
        metavar="PEM",
        help="CA certificates to verify the server by: speak TLS (GOVREPORT_TLS_CA)",
    )
    group.add_argument(
        "--tls-cert", metavar="PEM", help="client certificate, mutual TLS (GOVREPORT_TLS_CERT)"
    )
    group.add_argument("--tls-key", metavar="PEM", help="its private key (GOVREPORT_TLS_KEY)")
    group.add_argument(
        "--tls-server-name",
        metavar="NAME",
        help="the name in the server's certificate, when --server is an address such as "
        "127.0.0.1 (GOVREPORT_TLS_SERVER_NAME)",
    )
