"""Times extraction per input format, in-process and through gRPC, and writes docs/benchmarks.md.

    .venv/bin/python bench/run.py [--runs N] [--output docs/benchmarks.md]

First the real reports of ../shared/corpus/ against their gold (real_bench.py),
then the generated documents per format, then the PDF section of bench/pdf_bench.py (govreport against a naive
pdfplumber baseline on the PDF fixtures, one core).

Documents: the bundled samples (text) and, when tests/fixtures/writer.py is
there, the HTML and DOCX documents it renders from the gold reports (every
gold stem in every layout). Each document is extracted once untimed, then
``--runs`` times; a format's figure is the median over its documents of each
document's median. gRPC figures go through a real server started like the
test fixture (``govreport serve --port 0`` in a subprocess, unary Extract),
so they include serialisation and the loopback round trip.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import grpc  # noqa: E402
from serverproc import running_server  # noqa: E402

from govreport.convert import convert  # noqa: E402
from govreport.errors import GovreportError  # noqa: E402
from govreport.v1 import service_pb2, service_pb2_grpc  # noqa: E402

SAMPLES = ROOT / "server/govreport/samples"
FORMATS = ("text", "HTML", "DOCX")


@dataclass
class Doc:
    format: str
    name: str
    content: bytes


@dataclass
class Timings:
    per_doc_ms: list[float] = field(default_factory=list)  # each document's median
    failures: list[str] = field(default_factory=list)

    def median(self) -> float | None:
        return statistics.median(self.per_doc_ms) if self.per_doc_ms else None


def _fixture_cache_dir() -> Path:
    """Rendered fixtures are cached (DOCX rendering takes about a second a document), keyed on
    the writer and the gold files so that a change to either renders them anew."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "tests/fixtures").glob("*.py"), *(ROOT / "tests/gold").glob("*")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return ROOT / "tests/.fixtures/bench" / digest.hexdigest()[:16]


