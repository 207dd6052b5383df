"""Hostile inputs against a real server: what each costs and what the caller is told.

    .venv/bin/python bench/hostile.py [--only "NAME;..."] [--json F] [--before F]

For every case (issue 14's list: a 1x1 PNG, a 6,000-character filename, a
DOCX whose tag names quote 20,000 characters, a DOCX bomb that declares
2,000 bytes and inflates to 1 GiB, a PDF whose page tree says 1 page and
holds 5,000, an xref stream claiming 50 M objects, a 50 MB text, six
uploads of 60 MiB that stall, a unary message over the gRPC limit) it starts
a fresh ``govreport serve`` (two workers), sends the input, and records the
status code, the ErrorInfo reason, the wall seconds, the size of the
status's message and trailers, and the peak resident memory of the server
process and of its largest worker, sampled every 20 ms from /proc.

A fresh server per case, so that no case inherits another's memory.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import grpc  # noqa: E402
import hostile_inputs  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402
from load import process_tree, role, rss_bytes  # noqa: E402
from serverproc import running_server  # noqa: E402

from govreport.v1 import service_pb2, service_pb2_grpc  # noqa: E402

MiB = 1024 * 1024
SERVER_ENV = {"GOVREPORT_WORKERS": "2", "GOVREPORT_LOG_FORMAT": "text"}


@dataclass
class Outcome:
    case: str
    code: str
    reason: str
    seconds: float
    message_chars: int
    trailer_bytes: int
    parent_peak_mib: float
    worker_peak_mib: float
    parent_after_mib: float
    message: str


class Peaks(threading.Thread):
    """Samples the server's and its workers' RSS until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.parent = 0
        self.worker = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            for p in process_tree(self.pid):
                size = rss_bytes(p)
                if p == self.pid:
                    self.parent = max(self.parent, size)
                elif role(p, self.pid) in ("worker", "tesseract"):
                    self.worker = max(self.worker, size)
            self._halt.wait(0.02)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _status(err: grpc.RpcError) -> tuple[str, str, str, int]:
    call = cast(grpc.Call, err)
    trailers = call.trailing_metadata() or ()
    size = sum(len(k) + len(v) for k, v in trailers)
    reason = ""
    try:
        status = rpc_status.from_call(call)
    except ValueError as exc:
        reason = f"(from_call: {exc})"
        status = None
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
    return call.code().name, reason or "(no ErrorInfo)", call.details() or "", size


Send = Callable[[service_pb2_grpc.ReportExtractorStub], None]


class Several(Exception):
    """The outcomes of several calls of one case, summed up."""

    def __init__(self, codes: str, reasons: str, message: str) -> None:
        super().__init__(message)
        self.codes, self.reasons, self.message = codes, reasons, message


def _extract(filename: str, content: bytes) -> Send:
    def send(stub: service_pb2_grpc.ReportExtractorStub) -> None:
        stub.Extract(service_pb2.ExtractRequest(content=content, filename=filename), timeout=600)

    return send


