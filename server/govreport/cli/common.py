"""What every subcommand shares: exit codes, how a failure is printed, settings, the client."""

from __future__ import annotations

import argparse
import sys
import traceback

from govreport.client import Client
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
    return Client.from_settings(address, settings, timeout=args.timeout)


def has_errors(validation: validation_pb2.ValidationReport) -> bool:
    return validation.error_count > 0 or any(
        f.severity == validation_pb2.SEVERITY_ERROR for f in validation.findings
    )


def write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def server_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--server", metavar="HOST:PORT", help=help_text)
    parser.add_argument(
        "--timeout", type=float, default=300.0, metavar="SECONDS", help="per call (300)"
    )
