"""Load test: concurrent clients send a mixed document set to one server for a while.

    .venv/bin/python bench/load.py [--clients 16] [--duration 300] [--warmup 30]
                                   [--server HOST:PORT] [--output docs/load.md]

Starts one server (``govreport serve --port 0``, as the tests do) unless
``--server`` is given, then runs ``--clients`` threads, each with its own
channel, sending unary Extract calls back to back (ExtractUpload for a
document over 4 MiB), each client going round-robin through the document set
from its own starting point. The first ``--warmup`` seconds are not counted;
the figures cover the ``--duration`` seconds after them.

The document set: the five text seeds, HTML and DOCX renderings of the gold
reports, drawn PDFs (two with a photo in them: a mid-size one sent whole
and a large one uploaded in chunks), two scanned pages (PNG, read by OCR,
about 5% of the calls), two documents of random bytes, which must fail
with INVALID_ARGUMENT / UNSUPPORTED_FORMAT, and the hostile inputs of
issue 14 (tests/hostile_inputs.py: a 1x1 PNG, a DOCX quoting 20,000-character
tags, a DOCX bomb, a PDF lying about its page count, an xref stream claiming
50 M objects, a 50 MB text, a 6,000-character filename), each of which must
fail with its own code and reason; all are counted apart as expected errors.

UNAVAILABLE / OVERLOADED (or any status with a google.rpc.RetryInfo) is the
server's backpressure: it is counted apart, and
that client waits the RetryInfo delay, then sends the same document again.

Memory: the resident set (VmRSS) of the server process plus all its
descendants (the worker processes), read from /proc: once when the warm-up
ends (the baseline), once when the duration ends, and every few seconds in
between (the maximum).

Exit code 1 when any unexpected error occurred (anything but the expected
errors and backpressure, including a result that differs from the same
document's first result) or when the RSS grew by 10% or more; 2 when the
test could not run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402
from serverproc import ServerProcess, running_server  # noqa: E402

from govreport.v1 import service_pb2, service_pb2_grpc  # noqa: E402

SAMPLES = ROOT / "server/govreport/samples"
MiB = 1024 * 1024
# Above this a document goes through ExtractUpload, as `govreport extract --server` does: 4 MiB
# is gRPC's default receive limit, which a server configured otherwise would apply.
UPLOAD_ABOVE = 4 * MiB
UPLOAD_CHUNK = 1 * MiB
RSS_GROWTH_LIMIT = 10.0  # percent
# Without a RetryInfo, backpressure is retried after this (doubling per rejection, capped).
DEFAULT_RETRY_S = 0.5
MAX_RETRY_S = 10.0
# Rows of the report, in this order; "bad" are the expected errors.
KINDS = ("text", "HTML", "DOCX", "PDF", "PDF upload", "scan", "bad")
EXPECTED_BAD = ("INVALID_ARGUMENT", "UNSUPPORTED_FORMAT")
HOSTILE = {
    "tiny.png": ("INVALID_ARGUMENT", "EMPTY_DOCUMENT"),
    "long-tag.docx": ("INVALID_ARGUMENT", "CORRUPT_DOCUMENT"),
    "bomb.docx": ("RESOURCE_EXHAUSTED", "ARCHIVE_TOO_LARGE"),
    "pages.pdf": ("RESOURCE_EXHAUSTED", "TOO_MANY_PAGES"),
    "xref.pdf": ("RESOURCE_EXHAUSTED", "TOO_COMPLEX"),
    "long.txt": ("RESOURCE_EXHAUSTED", "TOO_LARGE"),
}
BACKPRESSURE = "backpressure"
LASTING_ROLES = ("server", "worker", "resource tracker")


# ---------------------------------------------------------------- the documents


@dataclass(frozen=True)
class Doc:
    kind: str  # one of KINDS
    name: str
    content: bytes
    expect: tuple[str, str] = EXPECTED_BAD  # "bad": the status code and ErrorInfo reason

    @property
    def upload(self) -> bool:
        return len(self.content) > UPLOAD_ABOVE


def _cache_dir() -> Path:
    """Rendered documents are cached (a DOCX takes about a second), keyed on the fixture code,
    the golds and this file, so that a change to any of them renders them anew. tests/.fixtures/
    is git-ignored, and bench/run.py caches there too."""
    digest = hashlib.sha256()
    sources = [*(ROOT / "tests/fixtures").glob("*.py"), *(ROOT / "tests/gold").glob("*")]
    for path in sorted([*sources, Path(__file__).resolve()]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return ROOT / "tests/.fixtures/load" / digest.hexdigest()[:16]


def _cached(cache: Path, name: str, make: Callable[[], bytes]) -> bytes:
    path = cache / name
    if path.exists():
        return path.read_bytes()
    content = make()
    path.write_bytes(content)
    return content


def _render(layout: Callable[[Any], tuple[bytes, Any]], stem: str) -> bytes:
    from fixtures import load_gold

    return layout(load_gold(stem))[0]


def _drawn(stem: str, layout: str) -> bytes:
    from fixtures.pdf import draw

    content: bytes = draw(stem, layout)[0]
    return content


def _with_photo(stem: str, side_px: int, seed: int) -> bytes:
    """The PDF with a JPEG of noise (incompressible, so the file grows by about its size) drawn
    small on page 1, as a scanned seal or signature: it makes the file big without turning the
    page into a scan (the page keeps its text layer, so no OCR)."""
    import pypdfium2 as pdfium
    from PIL import Image

    rng = random.Random(seed)
    photo = Image.frombytes("RGB", (side_px, side_px), rng.randbytes(side_px * side_px * 3))
    jpeg = io.BytesIO()
    photo.save(jpeg, "JPEG", quality=90)
    jpeg.seek(0)
    document = pdfium.PdfDocument(_drawn(stem, "pdf_ruled"))
    try:
        page = document[0]
        image = pdfium.PdfImage.new(document)
        image.load_jpeg(jpeg, pages=[page], inline=False, autoclose=True)
        width, _ = page.get_size()
        image.set_matrix(pdfium.PdfMatrix().scale(90, 90).translate(width - 130, 30))
        page.insert_obj(image)
        page.gen_content()
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    finally:
        document.close()


def _scan(stem: str, page_number: int) -> bytes:
    """One page of a drawn PDF as a 200 dpi PNG: a scanned page, read by OCR."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(_drawn(stem, "pdf_ruled"))
    try:
        image = document[page_number - 1].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(200, 200))
    return out.getvalue()


