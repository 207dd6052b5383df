"""Many documents at once: in worker processes here, or over one ExtractBatch stream per server.

Every input gives exactly one ``Outcome`` (an extraction or an error with its
reason), so one broken file never stops a run. Reports of the same agency
for consecutive years are then checked against each other (rule R7).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from govreport.errors import GovreportError
from govreport.formats import DOCUMENT_SUFFIXES
from govreport.normalize import label_key
from govreport.v1 import report_pb2, service_pb2, service_pb2_grpc, validation_pb2


@dataclass
class Outcome:
    """One input's result: ``extraction`` or ``reason`` + ``message``."""

    index: int
    path: str
    extraction: service_pb2.Extraction | None = None
    reason: str = ""
    message: str = ""
    cross_year: list[validation_pb2.Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.extraction is not None


def expand(inputs: Sequence[str]) -> list[str]:
    """Files as given, and the documents under each folder (recursively, sorted)."""
    out: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            out.extend(
                str(p)
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
            )
        else:
            out.append(item)
    return out


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _unreadable(index: int, path: str, exc: OSError) -> Outcome:
    reason = "NOT_FOUND" if isinstance(exc, FileNotFoundError) else "UNREADABLE"
    return Outcome(index, path, reason=reason, message=exc.strerror or str(exc))


# ---------------------------------------------------------------- in-process workers


def _convert_one(path: str, filed_year: int) -> tuple[bytes | None, str, str]:
    """Runs in a worker process: the serialized Extraction, or (None, reason, message)."""
    from govreport.convert import ConvertOptions, convert

    try:
        content = _read(path)
    except OSError as exc:
        failed = _unreadable(0, path, exc)
        return None, failed.reason, failed.message
    try:
        extraction = convert(content, os.path.basename(path), ConvertOptions(filed_year=filed_year))
    except GovreportError as err:
        return None, err.reason.value, err.message
    except Exception as exc:  # a bug: reported for this file, the run goes on
        return None, "INTERNAL", f"{type(exc).__name__}: {exc}"
    return extraction.SerializeToString(), "", ""


def run_local(paths: Sequence[str], workers: int, filed_year: int = 0) -> Iterator[Outcome]:
    """Outcomes as they finish, from ``workers`` processes (at most 2 documents queued each)."""
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        pending: dict[Future[tuple[bytes | None, str, str]], int] = {}
        todo = iter(enumerate(paths))
        for index, path in todo:
            pending[pool.submit(_convert_one, path, filed_year)] = index
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                yield _outcome(index, paths[index], future)
                nxt = next(todo, None)
                if nxt is not None:
                    pending[pool.submit(_convert_one, nxt[1], filed_year)] = nxt[0]


def _outcome(index: int, path: str, future: Future[tuple[bytes | None, str, str]]) -> Outcome:
    try:
        data, reason, message = future.result()
    except Exception as exc:  # the worker died (killed, out of memory)
        return Outcome(index, path, reason="INTERNAL", message=f"worker failed: {exc}")
    if data is None:
        return Outcome(index, path, reason=reason, message=message)
    return Outcome(index, path, service_pb2.Extraction.FromString(data))


# ---------------------------------------------------------------- over gRPC


def run_remote(
    paths: Sequence[str],
    channels: Sequence[grpc.Channel],
    timeout: float,
    filed_year: int = 0,
) -> Iterator[Outcome]:
    """Outcomes as they come back: the documents dealt round-robin over one ExtractBatch stream
    per channel (one channel per server address)."""
    results: list[Outcome] = []
    ready = threading.Condition()
    shares = [list(range(i, len(paths), len(channels))) for i in range(len(channels))]
    finished = 0

    def push(outcome: Outcome) -> None:
        with ready:
            results.append(outcome)
            ready.notify()

    def stream(channel: grpc.Channel, indexes: list[int]) -> None:
        nonlocal finished
        stub = service_pb2_grpc.ReportExtractorStub(channel)
        try:
            _stream_one(stub, paths, indexes, timeout, filed_year, push)
        finally:
            with ready:
                finished += 1
                ready.notify()

    threads = [
        threading.Thread(target=stream, args=(ch, share), daemon=True)
        for ch, share in zip(channels, shares, strict=True)
        if share
    ]
    for thread in threads:
        thread.start()
    delivered = 0
    while delivered < len(paths):
        with ready:
            while not results and finished < len(threads):
                ready.wait()
            batch, results[:] = list(results), []
            if not batch and finished >= len(threads):
                break
        for outcome in batch:
            delivered += 1
            yield outcome
    for thread in threads:
        thread.join()


def _stream_one(
    stub: service_pb2_grpc.ReportExtractorStub,
    paths: Sequence[str],
    indexes: list[int],
    timeout: float,
    filed_year: int,
    push: Callable[[Outcome], None],
) -> None:
    options = service_pb2.ExtractOptions(filed_year=filed_year)
    done: set[int] = set()  # pushed already: unreadable, or answered

    def requests() -> Iterator[service_pb2.ExtractBatchRequest]:
        for index in indexes:
            path = paths[index]
            try:
                content = _read(path)
            except OSError as exc:
                done.add(index)
                push(_unreadable(index, path, exc))
                continue
            yield service_pb2.ExtractBatchRequest(
                id=str(index), content=content, filename=os.path.basename(path), options=options
            )

    try:
        for response in stub.ExtractBatch(requests(), timeout=timeout):
            index = int(response.id)
            done.add(index)
            if response.HasField("extraction"):
                push(Outcome(index, paths[index], response.extraction))
            else:
                push(
                    Outcome(
                        index,
                        paths[index],
                        reason=response.error.reason,
                        message=response.error.message,
                    )
                )
    except grpc.RpcError as err:
        from govreport.cli import rpc_failure  # the CLI's reading of a gRPC error

        failure = rpc_failure(err)
        # Sent and unanswered, or never sent because the stream broke first: the same reason.
        for index in indexes:
            if index not in done:
                push(Outcome(index, paths[index], reason=failure.reason, message=failure.message))


# ---------------------------------------------------------------- across years


Validate = Callable[
    [report_pb2.AnnualReport, report_pb2.AnnualReport], validation_pb2.ValidationReport
]
_CROSS_YEAR_RULES = frozenset({"R7", "R7a"})


def check_across_years(outcomes: Iterable[Outcome], validate: Validate) -> int:
    """Rule R7 between reports of one agency for consecutive years, found among the outcomes;
    each later report's outcome gets the cross-year findings. Returns the pairs checked."""
    by_agency: dict[tuple[str, int], Outcome] = {}
    for outcome in outcomes:
        if outcome.extraction is None:
            continue
        meta = outcome.extraction.report.metadata
        key = label_key(meta.agency)
        if key and meta.report_year:
            by_agency.setdefault((key, meta.report_year), outcome)
    pairs = 0
    for (agency, year), later in sorted(by_agency.items()):
        earlier = by_agency.get((agency, year - 1))
        if earlier is None or later.extraction is None or earlier.extraction is None:
            continue
        validation = validate(later.extraction.report, earlier.extraction.report)
        later.cross_year = [f for f in validation.findings if f.rule_id in _CROSS_YEAR_RULES]
        pairs += 1
    return pairs
