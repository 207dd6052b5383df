"""What the HTTP/JSON gateway costs over gRPC: the same documents extracted through
govreport.Client (gRPC) and through gateway/bin/govreport-gateway (POST /v1/extract), against one
server, and writes docs/gateway-benchmarks.md.

    make -C gateway build && .venv/bin/python bench/gateway.py [--runs N] [--output FILE]

Documents: the five bundled samples (text). Each is extracted once untimed both ways, then
``--runs`` times each way, alternating; a figure is the median over the documents of each
document's median. Then 4 callers at once for ``--seconds`` each way: documents per second.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from serverproc import running_server  # noqa: E402

from govreport.client import Client  # noqa: E402

SAMPLES = sorted((ROOT / "server/govreport/samples").glob("*.txt"))
GATEWAY = ROOT / "gateway/bin/govreport-gateway"
LISTENING = "govreport-gateway listening on "


def start_gateway(upstream: str) -> tuple[subprocess.Popen[str], str]:
    if not GATEWAY.exists():
        raise SystemExit(f"no {GATEWAY}: run `make -C gateway build` first")
    proc = subprocess.Popen(
        [str(GATEWAY), "-listen", "127.0.0.1:0", "-upstream", upstream],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith(LISTENING):
        proc.kill()
        raise SystemExit(f"the gateway did not start: {line!r}")
    return proc, "http://" + line[len(LISTENING) :].strip()


def over_http(base: str) -> Callable[[Path], None]:
    def extract(path: Path) -> None:
        body = json.dumps(
            {"content": base64.b64encode(path.read_bytes()).decode(), "filename": path.name}
        ).encode()
        request = urllib.request.Request(
            f"{base}/v1/extract", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            assert json.loads(response.read())["extraction"]["report"]["metadata"]["agency"]

    return extract


def over_grpc(client: Client) -> Callable[[Path], None]:
    def extract(path: Path) -> None:
        assert client.extract(path).report.metadata.agency

    return extract


def latency_ms(extract: Callable[[Path], None], runs: int) -> dict[str, float]:
    medians = {}
    for path in SAMPLES:
        extract(path)  # untimed: connections, caches
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            extract(path)
            times.append((time.perf_counter() - started) * 1000)
        medians[path.name] = statistics.median(times)
    return medians


def throughput(extract: Callable[[Path], None], seconds: float, callers: int = 4) -> float:
    done = 0
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def loop(offset: int) -> None:
        nonlocal done
        i = offset
        while time.monotonic() < until:
            extract(SAMPLES[i % len(SAMPLES)])
            i += 1
            with lock:
                done += 1

    started = time.monotonic()
    with ThreadPoolExecutor(callers) as pool:
        list(pool.map(loop, range(callers)))
    return done / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--output", default=str(ROOT / "docs/gateway-benchmarks.md"))
    args = parser.parse_args()
    with running_server({"GOVREPORT_LOG_LEVEL": "WARNING"}) as server:
        gateway, base = start_gateway(server.address)
        try:
            with Client(server.address) as client:
                grpc_ms = latency_ms(over_grpc(client), args.runs)
                http_ms = latency_ms(over_http(base), args.runs)
                grpc_rate = throughput(over_grpc(client), args.seconds)
                http_rate = throughput(over_http(base), args.seconds)
        finally:
            gateway.terminate()
            gateway.wait(30)
    rows = [
        f"| {name} | {SAMPLES[i].stat().st_size:,} | {grpc_ms[name]:.1f} | {http_ms[name]:.1f} "
        f"| {http_ms[name] - grpc_ms[name]:+.1f} |"
        for i, name in enumerate(grpc_ms)
    ]
    median_grpc, median_http = (
        statistics.median(grpc_ms.values()),
        statistics.median(http_ms.values()),
    )
    text = "\n".join(
        [
            "# The HTTP/JSON gateway against gRPC",
            "",
            f"Written by `bench/gateway.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{platform.machine()}, {os.cpu_count()} cores; one server (default settings), "
            "the gateway in front of it on loopback. Latency: each sample's median of "
            f"{args.runs} sequential calls (ms); gRPC through `govreport.Client`, HTTP a POST "
            "of the base64 document to `/v1/extract` (Python's urllib).",
            "",
            "| sample | bytes | gRPC ms | HTTP ms | HTTP − gRPC |",
            "|---|---:|---:|---:|---:|",
            *rows,
            f"| **median** | | **{median_grpc:.1f}** | **{median_http:.1f}** | "
            f"**{median_http - median_grpc:+.1f}** |",
            "",
            f"Throughput, 4 callers for {args.seconds:.0f} s each way: gRPC {grpc_rate:.1f} "
            f"documents/s, HTTP {http_rate:.1f} documents/s "
            f"({(http_rate / grpc_rate - 1) * 100:+.0f} %).",
            "",
        ]
    )
    Path(args.output).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