def load_documents() -> list[Doc]:
    from fixtures import LAYOUTS, filename, stems

    cache = _cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    all_stems = stems()
    docs = [Doc("text", p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.txt"))]
    # Three stems per layout, rotating, rather than all of them: HTML and DOCX would otherwise
    # be 63 of the documents and push the scans far under 5% of the calls.
    for i, (layout, render) in enumerate(LAYOUTS.items()):
        for j in range(3):
            stem = all_stems[(3 * i + j) % len(all_stems)]
            # The layout in the name too: names key the result check, and stems repeat.
            name = f"{stem}.{layout}.{filename(stem, layout).rsplit('.', 1)[1]}"
            content = _cached(cache, f"{layout}--{name}", partial(_render, render, stem))
            docs.append(Doc("HTML" if layout.startswith("html") else "DOCX", name, content))
    # Five of the drawn layouts, each on another stem.
    pdf_layouts = ("pdf_ruled", "pdf_borderless", "pdf_split", "pdf_landscape", "pdf_kangxi")
    for i, layout in enumerate(pdf_layouts):
        stem = all_stems[i % len(all_stems)]
        content = _cached(cache, f"{layout}--{stem}.pdf", partial(_drawn, stem, layout))
        docs.append(Doc("PDF", f"{stem}.{layout}.pdf", content))
    # A mid-size PDF (about 2 MiB, one Extract) and a large one (about 6 MiB, ExtractUpload).
    for kind, side, stem in (("PDF", 1500, "synthetic_2021"), ("PDF upload", 2600, all_stems[1])):
        content = _cached(
            cache,
            f"photo{side}--{stem}.pdf",
            partial(_with_photo, stem, side, seed=side),
        )
        docs.append(Doc(kind, f"{stem}.photo-{len(content) / MiB:.1f}MiB.pdf", content))
    # Two scanned pages (pages 1 and 2 hold the title and the tables; page 3 alone is
    # NOT_A_REPORT). OCR takes seconds a page, so they stay two of the ~43 documents.
    for stem, page in ((all_stems[0], 1), (all_stems[1], 2)):
        content = _cached(
            cache,
            f"scan-p{page}--{stem}.png",
            partial(_scan, stem, page),
        )
        docs.append(Doc("scan", f"{stem}.p{page}.png", content))
    # Random bytes, seeded so that every run sends the same: UNSUPPORTED_FORMAT.
    for size in (4096, 256 * 1024):
        docs.append(Doc("bad", f"random-{size}.bin", random.Random(size).randbytes(size)))
    # The hostile inputs of issue 14 (tests/hostile_inputs.py), each with the refusal it gets.
    import hostile_inputs

    for name, expect in HOSTILE.items():
        content = _cached(cache, f"hostile--{name}", hostile_inputs.BUILDERS[name])
        docs.append(Doc("bad", name, content, expect))
    docs.append(Doc("bad", "x" * 6000, b"\0\1\2"))  # a filename past gRPC's trailer limit
    return docs


# ---------------------------------------------------------------- memory, from /proc


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (worker processes, the multiprocessing resource tracker),
    from /proc/PID/task/*/children: each thread lists the children it forked."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:  # the thread or process ended meanwhile
                continue
    return found


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:  # a worker recycled between the listing and this read
        pass
    return 0


def role(pid: int, root: int) -> str:
    """What a process of the server's tree is, so that growth can be traced to it: the server
    itself, a worker (multiprocessing spawn), the resource tracker, or a program the workers run
    (tesseract, for OCR: short-lived, and large while it runs)."""
    if pid == root:
        return "server"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "gone"
    if b"spawn_main" in cmdline:
        return "worker"
    if b"resource_tracker" in cmdline:
        return "resource tracker"
    return comm


@dataclass(frozen=True)
class RssSample:
    at: float  # seconds since the start of the run
    total: int  # bytes, the server and all its descendants
    processes: int
    roles: tuple[tuple[str, int, int], ...]  # (role, processes, bytes)
    cpu: float  # CPU seconds used so far by the tree (with its reaped children: old workers)
    workers: frozenset[int]  # their pids: a new one is a worker replaced (worker_max_tasks)

    def describe(self) -> str:
        return ", ".join(f"{r} ×{n} {size / MiB:,.0f}" for r, n, size in self.roles)

    def of(self, *roles: str) -> int:
        return sum(size for r, _, size in self.roles if r in roles)


def cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime from /proc/PID/stat: with the reaped children's, so that
    a recycled worker's (or a finished tesseract's) time is not lost from the sum."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def sample_rss(pid: int, started: float) -> RssSample:
    roles: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    cpu = 0.0
    workers = set()
    for p in process_tree(pid):
        cpu += cpu_seconds(p)
        size = rss_bytes(p)
        if size:  # 0: it ended meanwhile
            what = role(p, pid)
            if what == "worker":
                workers.add(p)
            entry = roles[what]
            entry[0] += 1
            entry[1] += size
    return RssSample(
        time.monotonic() - started,
        sum(size for _, size in roles.values()),
        sum(n for n, _ in roles.values()),
        tuple(sorted((r, n, size) for r, (n, size) in roles.items())),
        cpu,
        frozenset(workers),
    )


def pid_listening_on(address: str) -> int | None:
    """The local process that listens on ``address``'s port (for --server): the socket's inode
    from /proc/net/tcp{,6}, then the process holding it in its fds. None if it is not ours to
    see (another host, another user)."""
    port = int(address.rsplit(":", 1)[1])
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{parts[9]}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                return int(proc.name)
        except OSError:
            continue
    return None


class Sampler(threading.Thread):
    """Every ``every`` seconds until stopped: the server's RSS (when its process is known) and
    the machine's load average (other work shares the machine, and the figures depend on it)."""

    def __init__(self, pid: int | None, started: float, every: float) -> None:
        super().__init__(name="sampler", daemon=True)
        self.pid, self.started, self.every = pid, started, every
        self.samples: list[RssSample] = []
        self.loads: list[tuple[float, float]] = []  # (seconds since the start, 1-minute load)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.loads.append((time.monotonic() - self.started, os.getloadavg()[0]))
            if self.pid:
                self.samples.append(sample_rss(self.pid, self.started))


# ---------------------------------------------------------------- the clients


@dataclass(frozen=True)
class Call:
    kind: str
    doc: str
    ended: float  # monotonic
    seconds: float
    outcome: str  # "ok", "expected", BACKPRESSURE or "unexpected"
    code: str  # gRPC status code name
    reason: str = ""  # ErrorInfo reason
    message: str = ""
    retry_delay: float | None = None  # RetryInfo, seconds
    # From the first attempt at this document to this answer, refusals and waits included: what
    # a caller who retries waits. Set on the call that ends a run of refusals; else ``seconds``.
    waited: float | None = None

    @property
    def to_result(self) -> float:
        return self.seconds if self.waited is None else self.waited


def _details(err: grpc.RpcError) -> tuple[str, str, float | None]:
    """The ErrorInfo reason, the message and the RetryInfo delay of a failed call."""
    if not isinstance(err, grpc.Call):
        return "", str(err), None
    call = cast(grpc.Call, err)
    message = call.details() or ""
    try:
        status = rpc_status.from_call(call)
    except ValueError:  # the rich status disagrees with the call's own code or message
        status = None
    reason, delay = "", None
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            delay = retry.retry_delay.ToTimedelta().total_seconds()
    return reason, message, delay


def _upload_requests(doc: Doc) -> Iterator[service_pb2.ExtractUploadRequest]:
    header = service_pb2.UploadHeader(filename=doc.name, size_bytes=len(doc.content))
    yield service_pb2.ExtractUploadRequest(header=header)
    for offset in range(0, len(doc.content), UPLOAD_CHUNK):
        yield service_pb2.ExtractUploadRequest(chunk=doc.content[offset : offset + UPLOAD_CHUNK])


def _result_digest(extraction: service_pb2.Extraction) -> str:
    """What must not change from one call to the next for the same bytes: the report and the
    findings (not DocumentInfo, which holds the elapsed time)."""
    digest = hashlib.sha256(extraction.report.SerializeToString(deterministic=True))
    digest.update(extraction.validation.SerializeToString(deterministic=True))
    return digest.hexdigest()


class Results:
    """The first result digest of each document, shared by the clients."""

    def __init__(self) -> None:
        self._first: dict[str, str] = {}
        self._lock = threading.Lock()

    def same_as_first(self, name: str, digest: str) -> bool:
        with self._lock:
            return self._first.setdefault(name, digest) == digest


def one_call(
    stub: service_pb2_grpc.ReportExtractorStub, doc: Doc, timeout: float, results: Results
) -> Call:
    started = time.monotonic()
    # The 6,000-character filename, as the report shows it.
    shown = doc.name if len(doc.name) <= 80 else f"{doc.name[:20]}…({len(doc.name)} characters)"
    try:
        if doc.upload:
            extraction = stub.ExtractUpload(_upload_requests(doc), timeout=timeout).extraction
        else:
            request = service_pb2.ExtractRequest(content=doc.content, filename=doc.name)
            extraction = stub.Extract(request, timeout=timeout).extraction
    except grpc.RpcError as err:
        ended = time.monotonic()
        code = err.code().name if isinstance(err, grpc.Call) else "UNKNOWN"
        reason, message, delay = _details(err)
        if doc.kind == "bad" and (code, reason) == doc.expect:
            outcome = "expected"
        elif reason == "OVERLOADED" or (code == "UNAVAILABLE" and delay is not None):
            outcome = BACKPRESSURE  # not TOO_LARGE or another limit: those are errors here
        else:
            outcome = "unexpected"
        return Call(doc.kind, shown, ended, ended - started, outcome, code, reason, message, delay)
    ended = time.monotonic()
    if doc.kind == "bad":
        return Call(doc.kind, shown, ended, ended - started, "unexpected", "OK", "NOT_REFUSED")
    if not results.same_as_first(doc.name, _result_digest(extraction)):
        return Call(
            doc.kind,
            shown,
            ended,
            ended - started,
            "unexpected",
            "OK",
            "RESULT_CHANGED",
            "the report or the findings differ from this document's first result",
        )
    return Call(doc.kind, shown, ended, ended - started, "ok", "OK")


def channel_for(address: str) -> grpc.Channel:
    return grpc.insecure_channel(
        address,
        options=[
            # Each client its own connection: channels to the same target otherwise share one
            # subchannel (one TCP connection) process-wide, which is not what 16 clients are.
            ("grpc.use_local_subchannel_pool", 1),
            ("grpc.max_send_message_length", 64 * MiB),
            ("grpc.max_receive_message_length", 64 * MiB),
        ],
    )


def run_client(
    index: int,
    clients: int,
    address: str,
    docs: Sequence[Doc],
    stop: threading.Event,
    timeout: float,
    results: Results,
    calls: list[Call],
) -> None:
    """Back-to-back calls until ``stop``; ``calls`` is this client's own list (no lock)."""
    # Clients start spread over the set, so that at any moment the mix is the set's mix rather
    # than every client sending the same document.
    position = index * len(docs) // clients
    backoff = DEFAULT_RETRY_S
    with channel_for(address) as channel:
        stub = service_pb2_grpc.ReportExtractorStub(channel)
        first_attempt: float | None = None  # of the document being retried
        while not stop.is_set():
            doc = docs[position % len(docs)]
            try:
                call = one_call(stub, doc, timeout, results)
            except Exception as exc:  # a bug here must show in the report, not end the client
                now = time.monotonic()
                call = Call(
                    doc.kind,
                    doc.name,
                    now,
                    0.0,
                    "unexpected",
                    "CLIENT",
                    type(exc).__name__,
                    str(exc),
                )
            if call.outcome == BACKPRESSURE:
                calls.append(call)
                if first_attempt is None:
                    first_attempt = call.ended - call.seconds
                # The same document again after the server's delay, so the mix stays the set's.
                wait = call.retry_delay if call.retry_delay is not None else backoff
                backoff = min(2 * backoff, MAX_RETRY_S)
                stop.wait(wait)
                continue
            if first_attempt is not None:
                call = replace(call, waited=call.ended - first_attempt)
            calls.append(call)
            first_attempt = None
            backoff = DEFAULT_RETRY_S
            position += 1


# ---------------------------------------------------------------- the report


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or under it."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def _mib(size: int) -> str:
    return f"{size / MiB:,.1f} MiB"


def latency_row(label: str, seconds: list[float], duration: float, docs: int | str) -> str:
    if not seconds:
        return f"| {label} | {docs} | 0 | 0.00 | — | — | — | — | — |"
    s = sorted(seconds)
    return (
        f"| {label} | {docs} | {len(s)} | {len(s) / duration:.2f} | {_ms(percentile(s, 50))} | "
        f"{_ms(percentile(s, 95))} | {_ms(percentile(s, 99))} | {_ms(s[-1])} | "
        f"{_ms(statistics.fmean(s))} |"
    )


@dataclass
class Run:
    command: str
    address: str
    started_by_us: bool
    clients: int
    warmup: float
    duration: float
    docs: list[Doc]
    calls: list[Call]
    window: tuple[float, float]  # monotonic start and end of the measured duration
    started: float
    rss_start: RssSample | None
    rss_end: RssSample | None
    rss_samples: list[RssSample]
    rss_note: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    loads: list[float]  # 1-minute load averages sampled within the measured seconds
    client_cpu: float  # CPU seconds of this process within the measured seconds
    server_errors: list[str] = field(default_factory=list)

    def measured(self) -> list[Call]:
        begin, end = self.window
        return [c for c in self.calls if begin <= c.ended <= end]

    def rss_growth(self) -> float | None:
        """Growth of the long-lived processes (server, workers, resource tracker): the OCR
        programs living only during a call would swing the figure by ±20 % by chance."""
        if self.rss_start is None or self.rss_end is None or not _lasting(self.rss_start):
            return None
        return (_lasting(self.rss_end) - _lasting(self.rss_start)) / _lasting(self.rss_start) * 100

    def unexpected(self) -> list[Call]:
        return [c for c in self.calls if c.outcome == "unexpected"]

    def failures(self) -> list[str]:
        out = []
        if self.unexpected():
            out.append(f"{len(self.unexpected())} unexpected errors")
        growth = self.rss_growth()
        if growth is not None and growth >= RSS_GROWTH_LIMIT:
            out.append(f"RSS grew {growth:.1f}% (limit: under {RSS_GROWTH_LIMIT:.0f}%)")
        return out


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def report(run: Run) -> str:
    measured = run.measured()
    duration = run.duration
    ok = [c for c in measured if c.outcome == "ok"]
    by_kind: dict[str, list[float]] = defaultdict(list)
    for c in ok:
        by_kind[c.kind].append(c.seconds)
    doc_count = Counter(d.kind for d in run.docs)
    doc_bytes: dict[str, int] = defaultdict(int)
    for d in run.docs:
        doc_bytes[d.kind] += len(d.content)
    outcomes = Counter(c.outcome for c in measured)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    verdict = run.failures()
    lines = [
        "# Load test",
        "",
        f"**{'FAIL: ' + '; '.join(verdict) if verdict else 'PASS'}** — no unexpected errors and "
        f"RSS growth under {RSS_GROWTH_LIMIT:.0f}% are the targets.",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {cpus} CPUs (nproc), {platform.machine()}, "
        f"{platform.system()} {platform.release()}",
        f"- load average (other work may share the machine): "
        f"{' '.join(f'{x:.2f}' for x in run.load_before)} before the run, "
        + (
            f"1-minute {statistics.fmean(run.loads):.1f} on average and {max(run.loads):.1f} at "
            "most in the measured seconds, "
            if run.loads
            else ""
        )
        + f"{' '.join(f'{x:.2f}' for x in run.load_after)} after",
        f"- python: {platform.python_version()} ({platform.python_implementation()}), "
        f"grpcio {grpc.__version__}",
        f"- code: {_git()}",
        f"- command: `{run.command}`",
        f"- server: {run.address} "
        f"({'started by the load test with default settings' if run.started_by_us else 'given'})",
        f"- clients: {run.clients} (threads, one channel each), unary Extract back to back "
        f"(ExtractUpload in {UPLOAD_CHUNK // MiB} MiB chunks above {UPLOAD_ABOVE // MiB} MiB), "
        "round-robin over the documents",
        f"- warm-up {run.warmup:.0f} s (not counted), then {duration:.0f} s measured: the figures "
        "below are the calls that ended within those seconds",
        "",
        "## Documents",
        "",
        "| kind | documents | bytes | share of the set |",
        "|---|---:|---:|---:|",
    ]
    for kind in KINDS:
        if doc_count[kind]:
            lines.append(
                f"| {kind} | {doc_count[kind]} | {_mib(doc_bytes[kind])} | "
                f"{doc_count[kind] / len(run.docs):.0%} |"
            )
    big = [d for d in run.docs if len(d.content) > MiB and d.kind.startswith("PDF")]
    lines += [
        "",
        f"{len(run.docs)} documents: the five text seeds, HTML and DOCX renderings of the golds "
        "(three stems a layout), drawn PDFs, "
        + ", ".join(f"`{d.name}` ({_mib(len(d.content))})" for d in big)
        + " (a noise photo on page 1 makes them big; its text layer stays, no OCR), two scanned "
        "pages (200 dpi PNG, OCR), two of random bytes (expected: "
        f"{EXPECTED_BAD[0]} / {EXPECTED_BAD[1]}) and the hostile inputs of issue 14, each "
        "expected to be refused with its own reason: "
        + ", ".join(f"`{name}` {reason}" for name, (_, reason) in HOSTILE.items())
        + ", a 6,000-character filename UNSUPPORTED_FORMAT.",
        "",
        "## Throughput and latency",
        "",
        f"{len(measured)} calls in {duration:.0f} s: **{len(measured) / duration:.2f} calls/s**; "
        f"{outcomes['ok']} extracted (**{outcomes['ok'] / duration:.2f} documents/s**), "
        f"{outcomes['expected']} expected errors, {outcomes[BACKPRESSURE]} refused by "
        f"backpressure, {outcomes['unexpected']} unexpected errors. "
        f"({sum(1 for c in run.calls if c.ended < run.window[0])} calls in the warm-up and "
        f"{sum(1 for c in run.calls if c.ended > run.window[1])} finishing after the end are "
        "not counted here; their errors are, below.)",
        "",
        _cpu_line(run),
        "",
        "Latency in ms of the calls that succeeded (for `bad`: that failed as expected), from "
        "the client's send to its answer; documents/s are per format. *To the result*: from the "
        "first attempt at the document, backpressure refusals and their waits included.",
        "",
        "| kind | documents | calls | documents/s | p50 | p95 | p99 | max | mean |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        if kind == "bad":
            continue
        if doc_count[kind]:
            lines.append(latency_row(kind, by_kind[kind], duration, doc_count[kind]))
    all_ok = [c.seconds for c in ok]
    lines.append(
        latency_row("**all extracted**", all_ok, duration, len(run.docs) - doc_count["bad"])
    )
    lines.append(
        latency_row(
            "all extracted, to the result",
            [c.to_result for c in ok],
            duration,
            len(run.docs) - doc_count["bad"],
        )
    )
    bad_calls = [c.seconds for c in measured if c.outcome == "expected"]
    lines.append(latency_row("bad (expected error)", bad_calls, duration, doc_count["bad"]))

    lines += ["", "## Errors", ""]
    everything = Counter((c.outcome, c.code, c.reason) for c in run.calls)
    unexpected = run.unexpected()
    if unexpected:
        lines += [
            f"**{len(unexpected)} unexpected** (whole run, warm-up included):",
            "",
            "| status | reason | kind | calls | first message |",
            "|---|---|---|---:|---|",
        ]
        groups: dict[tuple[str, str, str], list[Call]] = defaultdict(list)
        for c in unexpected:
            groups[(c.code, c.reason, c.kind)].append(c)
        for (code, reason, kind), group in sorted(groups.items(), key=lambda g: -len(g[1])):
            message = group[0].message.replace("|", "\\|").replace("\n", " ")[:200]
            lines.append(f"| {code} | {reason or '—'} | {kind} | {len(group)} | {message} |")
    else:
        lines.append("No unexpected errors (whole run, warm-up included).")
    expected = sum(n for (outcome, _, _), n in everything.items() if outcome == "expected")
    by_reason: Counter[str] = Counter()
    for (outcome, code, reason), n in everything.items():
        if outcome == "expected":
            by_reason[f"{code} / {reason}"] += n
    lines += [
        "",
        "Expected errors (the random-bytes and hostile documents, each refused with its own "
        f"code and reason): {expected} in the whole run: "
        + ", ".join(f"{what} {n}" for what, n in by_reason.most_common())
        + ".",
    ]
    pushed = [c for c in run.calls if c.outcome == BACKPRESSURE]
    if pushed:
        delays = [c.retry_delay for c in pushed if c.retry_delay is not None]
        reasons = Counter(c.reason or "—" for c in pushed)
        lines += [
            "",
            f"Backpressure (UNAVAILABLE / OVERLOADED, intentional): {len(pushed)} refusals in the whole "
            f"run ({', '.join(f'{r} {n}' for r, n in reasons.items())}), "
            f"{outcomes[BACKPRESSURE]} of them in the measured seconds; "
            + (
                f"RetryInfo delays {min(delays):.1f}–{max(delays):.1f} s, "
                f"{sum(delays):.0f} client-seconds waited in all"
                if delays
                else "no RetryInfo: retried after "
                f"{DEFAULT_RETRY_S} s doubling up to {MAX_RETRY_S:.0f} s"
            )
            + (
                f" ({len(pushed) - len(delays)} without a RetryInfo)"
                if delays and len(delays) < len(pushed)
                else ""
            )
            + ". The client then sent the same document again.",
        ]
    else:
        lines += ["", "Backpressure: no OVERLOADED refusals."]
    if run.server_errors:
        lines += ["", "Server log, ERROR lines (first 10):", "", "```"]
        lines += [e[:300] for e in run.server_errors[:10]]
        lines.append("```")

    lines += ["", "## Memory", ""]
    if run.rss_start is None or run.rss_end is None:
        lines.append(f"Not measured: {run.rss_note}.")
    else:
        window = [s for s in run.rss_samples if run.warmup <= s.at <= run.warmup + duration]
        peak = max([run.rss_start, run.rss_end, *window], key=lambda s: s.total)
        growth = run.rss_growth() or 0.0
        start, end = run.rss_start, run.rss_end
        lines += [
            "VmRSS summed over the server process and all its descendants (worker processes "
            "share library pages, so the sum counts those once per process). MiB by process, "
            "×count.",
            "",
            "| when | RSS | processes | by process |",
            "|---|---:|---:|---|",
            f"| start (end of warm-up, {start.at:.0f} s) | {_mib(start.total)} "
            f"| {start.processes} | {start.describe()} |",
            f"| end ({end.at:.0f} s) | {_mib(end.total)} | {end.processes} | {end.describe()} |",
            f"| max over the measured seconds ({peak.at:.0f} s) | {_mib(peak.total)} | "
            f"{peak.processes} | {peak.describe()} |",
            "",
            f"Growth start → end of the long-lived processes (server, workers, resource "
            f"tracker; not the OCR programs running at that instant): **{growth:+.1f}%** "
            f"(target: under {RSS_GROWTH_LIMIT:.0f}%). All processes: "
            f"{(end.total / start.total - 1) * 100:+.1f}%; max over start: "
            f"{(peak.total / start.total - 1) * 100:+.1f}%.",
        ]
        # The baseline and the end reading, and the sampler's readings but those a second from
        # either (the same moment twice).
        near = [s for s in run.rss_samples if min(abs(s.at - start.at), abs(s.at - end.at)) < 1]
        samples = sorted(
            [*(s for s in run.rss_samples if s not in near), start, end], key=lambda s: s.at
        )
        seen = set().union(*(s.workers for s in samples))
        lines += [
            "",
            f"Worker processes seen: {len(seen)} ({max(len(s.workers) for s in samples)} at a time "
            "at most; more means workers were replaced, e.g. after worker_max_tasks).",
            "",
            "Over time (MiB, a selection of the samples; s since the start of the warm-up):",
            "",
            "| s | total | server | workers | OCR programs and others | processes |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        step = max(1, len(samples) // 14)
        for i, s in enumerate(samples):
            if i % step and s is not start and s is not end and i != len(samples) - 1:
                continue
            rest = s.total - s.of(*LASTING_ROLES)
            tag = " (start)" if s is start else " (end)" if s is end else ""
            lines.append(
                f"| {s.at:.0f}{tag} | {s.total / MiB:,.0f} | {s.of('server') / MiB:,.0f} | "
                f"{s.of('worker') / MiB:,.0f} | {rest / MiB:,.0f} | {s.processes} |"
            )
    return "\n".join(lines) + "\n"


def _cpu_line(run: Run) -> str:
    """How much CPU the server got: on a shared machine, throughput is only as good as that."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    client = f"this load test's own process {run.client_cpu:.1f} CPU-s"
    if run.rss_start is None or run.rss_end is None:
        return f"CPU in the measured seconds: {client}; the server's not measured."
    used = run.rss_end.cpu - run.rss_start.cpu
    return (
        f"CPU in the measured seconds: the server's processes {used:.0f} CPU-s "
        f"({used / run.duration:.2f} of the {cpus} CPUs), {client}."
    )


def _lasting(sample: RssSample) -> int:
    """RSS of the processes that live as long as the server or its workers: the OCR programs
    come and go within a call, so a sample catching one or two says little about growth."""
    return sum(size for r, _, size in sample.roles if r in LASTING_ROLES)


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--duration", type=float, default=300.0, help="measured seconds (300)")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before (30)")
    parser.add_argument(
        "--server", metavar="HOST:PORT", help="a running server (default: start one)"
    )
    parser.add_argument(
        "--server-pid", type=int, help="its process, for RSS (default: found by the port)"
    )
    parser.add_argument("--output", default=str(ROOT / "docs/load.md"))
    parser.add_argument("--timeout", type=float, default=600.0, help="per call, seconds (600)")
    parser.add_argument("--sample-every", type=float, default=5.0, help="RSS, seconds (5)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--clients must be at least 1, --duration positive, --warmup not negative")

    print("building the documents…", file=sys.stderr)
    docs = load_documents()
    print(
        f"{len(docs)} documents: "
        + ", ".join(f"{k} {n}" for k, n in Counter(d.kind for d in docs).items()),
        file=sys.stderr,
    )
    command = shlex.join(["python", "bench/load.py", *(sys.argv[1:] if argv is None else argv)])
    server_cm: AbstractContextManager[ServerProcess | None] = (
        nullcontext(None) if args.server else running_server()
    )
    with server_cm as server:
        address = args.server or (server.address if server else "")
        pid = args.server_pid or (server.proc.pid if server else pid_listening_on(address))
        run = load(args, docs, address, pid, command, started_by_us=server is not None)
        if server is not None and run.unexpected():
            run.server_errors = [
                line for line in server.log().splitlines() if "ERROR" in line or "Traceback" in line
            ]
    text = report(run)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    sys.stdout.flush()
    print(f"(written to {output})", file=sys.stderr)
    return 1 if run.failures() else 0


def load(
    args: argparse.Namespace,
    docs: list[Doc],
    address: str,
    pid: int | None,
    command: str,
    *,
    started_by_us: bool,
) -> Run:
    load_before = os.getloadavg()
    started = time.monotonic()
    sampler = Sampler(pid, started, args.sample_every)
    sampler.start()
    stop = threading.Event()
    results = Results()
    per_client: list[list[Call]] = [[] for _ in range(args.clients)]
    threads = [
        threading.Thread(
            target=run_client,
            args=(i, args.clients, address, docs, stop, args.timeout, results, per_client[i]),
            name=f"client-{i}",
            daemon=True,
        )
        for i in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    window_start = started + args.warmup
    window_end = window_start + args.duration
    _progress_until(window_start, started, per_client, "warm-up")
    rss_start = sample_rss(pid, started) if pid else None
    client_cpu = time.process_time()  # all of this process's threads: the clients' own cost
    _progress_until(window_end, started, per_client, "measuring")
    rss_end = sample_rss(pid, started) if pid else None
    client_cpu = time.process_time() - client_cpu
    stop.set()
    print("waiting for the calls in flight…", file=sys.stderr)
    for thread in threads:
        thread.join()
    sampler.done.set()
    sampler.join()
    return Run(
        command=command,
        address=address,
        started_by_us=started_by_us,
        clients=args.clients,
        warmup=args.warmup,
        duration=args.duration,
        docs=docs,
        calls=sorted((c for calls in per_client for c in calls), key=lambda c: c.ended),
        window=(window_start, window_end),
        started=started,
        rss_start=rss_start,
        rss_end=rss_end,
        rss_samples=sampler.samples,
        rss_note="" if pid else f"no local process found listening on {address} (--server-pid)",
        load_before=load_before,
        load_after=os.getloadavg(),
        loads=[
            load for at, load in sampler.loads if args.warmup <= at <= args.warmup + args.duration
        ],
        client_cpu=client_cpu,
    )


def _progress_until(
    deadline: float, started: float, per_client: list[list[Call]], phase: str
) -> None:
    """Sleeps until ``deadline``, with a line on stderr every 30 s (a run takes minutes)."""
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(30.0, left))
        calls = [c for calls in per_client for c in calls]  # a snapshot: lists only grow
        outcomes = Counter(c.outcome for c in calls)
        print(
            f"{time.monotonic() - started:6.0f} s {phase}: {len(calls)} calls, "
            + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items())),
            file=sys.stderr,
        )


if __name__ == "__main__":
    sys.exit(main())
