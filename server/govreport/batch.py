"""Many documents at once: on worker processes here, or over one ExtractBatch stream per server.

Every input gives exactly one ``Outcome`` (an extraction or a GovreportError),
so one broken file never stops a run. In-process, the documents run on the
server's own worker machinery (workers.WorkerPool: a time limit and a memory
limit per document, workers recycled), with the settings' limits. Reports of
the same agency for consecutive years are then checked against each other
(the registry's cross-year rules, R7).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from govreport.agencies import agency_key
from govreport.client import Client, read_document
from govreport.convert import ConvertOptions
from govreport.errors import GovreportError, Reason
from govreport.formats import DOCUMENT_SUFFIXES
from govreport.pageset import page_folder
from govreport.settings import Settings
from govreport.v1 import report_pb2, service_pb2, validation_pb2
from govreport.validation.registry import cross_year_rules
from govreport.workers import WorkerBug, WorkerPool


@dataclass
class Outcome:
    """One input's result: ``extraction``, or ``error``."""

    index: int
    path: str
    extraction: service_pb2.Extraction | None = None
    error: GovreportError | None = None
    cross_year: list[validation_pb2.Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.extraction is not None

    @property
    def reason(self) -> str:
        return self.error.reason if self.error is not None else ""

    @property
    def message(self) -> str:
        return self.error.message if self.error is not None else ""


def expand(inputs: Sequence[str], skipped: Counter[str] | None = None) -> list[str]:
    """Files as given, and the documents under each folder (recursively, sorted). A folder of
    page images numbered as pages (pageset.page_folder) is one document: its own path.
    ``skipped`` counts the files under the folders that are not documents, by suffix."""
    out: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            out.extend(_documents_under(path, skipped if skipped is not None else Counter()))
        else:
            out.append(item)
    return out


def describe_skipped(skipped: Counter[str]) -> str:
    """``.doc ×1, .ofd ×2`` (most first), or "" when nothing was skipped."""
    return ", ".join(f"{suffix} ×{n}" for suffix, n in skipped.most_common())


def _documents_under(folder: Path, skipped: Counter[str]) -> list[str]:
    if page_folder(folder) is not None:
        return [str(folder)]
    out: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            out.extend(_documents_under(entry, skipped))
        elif entry.is_file() and entry.suffix.lower() in DOCUMENT_SUFFIXES:
            out.append(str(entry))
        elif entry.is_file() and not entry.name.startswith("."):
            skipped[entry.suffix.lower() or "(no suffix)"] += 1
    return out


# ---------------------------------------------------------------- in-process workers


def run_local(
    paths: Sequence[str], workers: int, settings: Settings, filed_year: int = 0
) -> Iterator[Outcome]:
    """Outcomes as they finish, from ``workers`` worker processes (two documents each in
    flight at most, so memory holds a few documents, not the whole folder)."""
    results: queue.Queue[Outcome | None] = queue.Queue()

    def loop() -> None:
        try:
            asyncio.run(_run_all(paths, max(1, workers), settings, filed_year, results.put))
        finally:
            results.put(None)

    thread = threading.Thread(target=loop, name="govreport-batch", daemon=True)
    thread.start()
    while (outcome := results.get()) is not None:
        yield outcome
    thread.join()


async def _run_all(
    paths: Sequence[str],
    workers: int,
    settings: Settings,
    filed_year: int,
    put: Callable[[Outcome], None],
) -> None:
    in_flight = 2 * workers
    pool = WorkerPool(
        workers,
        queue_limit=in_flight,
        time_limit=settings.max_seconds_per_document,
        max_tasks=settings.worker_max_tasks,
        memory_bytes=settings.worker_memory_bytes,
    )
    await pool.start()
    options = ConvertOptions.from_settings(settings, filed_year=filed_year)
    slots = asyncio.Semaphore(in_flight)

    async def one(index: int, path: str) -> None:
        async with slots:
            try:
                content, name = await asyncio.to_thread(read_document, path)
                put(Outcome(index, path, await pool.extract(content, name, options)))
            except GovreportError as err:
                put(Outcome(index, path, error=err))
            except WorkerBug as bug:  # a bug: reported for this file, the run goes on
                put(Outcome(index, path, error=GovreportError(Reason.INTERNAL, str(bug))))

    try:
        await asyncio.gather(*(one(i, p) for i, p in enumerate(paths)))
    finally:
        await pool.close()


# ---------------------------------------------------------------- over gRPC


def run_remote(
    paths: Sequence[str],
    clients: Sequence[Client],
    timeout: float,
    filed_year: int = 0,
) -> Iterator[Outcome]:
    """Outcomes as they come back: the documents dealt round-robin over one ExtractBatch stream
    per client (one client per server address)."""
    results: queue.Queue[Outcome | None] = queue.Queue()
    shares = [list(range(i, len(paths), len(clients))) for i in range(len(clients))]
    options = service_pb2.ExtractOptions(filed_year=filed_year)

    def stream(client: Client, indexes: list[int]) -> None:
        given: set[int] = set()
        try:
            documents = [paths[i] for i in indexes]
            for k, result in client.batch(documents, options=options, timeout=timeout):
                index = indexes[k]
                given.add(index)
                if isinstance(result, GovreportError):
                    results.put(Outcome(index, paths[index], error=result))
                else:
                    results.put(Outcome(index, paths[index], result))
        except Exception as exc:  # a bug of ours: every document left gets it, none is lost
            failure = GovreportError(Reason.INTERNAL, f"{type(exc).__name__}: {exc}")
            for index in indexes:
                if index not in given:
                    results.put(Outcome(index, paths[index], error=failure))
        finally:
            results.put(None)

    threads = [
        threading.Thread(target=stream, args=(client, share), daemon=True)
        for client, share in zip(clients, shares, strict=True)
        if share
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    while running:
        outcome = results.get()
        if outcome is None:
            running -= 1
            continue
        yield outcome
    for thread in threads:
        thread.join()


# ---------------------------------------------------------------- across years


Validate = Callable[
    [report_pb2.AnnualReport, report_pb2.AnnualReport], validation_pb2.ValidationReport
]


@dataclass
class Pairing:
    """What check_across_years found: the pairs checked, and the reports left without a
    report of the same agency for the year before or after."""

    pairs: int = 0
    unpaired: list[Outcome] = field(default_factory=list)


def check_across_years(
    outcomes: Iterable[Outcome], validate: Validate, aliases: Mapping[str, str] | None = None
) -> Pairing:
    """The cross-year rules between reports of one agency for consecutive years, found among
    the outcomes (agencies.agency_key: "淮安市洪泽区人民政府" is "洪泽区人民政府"; ``aliases``, an
    --agency-map, first); each later report's outcome gets the cross-year findings."""
    rules = cross_year_rules()
    by_agency: dict[tuple[str, int], Outcome] = {}
    for outcome in outcomes:
        if outcome.extraction is None:
            continue
        meta = outcome.extraction.report.metadata
        key = agency_key(meta.agency, aliases)
        if key and meta.report_year:
            by_agency.setdefault((key, meta.report_year), outcome)
    found = Pairing()
    for (agency, year), later in sorted(by_agency.items()):
        earlier = by_agency.get((agency, year - 1))
        if earlier is None and (agency, year + 1) not in by_agency:
            found.unpaired.append(later)
        if earlier is None or later.extraction is None or earlier.extraction is None:
            continue
        validation = validate(later.extraction.report, earlier.extraction.report)
        later.cross_year = [f for f in validation.findings if f.rule_id in rules]
        found.pairs += 1
    return found