def _stalled_uploads(streams: int = 6, size: int = 60 * MiB) -> Send:
    """``streams`` uploads that each send ``size`` bytes, then nothing; the last error of any."""

    def send(stub: service_pb2_grpc.ReportExtractorStub) -> None:
        errors: list[grpc.RpcError] = []
        hold = threading.Event()

        def requests() -> Iterator[service_pb2.ExtractUploadRequest]:
            header = service_pb2.UploadHeader(filename="stalled.pdf", size_bytes=size + MiB)
            yield service_pb2.ExtractUploadRequest(header=header)
            for _ in range(size // MiB):
                yield service_pb2.ExtractUploadRequest(chunk=b"%" * MiB)
            hold.wait(150)  # stall: never send the rest

        def one() -> None:
            try:
                stub.ExtractUpload(requests(), timeout=120)
            except grpc.RpcError as err:
                errors.append(err)

        threads = [threading.Thread(target=one) for _ in range(streams)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        hold.set()
        if errors:
            outcomes = Counter(_status(err)[:2] for err in errors)
            raise Several(
                ", ".join(f"{n}× {code}" for (code, _), n in outcomes.items()),
                ", ".join(f"{n}× {reason}" for (_, reason), n in outcomes.items()),
                _status(errors[-1])[2],
            )

    return send


def cases() -> dict[str, Send]:
    build = hostile_inputs.BUILDERS
    return {
        "1x1 PNG": _extract("tiny.png", build["tiny.png"]()),
        "6,000-char filename": _extract("x" * 6000, b"\0\1\2"),
        "DOCX, 20,000-char tag": _extract("long-tag.docx", build["long-tag.docx"]()),
        "DOCX bomb (2 kB declared, 1 GiB inflated)": _extract("bomb.docx", build["bomb.docx"]()),
        "PDF, 5,000 pages, /Count 1": _extract("pages.pdf", build["pages.pdf"]()),
        "PDF, xref stream claims 50 M objects": _extract("xref.pdf", build["xref.pdf"]()),
        "50 MB text": _extract("long.txt", build["long.txt"]()),
        "6 uploads of 60 MiB that stall": _stalled_uploads(),
        "unary message of 70 MiB": _extract("big.pdf", b"%PDF-1.4\n" + b"0" * (70 * MiB)),
    }


def run_case(name: str, send: Send) -> Outcome:
    with running_server(SERVER_ENV) as server:
        peaks = Peaks(server.proc.pid)
        peaks.start()
        time.sleep(0.3)
        options = [("grpc.max_send_message_length", 128 * MiB)]
        with grpc.insecure_channel(server.address, options=options) as channel:
            stub = service_pb2_grpc.ReportExtractorStub(channel)
            started = time.monotonic()
            try:
                send(stub)
                code, reason, message, trailers = "OK", "", "", 0
            except grpc.RpcError as err:
                code, reason, message, trailers = _status(err)
            except Several as several:
                code, reason, message, trailers = several.codes, several.reasons, several.message, 0
            seconds = time.monotonic() - started
        time.sleep(1.0)
        peaks.stop()
        after = rss_bytes(server.proc.pid)
    return Outcome(
        name,
        code,
        reason,
        round(seconds, 2),
        len(message),
        trailers,
        round(peaks.parent / MiB, 0),
        round(peaks.worker / MiB, 0),
        round(after / MiB, 0),
        message[:160],
    )


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| input | code | reason | seconds | message chars / trailer bytes "
        "| peak MiB: server / worker |",
        "|---|---|---|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.case} | {o.code} | {o.reason} | {o.seconds:.2f} | "
            f"{o.message_chars} / {o.trailer_bytes} | {o.parent_peak_mib:.0f} / "
            f"{o.worker_peak_mib:.0f} |"
        )
    return "\n".join(lines)


def compared(before: list[dict[str, object]], after: list[Outcome]) -> str:
    """One row per case: what it cost and answered before (another build's JSON) and now."""
    earlier = {str(b["case"]): b for b in before}
    lines = [
        "| input | before: code / reason | s | peak MiB server / worker "
        "| after: code / reason | s | peak MiB server / worker |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for o in after:
        b = earlier.get(o.case)
        old = (
            f"{b['code']} / {b['reason'] or '-'} | {float(str(b['seconds'])):.2f} | "
            f"{float(str(b['parent_peak_mib'])):.0f} / {float(str(b['worker_peak_mib'])):.0f}"
            if b
            else "– | – | –"
        )
        lines.append(
            f"| {o.case} | {old} | {o.code} / {o.reason or '-'} | {o.seconds:.2f} | "
            f"{o.parent_peak_mib:.0f} / {o.worker_peak_mib:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="substrings of case names, ';'-separated")
    parser.add_argument("--json", default="", help="write the outcomes here as JSON")
    parser.add_argument("--before", default="", help="JSON of another build: print both")
    args = parser.parse_args(argv)
    wanted = [w.strip().lower() for w in args.only.split(";") if w.strip()]
    outcomes = []
    for name, send in cases().items():
        if wanted and not any(w in name.lower() for w in wanted):
            continue
        outcome = run_case(name, send)
        print(
            f"{name}: {outcome.code} {outcome.reason} {outcome.seconds:.2f} s, "
            f"server {outcome.parent_peak_mib:.0f} MiB, worker {outcome.worker_peak_mib:.0f} "
            f"MiB: {outcome.message[:100]!r}",
            flush=True,
        )
        outcomes.append(outcome)
    print(table(outcomes))
    if args.before:
        print()
        print(compared(json.loads(Path(args.before).read_text()), outcomes))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
