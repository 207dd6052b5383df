"""The ``govreport`` command: a thin adapter over govreport.client and govreport.convert.

    govreport extract FILE... [--server HOST:PORT] [--format json|table|cells] [--filed-year N]
    govreport extract DIR_OR_FILE... --out results.csv|.jsonl|.xlsx [--workers N]
    govreport serve [--config FILE.toml] [--host HOST] [--port PORT] [--SETTING VALUE...]
    govreport review FILE --html OUT.html [--server HOST:PORT]
    govreport validate REPORT.json [--previous PREV.json] [--filed-year N] [--server HOST:PORT]
    govreport template [--version 2019|2021] [--server HOST:PORT]
    govreport health [--server HOST:PORT] [--wait SECONDS]

Without ``--server`` the work is done in this process, with the settings'
limits; with it, over gRPC (``extract`` sends files over 4 MiB with
ExtractUpload, in chunks). One module a subcommand: extract.py,
validate.py, review.py, misc.py (template, health, serve); common.py holds
what they share.

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
import os
import sys
from collections.abc import Sequence

from govreport.cli import extract, misc, review, validate
from govreport.cli.common import EXIT_OK, PROG
from govreport.logs import demote_library_warnings

__all__ = ["build_parser", "main"]


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
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    extract.add_parser(commands)
    misc.add_parsers(commands)
    validate.add_parser(commands)
    misc.add_late_parsers(commands)
    review.add_parser(commands)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("govreport")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    demote_library_warnings()
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