def load_documents() -> tuple[list[Doc], str]:
    docs = [Doc("text", p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.txt"))]
    note = ""
    try:
        from fixtures import LAYOUTS, filename, load_gold, stems
    except ImportError as exc:  # the fixture writer is optional
        return docs, f"HTML/DOCX fixtures unavailable ({exc})"
    cache = _fixture_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    for stem in stems():
        for layout, render in LAYOUTS.items():
            fmt = "HTML" if layout.startswith("html") else "DOCX"
            name = filename(stem, layout)
            cached = cache / f"{layout}--{name}"
            if cached.exists():
                content = cached.read_bytes()
            else:
                try:
                    content, _ = render(load_gold(stem))
                except Exception as exc:  # a broken layout must not stop the benchmark
                    note += f"; {stem}/{layout} not rendered: {type(exc).__name__}"
                    continue
                cached.write_bytes(content)
            docs.append(Doc(fmt, name, content))
    return docs, note.lstrip("; ")


def time_docs(docs: list[Doc], extract: Callable[[Doc], object], runs: int) -> dict[str, Timings]:
    out = {fmt: Timings() for fmt in FORMATS}
    for doc in docs:
        timings = out[doc.format]
        try:
            extract(doc)  # warm-up, and a check that it works at all
        except Exception as exc:  # recorded as not timed, with its reason
            timings.failures.append(f"{doc.name}: {_reason(exc)}")
            continue
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            extract(doc)
            samples.append((time.perf_counter() - started) * 1000.0)
        timings.per_doc_ms.append(statistics.median(samples))
    return out


def _reason(exc: BaseException) -> str:
    if isinstance(exc, GovreportError):
        return exc.reason.value
    if isinstance(exc, grpc.Call):
        return exc.code().name
    return type(exc).__name__


def time_batch(stub: service_pb2_grpc.ReportExtractorStub, docs: list[Doc]) -> float:
    """Documents per second through one ExtractBatch stream of every document."""
    requests = [
        service_pb2.ExtractBatchRequest(id=str(i), content=d.content, filename=d.name)
        for i, d in enumerate(docs)
    ]
    started = time.perf_counter()
    count = sum(1 for _ in stub.ExtractBatch(iter(requests), timeout=600))
    return count / (time.perf_counter() - started)


def time_scale_out(docs: list[Doc], counts: tuple[int, ...] = (1, 2, 3)) -> list[str]:
    """Documents per second with 1, 2 and 3 servers (one worker process each) on this machine,
    one batch dealt round-robin over one ExtractBatch stream per server (govreport.batch)."""
    import tempfile
    from contextlib import ExitStack

    from govreport.batch import run_remote
    from govreport.client import Client

    lines = [
        "## Scale-out",
        "",
        f"{len(docs)} documents (text, HTML, DOCX) in one run of `govreport extract --out "
        "--server A,B,C` (govreport.batch.run_remote): one ExtractBatch stream per server, the "
        "documents dealt round-robin. Each server has one worker process "
        f"(`GOVREPORT_WORKERS=1`); the machine has {os.cpu_count()} CPUs, so a third server "
        "shares a core.",
        "",
        "| servers | documents/s | speed-up |",
        "|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="govreport-scale-") as tmp:
        paths = []
        for i, doc in enumerate(docs):
            path = Path(tmp) / f"{i:03d}-{doc.name}"
            path.write_bytes(doc.content)
            paths.append(str(path))
        first = 0.0
        for count in counts:
            with ExitStack() as stack:
                servers = [
                    stack.enter_context(running_server({"GOVREPORT_WORKERS": "1"}))
                    for _ in range(count)
                ]
                clients = [stack.enter_context(Client(s.address)) for s in servers]
                list(run_remote(paths[: 2 * count], clients, 600))  # warm the workers
                started = time.perf_counter()
                done = sum(1 for o in run_remote(paths, clients, 600) if o.ok)
                rate = done / (time.perf_counter() - started)
            first = first or rate
            lines.append(f"| {count} | {rate:.1f} | {rate / first:.2f}× |")
    return lines


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per document (5)")
    parser.add_argument("--output", default=str(ROOT / "docs/benchmarks.md"))
    parser.add_argument("--pdf-runs", type=int, default=3, help="timed runs per PDF (3)")
    parser.add_argument("--skip-pdf", action="store_true", help="leave out the PDF section")
    parser.add_argument(
        "--skip-scale", action="store_true", help="leave out the 1/2/3-server section"
    )
    args = parser.parse_args(argv)

    docs, note = load_documents()
    local = time_docs(docs, lambda d: convert(d.content, d.name), args.runs)
    with running_server() as server, grpc.insecure_channel(server.address) as channel:
        stub = service_pb2_grpc.ReportExtractorStub(channel)

        def remote(doc: Doc) -> object:
            request = service_pb2.ExtractRequest(content=doc.content, filename=doc.name)
            return stub.Extract(request, timeout=120)

        over_grpc = time_docs(docs, remote, args.runs)
        working = [d for d in docs if not any(d.name in f for f in over_grpc[d.format].failures)]
        batch_rate = time_batch(stub, working) if working else 0.0

    command = "python bench/run.py" + (f" --runs {args.runs}" if args.runs != 5 else "")
    import real_bench

    lines = [
        "# Benchmarks",
        "",
        f"- machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"{platform.system()} {platform.release()}",
        f"- python: {platform.python_version()} ({platform.python_implementation()})",
        f"- command: `make bench` (`{command}`)",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        *real_bench.section(args.runs),
        "",
        "## Generated documents, per format",
        "",
        "The gold reports rendered by tests/fixtures/writer.py in every layout (breadth, not "
        "proof: the writer shares the readers' assumptions). Median milliseconds per document "
        f"(each document's median over {args.runs} runs, then the median over the format's "
        "documents).",
        "",
        "| format | documents | in-process ms/doc | gRPC ms/doc | gRPC overhead ms | failed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for fmt in FORMATS:
        count = sum(1 for d in docs if d.format == fmt)
        if not count:
            continue
        mine, theirs = local[fmt].median(), over_grpc[fmt].median()
        overhead = theirs - mine if mine is not None and theirs is not None else None
        failed = len(set(local[fmt].failures) | set(over_grpc[fmt].failures))
        lines.append(
            f"| {fmt} | {count} | {_fmt(mine)} | {_fmt(theirs)} | {_fmt(overhead)} | {failed} |"
        )
    lines += [
        "",
        f"ExtractBatch over all {len(working)} working documents in one stream: "
        f"{batch_rate:.1f} documents/s.",
    ]
    failures = [f for t in (*local.values(), *over_grpc.values()) for f in t.failures]
    if failures or note:
        lines += ["", "Not timed:", ""]
        lines += [f"- {f}" for f in sorted(set(failures))]
        if note:
            lines.append(f"- {note}")
    if not args.skip_scale:
        lines += ["", *time_scale_out([d for d in docs if d.format != "text"] * 2)]
    if not args.skip_pdf:
        import pdf_bench  # last: it pins this process to one CPU

        lines += ["", *pdf_bench.section(args.pdf_runs)]
    lines += [
        "",
        "## Load test",
        "",
        "`make load` (bench/load.py: 16 clients for 5 minutes, mixed formats, against one server) "
        "writes [load.md](load.md): throughput, latency percentiles, errors by code, and the "
        "server's memory before and after.",
    ]
    text = "\n".join(lines) + "\n"
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    sys.stdout.flush()
    print(f"(written to {output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
