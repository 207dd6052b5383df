"""``govreport extract``: documents one by one to stdout, or many to tables with ``--out``."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

from govreport import agencies, batch, dataframe, export, progress, render
from govreport import convert as convert_module
from govreport import validation as validation_module
from govreport.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNREADABLE,
    PROG,
    connect,
    has_errors,
    internal,
    load_settings,
    report,
    server_option,
    write,
)
from govreport.client import Client, read_document
from govreport.convert import ConvertOptions
from govreport.errors import GovreportError, Reason
from govreport.ocr import pages as ocr_pages
from govreport.pageset import PageSet
from govreport.settings import Settings
from govreport.v1 import report_pb2, service_pb2, validation_pb2

_UNPAIRED_SHOWN = 10  # names listed in the summary; the rest are counted
OUT_FORMATS = (*export.FORMATS, ".parquet")  # Parquet through pandas: dataframe.py


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        metavar="RESULTS.{" + ",".join(f.lstrip(".") for f in OUT_FORMATS) + "}",
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
    extract.add_argument(
        "--agency-map",
        metavar="FILE",
        help="with --out: names that are one agency, for pairing reports of consecutive years "
        "(lines NAME<TAB>AGENCY or NAME = AGENCY)",
    )
    extract.add_argument(
        "--pages",
        action="store_true",
        help="the files are the page images of one report, in the order given (第1页.jpg "
        "第2页.jpg …); a folder of images numbered as pages is one report without it",
    )
    extract.set_defaults(func=run)


def extract_one(
    document: str | PageSet, args: argparse.Namespace, settings: Settings, client: Client | None
) -> service_pb2.Extraction:
    """One file (or page set), in-process (with the settings' limits) or on the server."""
    name = document.name if isinstance(document, PageSet) else os.path.basename(document)
    if client is not None:
        return client.extract(document, name, filed_year=args.filed_year)
    content, name = read_document(document, name)
    options = ConvertOptions.from_settings(settings, filed_year=args.filed_year)
    try:
        return convert_module.convert(content, name, options)
    except GovreportError:
        raise
    except Exception as exc:  # reported as INTERNAL, exit 2
        raise internal(exc, args.verbose) from exc


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except GovreportError as err:
        return report("extract", err)
    if args.pages:
        if args.out:
            message = "--pages makes the files one report: print it, or drop --pages for --out"
            return report("extract", GovreportError(Reason.INVALID_ARGUMENT, message))
        try:
            documents: list[str | PageSet] = [PageSet.of(args.files)]
        except GovreportError as err:
            return report("extract", err)
    else:
        skipped: Counter[str] = Counter()
        documents = list(batch.expand(args.files, skipped))
        if skipped:  # on stderr: stdout may be the JSON a program reads
            print(
                f"{PROG}: extract: skipped files that are no document format govreport reads: "
                f"{batch.describe_skipped(skipped)}",
                file=sys.stderr,
            )
    args.files = [d for d in documents if isinstance(d, str)]
    if not documents:
        return report(
            "extract",
            GovreportError(Reason.NO_DOCUMENTS, "no documents found in the given folders"),
        )
    if args.out:
        return run_many(args, settings)
    several = len(documents) > 1
    client = connect(args.server.split(",")[0], settings, args) if args.server else None
    if client is None:
        ocr_pages.lend_local(settings.worker_count)  # a scan's pages on this machine's cores
    worst = EXIT_OK
    printed = 0
    try:
        for document in documents:
            try:
                extraction = extract_one(document, args, settings, client)
            except GovreportError as err:
                label = document.name if isinstance(document, PageSet) else document
                worst = max(worst, report(label, err))
                continue
            if has_errors(extraction.validation):
                worst = max(worst, EXIT_FINDINGS)
            if args.format == "json":
                write(render.to_json(extraction, indent=None if several else 2))
            elif args.format == "cells":
                csv_text = render.to_cells([extraction], with_file=several)
                write(csv_text if printed == 0 else csv_text.split("\n", 1)[1])
            else:
                write(("\n" + "=" * 72 + "\n" if printed else "") + render.to_table(extraction))
            printed += 1
    finally:
        if client is not None:
            client.close()
    return worst


def run_many(args: argparse.Namespace, settings: Settings) -> int:
    """``extract --out``: every document in parallel, one outcome each, written as tables."""
    out = Path(args.out)
    # A format this installation cannot write is said before the run, not after it.
    if out.suffix.lower() not in OUT_FORMATS:
        message = f"--out must end in {', '.join(OUT_FORMATS)}, not {out.name!r}"
        return report("extract", GovreportError(Reason.INVALID_ARGUMENT, message))
    if out.suffix.lower() == ".parquet":
        try:
            dataframe.require(parquet=True)
        except ImportError as err:
            return report("extract", GovreportError(Reason.INVALID_ARGUMENT, str(err)))
    try:
        aliases = agencies.read_map(args.agency_map) if args.agency_map else None
        addresses = [a.strip() for a in (args.server or "").split(",") if a.strip()]
        clients = [connect(a, settings, args) for a in addresses]
    except GovreportError as err:
        return report("extract", err)
    outcomes: list[batch.Outcome] = []
    try:
        with progress.Bar(len(args.files), enabled=args.progress) as bar:
            if clients:
                stream = batch.run_remote(args.files, clients, args.timeout, args.filed_year)
            else:
                workers = args.workers or settings.worker_count
                stream = batch.run_local(args.files, workers, settings, args.filed_year)
            for outcome in stream:
                outcomes.append(outcome)
                bar.advance(ok=outcome.ok)
                if outcome.error is not None:
                    report(outcome.path, outcome.error)
        if clients:
            pairing = batch.check_across_years(
                outcomes, _remote_validate(clients[0], args.timeout), aliases
            )
        else:
            pairing = batch.check_across_years(
                outcomes,
                lambda report, previous: validation_module.validate(report, previous),
                aliases,
            )
    except GovreportError as err:
        return report("extract", err)
    finally:
        for client in clients:
            client.close()
    if out.suffix.lower() == ".parquet":
        written = dataframe.write_parquet(outcomes, out)
    else:
        written = export.write(outcomes, out)
    failed = sum(1 for o in outcomes if not o.ok)
    with_errors = sum(
        1
        for o in outcomes
        if o.extraction is not None
        and (
            has_errors(o.extraction.validation)
            or any(f.severity == validation_pb2.SEVERITY_ERROR for f in o.cross_year)
        )
    )
    print(
        f"{PROG}: {len(outcomes)} documents, {failed} failed, {with_errors} with error "
        f"findings, {pairing.pairs} year-to-year pairs checked; wrote "
        f"{', '.join(str(p) for p in written)}",
        file=sys.stderr,
    )
    if pairing.unpaired and pairing.pairs + len(pairing.unpaired) > 1:
        # Only worth saying when reports of several years were given.
        names = ", ".join(Path(o.path).name for o in pairing.unpaired[:_UNPAIRED_SHOWN])
        more = len(pairing.unpaired) - _UNPAIRED_SHOWN
        print(
            f"{PROG}: {len(pairing.unpaired)} reports with no report of the same agency for "
            f"the year before or after: {names}{f' and {more} more' if more > 0 else ''} "
            "(names that differ: --agency-map)",
            file=sys.stderr,
        )
    if failed:
        return EXIT_UNREADABLE
    return EXIT_FINDINGS if with_errors else EXIT_OK


def _remote_validate(client: Client, timeout: float) -> batch.Validate:
    def validate(
        report: report_pb2.AnnualReport, previous: report_pb2.AnnualReport
    ) -> validation_pb2.ValidationReport:
        return client.validate(report, previous, timeout=timeout)

    return validate
