"""``govreport review``: one self-contained HTML page to check an extraction against its source."""

from __future__ import annotations

import argparse
import os
import sys

from govreport.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    PROG,
    connect,
    has_errors,
    internal,
    load_settings,
    report,
)
from govreport.cli.extract import extract_one
from govreport.client import read_document
from govreport.errors import GovreportError, Reason
from govreport.review import build_review


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = commands.add_parser(
        "review",
        help="write one self-contained HTML page to check an extraction against its source",
    )
    review.add_argument("file", metavar="FILE")
    review.add_argument("--html", required=True, metavar="OUT.html", help="the page to write")
    review.add_argument(
        "--server", metavar="HOST:PORT", help="extract on this server instead of in-process"
    )
    review.add_argument(
        "--timeout", type=float, default=300.0, metavar="SECONDS", help="per call (300)"
    )
    review.add_argument(
        "--filed-year", type=int, default=0, metavar="N", help="the year filed under (rule R9)"
    )
    review.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """0 ok, 1 findings of error severity, 2 unreadable input."""
    path: str = args.file
    name = os.path.basename(path)
    try:
        settings = load_settings()
    except GovreportError as err:
        return report("review", err)
    try:
        content, _ = read_document(path)
        if args.server:
            with connect(args.server, settings, args) as client:
                extraction = extract_one(path, args, settings, client)
        else:
            extraction = extract_one(path, args, settings, None)
        page = build_review(content, name, extraction, min_confidence=settings.ocr_min_confidence)
    except GovreportError as err:
        return report(path, err)
    except Exception as exc:  # a bug of ours: INTERNAL, exit 2, as the CLI does
        return report(path, internal(exc, args.verbose))
    try:
        with open(args.html, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as exc:
        return report(args.html, GovreportError(Reason.UNWRITABLE, exc.strerror or str(exc)))
    print(f"{PROG}: wrote {args.html}", file=sys.stderr)
    return EXIT_FINDINGS if has_errors(extraction.validation) else EXIT_OK
