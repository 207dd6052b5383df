"""The service under stress, through real server processes: backpressure, time limits, deadlines,
a killed worker, worker recycling, draining on SIGTERM, bearer tokens, TLS and mutual TLS,
metrics and request ids in the logs.

Slow work is a real scan: a page of a drawn PDF report rendered to pixels, read by OCR (seconds).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import hostile_inputs
import pypdfium2
import pytest
from fixtures.pdf import draw
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from serverproc import ServerProcess, running_server, start_server

from govreport.client import Client
from govreport.v1 import service_pb2, service_pb2_grpc

MiB = 1024 * 1024
SEED = next((Path(__file__).parents[1] / "server/govreport/samples").glob("000_*.txt"))


@pytest.fixture(scope="module")
def scan() -> bytes:
    """The first pages of a drawn report at 200 dpi, as a TIFF: a few seconds of OCR."""
    content, _ = draw("synthetic_2021", "pdf_ruled")
    document = pypdfium2.PdfDocument(content)
    pages = [document[i].render(scale=200 / 72).to_pil().convert("L") for i in range(3)]
    document.close()
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], dpi=(200, 200))
    return out.getvalue()


def stub_of(channel: grpc.Channel) -> service_pb2_grpc.ReportExtractorStub:
    return service_pb2_grpc.ReportExtractorStub(channel)


def extract(
    stub: service_pb2_grpc.ReportExtractorStub,
    content: bytes,
    name: str,
    timeout: float = 600,
    metadata: tuple[tuple[str, str], ...] = (),
) -> service_pb2.ExtractResponse:
    request = service_pb2.ExtractRequest(content=content, filename=name)
    response: service_pb2.ExtractResponse = stub.Extract(
        request, timeout=timeout, metadata=metadata
    )
    return response


def reason_of(err: grpc.RpcError) -> str:
    assert isinstance(err, grpc.Call)
    status = rpc_status.from_call(err)
    assert status is not None, err
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    raise AssertionError(f"no ErrorInfo in {err}")


def retry_delay(err: grpc.RpcError) -> float | None:
    assert isinstance(err, grpc.Call)
    status = rpc_status.from_call(err)
    for detail in status.details if status else ():
        info = error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            return info.retry_delay.ToNanoseconds() / 1e9
    return None


def serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=5
        )
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


def wait_for_workers(
    server: ServerProcess, count: int, timeout: float = 30, gone: frozenset[int] = frozenset()
) -> list[int]:
    """The server's ``count`` worker pids, none of them in ``gone``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = server.children()
        if len(pids) == count and not gone.intersection(pids):
            return pids
        time.sleep(0.1)
    raise AssertionError(f"expected {count} workers, found {server.children()}")


@pytest.fixture(scope="module")
def one_worker() -> Iterator[ServerProcess]:
    """One worker process, a queue of one: easy to fill."""
    env = {
        "GOVREPORT_WORKERS": "1",
        "GOVREPORT_MAX_QUEUE": "1",
        "GOVREPORT_WORKER_MAX_TASKS": "3",
        "GOVREPORT_METRICS_PORT": "0",
    }
    with running_server(env) as server:
        yield server


def test_full_queue_is_refused_at_once_with_a_retry_delay(
    one_worker: ServerProcess, scan: bytes
) -> None:
    """One document runs, one waits; the next ones get UNAVAILABLE / OVERLOADED at once, with
    the delay both as RetryInfo and as gRPC's retry pushback."""
    with grpc.insecure_channel(one_worker.address) as channel:
        stub = stub_of(channel)
        with ThreadPoolExecutor(2) as pool:
            running = pool.submit(extract, stub, scan, "slow.tif")
            time.sleep(1.0)
            waiting = pool.submit(extract, stub, scan, "slow2.tif")
            time.sleep(0.5)
            with pytest.raises(grpc.RpcError) as caught:
                extract(stub, SEED.read_bytes(), "third.txt")
            # Refused, not queued behind the scans: the one it would have waited for is still
            # being read (a state, not a duration, so a busy machine cannot make it flake).
            assert not waiting.done()
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert reason_of(caught.value) == "OVERLOADED"
            delay = retry_delay(caught.value)
            assert delay is not None and delay >= 1.0
            trailers = dict(caught.value.trailing_metadata() or ())
            assert int(trailers["grpc-retry-pushback-ms"]) == round(delay * 1000)
            assert trailers["x-request-id"]  # an error's request id is a trailer
            # Trailers-Only: no headers went out before the error, or no client would retry.
            assert caught.value.initial_metadata() == ()
            assert running.result().extraction.document.page_count == 3
            assert waiting.result().extraction.document.page_count == 3
        # The backlog is gone: the next document is served.
        assert extract(stub, SEED.read_bytes(), "after.txt").extraction.report.metadata.agency


def test_killed_worker_fails_its_request_retryably_and_is_replaced(
    one_worker: ServerProcess, scan: bytes
) -> None:
    failures = "govreport_worker_failures_total"
    before = one_worker.metric(failures)  # the module's server: other tests kill workers too
    with grpc.insecure_channel(one_worker.address) as channel:
        stub = stub_of(channel)
        with ThreadPoolExecutor(1) as pool:
            doomed = pool.submit(extract, stub, _repeated_pages(scan, 4), "doomed.tif")
            time.sleep(1.5)  # the worker (maybe a fresh one: they are recycled) is reading it
            [worker] = wait_for_workers(one_worker, 1)
            os.kill(worker, signal.SIGKILL)
            with pytest.raises(grpc.RpcError) as caught:
                doomed.result()
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE  # retryable
        assert reason_of(caught.value) == "WORKER_FAILED"
        # Replaced at once, before any document asks for it.
        [replacement] = wait_for_workers(one_worker, 1, gone=frozenset({worker}))
        assert extract(stub, SEED.read_bytes(), "next.txt").extraction.report.metadata.agency
    assert one_worker.children() == [replacement]
    assert serving(one_worker.address)
    assert one_worker.metric_reaches(failures, before + 1) == before + 1


def test_the_client_retries_a_call_whose_worker_died(
    one_worker: ServerProcess, scan: bytes
) -> None:
    """govreport.Client's service config retries WORKER_FAILED: the caller sees the report."""
    failures = "govreport_worker_failures_total"
    before = one_worker.metric(failures)
    pages = _repeated_pages(scan, 5)  # not the other tests' twelve pages: a document's own deaths
    with Client(one_worker.address) as client, ThreadPoolExecutor(1) as pool:
        client.extract(SEED.read_bytes(), "warm.txt")  # a worker is up, not due for recycling
        [worker] = wait_for_workers(one_worker, 1)
        idle = _cpu_ticks(worker)
        survivor = pool.submit(client.extract, pages, "survivor.tif")
        while _cpu_ticks(worker) < idle + 20:  # killed while it reads the scan, not before
            assert not survivor.done()
            time.sleep(0.05)
        os.kill(worker, signal.SIGKILL)
        extraction = survivor.result()
    assert extraction.document.page_count == 15
    assert extraction.document.filename == "survivor.tif"
    assert one_worker.metric_reaches(failures, before + 1) == before + 1


def test_a_document_that_kills_two_workers_is_not_read_again(
    one_worker: ServerProcess, scan: bytes
) -> None:
    """With every client retrying WORKER_FAILED, a document that kills its reader each time
    would cost a worker an attempt: its second death ends it with INTERNAL (never retried), and
    it is refused at once after that."""
    failures = "govreport_worker_failures_total"
    poison = _repeated_pages(scan, 2)
    with grpc.insecure_channel(one_worker.address) as channel, ThreadPoolExecutor(1) as pool:
        stub = stub_of(channel)
        reasons = []
        for attempt in range(2):
            extract(stub, SEED.read_bytes(), f"warm{attempt}.txt")
            [worker] = wait_for_workers(one_worker, 1)
            idle = _cpu_ticks(worker)
            doomed = pool.submit(extract, stub, poison, "poison.tif")
            while _cpu_ticks(worker) < idle + 20:
                assert not doomed.done()
                time.sleep(0.05)
            os.kill(worker, signal.SIGKILL)
            with pytest.raises(grpc.RpcError) as caught:
                doomed.result()
            reasons.append((caught.value.code(), reason_of(caught.value)))
        assert reasons == [
            (grpc.StatusCode.UNAVAILABLE, "WORKER_FAILED"),
            (grpc.StatusCode.INTERNAL, "INTERNAL"),
        ]
        dead = one_worker.metric(failures)
        with pytest.raises(grpc.RpcError) as refused:
            extract(stub, poison, "poison-again.tif")
        assert refused.value.code() == grpc.StatusCode.INTERNAL
        assert "not read again" in (refused.value.details() or "")
        assert one_worker.metric(failures) == dead  # no worker spent on it
        assert extract(stub, SEED.read_bytes(), "next.txt").extraction.report.metadata.agency


def test_the_client_waits_out_overloaded_and_is_served(
    one_worker: ServerProcess, scan: bytes
) -> None:
    """A full queue refuses the call UNAVAILABLE / OVERLOADED with a pushback; govreport.Client
    sends it again after that delay, and the caller sees only the report."""
    refused = 'govreport_requests_total{code="UNAVAILABLE",method="Extract"}'
    before = one_worker.metric(refused)
    with grpc.insecure_channel(one_worker.address) as channel, ThreadPoolExecutor(2) as pool:
        stub = stub_of(channel)
        running = pool.submit(extract, stub, scan, "running.tif")
        # Taken up by the worker: the call is in, and no longer queued.
        deadline = time.monotonic() + 30
        while not (
            one_worker.metric("govreport_in_flight") >= 1
            and one_worker.metric("govreport_queue_depth") == 0
        ):
            assert time.monotonic() < deadline and not running.done()
            time.sleep(0.05)
        waiting = pool.submit(extract, stub, scan, "waiting.tif")
        assert one_worker.metric_reaches("govreport_queue_depth", 1) == 1  # the queue is full
        with Client(one_worker.address) as client:
            extraction = client.extract(SEED.read_bytes(), "patient.txt")
        assert extraction.report.metadata.agency
        assert one_worker.metric(refused) >= before + 1  # refused at least once, then served
        assert running.result().extraction.document.page_count == 3
        assert waiting.result().extraction.document.page_count == 3


def _cpu_ticks(pid: int) -> int:
    """CPU time a process (all its threads) has used, in clock ticks."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def test_worker_folders_are_emptied_after_each_document_and_removed(
    scan: bytes, tmp_path: Path
) -> None:
    """Nothing a document leaves in a worker's folder outlives its request, a killed worker's
    folder goes with it, the pool's with the server, and a dead server's at the next start."""
    stale = tmp_path / "govreport-pool-999999999-x1" / "worker-y2"
    stale.mkdir(parents=True)
    (stale / "tess_1.tsv").write_text("OCR text of somebody's report")
    env = {"TMPDIR": str(tmp_path), "GOVREPORT_WORKERS": "1", "GOVREPORT_LOG_FORMAT": "text"}
    with running_server(env) as server, grpc.insecure_channel(server.address) as channel:
        assert not stale.parent.exists()  # swept at start: pid 999999999 is no process
        [worker] = wait_for_workers(server, 1)
        home = Path(os.readlink(f"/proc/{worker}/cwd"))
        pool = home.parent
        assert pool.parent == tmp_path and pool.name.startswith("govreport-pool-")
        (home / "tess_2.tsv").write_text("left by a document")
        stub = stub_of(channel)
        assert extract(stub, SEED.read_bytes(), "one.txt").extraction.report.metadata.agency
        assert list(home.iterdir()) == []
        with ThreadPoolExecutor(1) as pool_of_one:
            doomed = pool_of_one.submit(extract, stub, _repeated_pages(scan, 4), "doomed.tif")
            time.sleep(1.5)
            os.kill(worker, signal.SIGKILL)
            with pytest.raises(grpc.RpcError):
                doomed.result()
        [replacement] = wait_for_workers(server, 1, gone=frozenset({worker}))
        assert not home.exists()
        deadline = time.monotonic() + 30  # a spawned worker moves into its folder when it starts
        while Path(os.readlink(f"/proc/{replacement}/cwd")).parent != pool:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert list(pool.iterdir()) == [Path(os.readlink(f"/proc/{replacement}/cwd"))]
    assert not pool.exists()


def test_deadline_drops_the_work(one_worker: ServerProcess, scan: bytes) -> None:
    """The client gives up: its document's worker is stopped, not left reading for nobody."""
    with grpc.insecure_channel(one_worker.address) as channel:
        stub = stub_of(channel)
        extract(stub, SEED.read_bytes(), "warm.txt")  # a worker is up and not due for recycling
        [worker] = wait_for_workers(one_worker, 1)
        with pytest.raises(grpc.RpcError) as caught:
            extract(stub, scan, "impatient.tif", timeout=1.0)
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        deadline = time.monotonic() + 10
        while worker in one_worker.children() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker not in one_worker.children()
        assert extract(stub, SEED.read_bytes(), "next.txt").extraction.report.metadata.agency


def test_workers_are_recycled_after_their_task_count(one_worker: ServerProcess) -> None:
    with grpc.insecure_channel(one_worker.address) as channel:
        stub = stub_of(channel)
        extract(stub, SEED.read_bytes(), "warm.txt")
        [first] = wait_for_workers(one_worker, 1)
        for i in range(3):  # GOVREPORT_WORKER_MAX_TASKS=3
            extract(stub, SEED.read_bytes(), f"n{i}.txt")
        [later] = wait_for_workers(one_worker, 1)
    assert later != first


def test_time_limit_stops_a_slow_document(scan: bytes) -> None:
    env = {"GOVREPORT_WORKERS": "1", "GOVREPORT_MAX_SECONDS_PER_DOCUMENT": "1"}
    with running_server(env) as server, grpc.insecure_channel(server.address) as channel:
        stub = stub_of(channel)
        with pytest.raises(grpc.RpcError) as caught:
            extract(stub, scan, "slow.tif")
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert reason_of(caught.value) == "TIME_LIMIT"
        assert "GOVREPORT_MAX_SECONDS_PER_DOCUMENT" in (caught.value.details() or "")
        assert extract(stub, SEED.read_bytes(), "fast.txt").extraction.report.metadata.agency
        assert len(wait_for_workers(server, 1)) == 1


def test_sigterm_drains_in_flight_work_then_exits(scan: bytes) -> None:
    env = {
        "GOVREPORT_WORKERS": "1",
        "GOVREPORT_GRACE_SECONDS": "60",
        "GOVREPORT_DRAIN_SECONDS": "3",
    }
    server = start_server(env)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = stub_of(channel)
            health = health_pb2_grpc.HealthStub(channel)
            workers = wait_for_workers(server, 1)
            with ThreadPoolExecutor(1) as pool:
                in_flight = pool.submit(extract, stub, scan, "in-flight.tif")
                time.sleep(1.0)
                server.proc.send_signal(signal.SIGTERM)
                time.sleep(0.5)
                status = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
                assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
                assert in_flight.result().extraction.document.page_count == 3
        assert server.proc.wait(30) == 0
        for pid in workers:  # no worker outlives the server
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        server.stop()
        os.unlink(server.log_path)


def _repeated_pages(tiff: bytes, times: int) -> bytes:
    """The pages of a multi-page TIFF, ``times`` over."""
    from PIL import Image, ImageSequence

    with Image.open(io.BytesIO(tiff)) as image:
        pages = [page.copy() for page in ImageSequence.Iterator(image)] * times
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], dpi=(200, 200))
    return out.getvalue()


def test_sigterm_past_the_grace_answers_every_call_unavailable_with_a_reason(scan: bytes) -> None:
    """A scan running, one queued behind it, an upload that stalls: when the grace runs out,
    each gets UNAVAILABLE with ErrorInfo SHUTTING_DOWN, not gRPC's bare 'Cancelling all
    calls'."""
    env = {
        "GOVREPORT_WORKERS": "1",
        "GOVREPORT_GRACE_SECONDS": "3",
        "GOVREPORT_DRAIN_SECONDS": "0",
    }
    server = start_server(env)
    # Twelve pages of OCR: still being read when the grace runs out, on any machine.
    long_scan = _repeated_pages(scan, 4)

    def stalled_upload() -> Iterator[service_pb2.ExtractUploadRequest]:
        header = service_pb2.UploadHeader(filename="stalled.pdf", size_bytes=2048)
        yield service_pb2.ExtractUploadRequest(header=header)
        yield service_pb2.ExtractUploadRequest(chunk=b"%" * 1024)
        time.sleep(20)

    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = stub_of(channel)
            wait_for_workers(server, 1)
            with ThreadPoolExecutor(3) as pool:
                calls = [
                    pool.submit(extract, stub, long_scan, "running.tif"),
                    pool.submit(extract, stub, long_scan, "queued.tif"),
                    pool.submit(stub.ExtractUpload, stalled_upload(), timeout=60),
                ]
                time.sleep(1.0)
                server.proc.send_signal(signal.SIGTERM)
                for call in calls:
                    with pytest.raises(grpc.RpcError) as caught:
                        call.result()
                    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
                    assert reason_of(caught.value) == "SHUTTING_DOWN"
        assert server.proc.wait(30) == 0
    finally:
        server.stop()
        os.unlink(server.log_path)


def test_uploads_are_bounded_in_bytes_held_and_in_idle_seconds() -> None:
    """Stalled uploads hold memory: past the budget a new one is OVERLOADED (with RetryInfo),
    and one that sends nothing for the idle seconds is ended, its bytes given back."""
    env = {
        "GOVREPORT_WORKERS": "1",
        "GOVREPORT_MAX_UPLOAD_BYTES": str(2 * MiB),
        "GOVREPORT_UPLOAD_BUFFER_BYTES": str(3 * MiB),
        "GOVREPORT_UPLOAD_IDLE_SECONDS": "2",
        "GOVREPORT_METRICS_PORT": "0",
    }
    release = threading.Event()

    def stalling(size: int) -> Iterator[service_pb2.ExtractUploadRequest]:
        header = service_pb2.UploadHeader(filename="stalling.pdf", size_bytes=2 * MiB)
        yield service_pb2.ExtractUploadRequest(header=header)
        yield service_pb2.ExtractUploadRequest(chunk=b"%" * size)
        release.wait(30)

    with running_server(env) as server, grpc.insecure_channel(server.address) as channel:
        stub = stub_of(channel)
        stalled_before = server.metric("govreport_uploads_stalled_total")
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(stub.ExtractUpload, stalling(MiB + 3 * MiB // 4), timeout=60)
            assert server.metric_reaches("govreport_upload_buffered_bytes", MiB) >= MiB
            with pytest.raises(grpc.RpcError) as refused:
                stub.ExtractUpload(stalling(MiB + 3 * MiB // 4), timeout=60)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert reason_of(refused.value) == "OVERLOADED"
            assert retry_delay(refused.value) is not None
            with pytest.raises(grpc.RpcError) as stalled:
                first.result()
            release.set()
        assert stalled.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert reason_of(stalled.value) == "UPLOAD_STALLED"
        assert "GOVREPORT_UPLOAD_IDLE_SECONDS" in (stalled.value.details() or "")
        assert server.metric_reaches("govreport_uploads_stalled_total", stalled_before + 1) == (
            stalled_before + 1
        )
        assert server.metric("govreport_upload_buffered_bytes") == 0
        # The budget is whole again: an upload that keeps sending goes through.
        whole = [
            service_pb2.ExtractUploadRequest(header=service_pb2.UploadHeader(filename="seed.txt")),
            service_pb2.ExtractUploadRequest(chunk=SEED.read_bytes()),
        ]
        assert stub.ExtractUpload(iter(whole), timeout=60).extraction.report.metadata.agency


def test_a_result_over_the_message_limit_is_too_large_with_error_info() -> None:
    """gRPC dropped such an answer with a bare RESOURCE_EXHAUSTED and the server counted it OK."""
    env = {
        "GOVREPORT_WORKERS": "1",
        "GOVREPORT_MAX_MESSAGE_BYTES": str(256 * 1024),
        "GOVREPORT_METRICS_PORT": "0",
    }
    padded = SEED.read_bytes() + hostile_inputs.long_text(200_000)  # a 211 kB extraction
    with running_server(env) as server, grpc.insecure_channel(server.address) as channel:
        with pytest.raises(grpc.RpcError) as caught:
            extract(stub_of(channel), padded, "padded.txt")
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert reason_of(caught.value) == "TOO_LARGE"
        assert "GOVREPORT_MAX_MESSAGE_BYTES" in (caught.value.details() or "")
        exhausted = 'govreport_requests_total{code="RESOURCE_EXHAUSTED",method="Extract"}'
        assert server.metric_reaches(exhausted, 1) == 1
        assert server.metric('govreport_requests_total{code="OK",method="Extract"}') == 0


# ---------------------------------------------------------------- security


def test_bearer_tokens(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token\n", encoding="utf-8")
    env = {
        "GOVREPORT_AUTH_TOKENS_FILE": str(tokens),
        "GOVREPORT_WORKERS": "1",
        "GOVREPORT_METRICS_PORT": "0",
    }
    refused = 'govreport_requests_total{code="UNAUTHENTICATED",method="Extract"}'
    good = (("authorization", "Bearer s3cret-token"),)
    with running_server(env) as server, grpc.insecure_channel(server.address) as channel:
        stub = stub_of(channel)
        before = server.metric(refused)
        wrong = (("authorization", "Bearer wrong"),)
        # Two headers, the good one last: refused, not 'the last one wins'.
        twice = (("authorization", "Bearer wrong"), *good)
        for metadata in ((), wrong, twice):
            with pytest.raises(grpc.RpcError) as caught:
                extract(stub, SEED.read_bytes(), "x.txt", metadata=metadata)
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert reason_of(caught.value) == "UNAUTHENTICATED"
        assert "2 authorization headers" in (caught.value.details() or "")
        assert server.metric_reaches(refused, before + 3) == before + 3
        assert extract(stub, SEED.read_bytes(), "x.txt", metadata=good).extraction.report
        with pytest.raises(grpc.RpcError) as caught:
            list(stub.ExtractBatch(iter([]), timeout=10))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert serving(server.address)  # health stays open for probes


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for localhost/127.0.0.1, and a client certificate."""
    d = tmp_path_factory.mktemp("pki")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
        "-keyout", "ca.key", "-out", "ca.pem", cwd=d,
    )  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name in ("server", "client"):
        _openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", f"{name}.pem", cwd=d,
        )  # fmt: skip
    return d


def _wait_tls(address: str, credentials: grpc.ChannelCredentials) -> None:
    with grpc.secure_channel(address, credentials) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)


def test_tls_and_mutual_tls(certificates: Path) -> None:
    d = certificates
    ca = (d / "ca.pem").read_bytes()
    env = {
        "GOVREPORT_WORKERS": "1",
        "GOVREPORT_TLS_CERT_FILE": str(d / "server.pem"),
        "GOVREPORT_TLS_KEY_FILE": str(d / "server.key"),
    }
    server = start_server(env, wait=False)
    try:
        creds = grpc.ssl_channel_credentials(root_certificates=ca)
        _wait_tls(server.address, creds)
        with grpc.secure_channel(server.address, creds) as channel:
            assert extract(stub_of(channel), SEED.read_bytes(), "tls.txt").extraction.report
        with grpc.insecure_channel(server.address) as plain, pytest.raises(grpc.RpcError):
            extract(stub_of(plain), SEED.read_bytes(), "plain.txt", timeout=5)
    finally:
        server.stop()
        os.unlink(server.log_path)

    server = start_server({**env, "GOVREPORT_TLS_CLIENT_CA_FILE": str(d / "ca.pem")}, wait=False)
    try:
        mutual = grpc.ssl_channel_credentials(
            root_certificates=ca,
            private_key=(d / "client.key").read_bytes(),
            certificate_chain=(d / "client.pem").read_bytes(),
        )
        _wait_tls(server.address, mutual)
        with grpc.secure_channel(server.address, mutual) as channel:
            assert extract(stub_of(channel), SEED.read_bytes(), "mtls.txt").extraction.report
        anonymous = grpc.ssl_channel_credentials(root_certificates=ca)
        with (
            grpc.secure_channel(server.address, anonymous) as channel,
            pytest.raises(grpc.RpcError) as caught,
        ):
            extract(stub_of(channel), SEED.read_bytes(), "anon.txt", timeout=5)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE  # the handshake is refused
    finally:
        server.stop()
        os.unlink(server.log_path)


def test_tls_key_of_another_certificate_is_named_at_start(certificates: Path) -> None:
    """gRPC said only 'Failed to bind'; the server says which file is wrong, and exits 2."""
    d = certificates
    env = {
        **os.environ,
        "GOVREPORT_TLS_CERT_FILE": str(d / "server.pem"),
        "GOVREPORT_TLS_KEY_FILE": str(d / "client.key"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "govreport.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "INVALID_SETTINGS" in done.stderr
    assert f"the TLS key {d / 'client.key'} (tls_key_file) is not the private key" in done.stderr
    assert str(d / "server.pem") in done.stderr


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govreport.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_reaches_a_server_with_tls_and_tokens(certificates: Path, tmp_path: Path) -> None:
    """Every subcommand that talks to a server takes --token/--token-file and --tls-*, or
    GOVREPORT_SERVER, GOVREPORT_TOKEN and GOVREPORT_TLS_CA; without the token it is refused
    with the server's reason."""
    d = certificates
    tokens = tmp_path / "tokens"
    tokens.write_text("cli-s3cret\n", encoding="utf-8")
    env = {
        "GOVREPORT_WORKERS": "1",
        "GOVREPORT_TLS_CERT_FILE": str(d / "server.pem"),
        "GOVREPORT_TLS_KEY_FILE": str(d / "server.key"),
        "GOVREPORT_AUTH_TOKENS_FILE": str(tokens),
    }
    server = start_server(env, wait=False)
    try:
        target = server.address.replace("127.0.0.1", "localhost")
        tls = ["--server", target, "--tls-ca", str(d / "ca.pem")]
        health = _cli("health", *tls, "--wait", "30")
        assert (health.returncode, health.stdout.strip()) == (0, "SERVING"), health.stderr
        # The certificate names localhost: a probe of another name is refused by TLS itself.
        wrong = _cli("health", *tls, "--tls-server-name", "wrong.example")
        assert wrong.returncode == 2 and "UNAVAILABLE" in wrong.stderr
        named = _cli("health", *tls, "--tls-server-name", "localhost")
        assert named.returncode == 0, named.stderr
        nope = _cli("health", *tls, "--service", "nope")
        assert nope.returncode == 2
        assert "NOT_FOUND: the server has no service named 'nope'" in nope.stderr
        assert "_InactiveRpcError" not in nope.stderr
        done = _cli("extract", *tls, "--token-file", str(tokens), "--format", "json", str(SEED))
        assert done.returncode in (0, 1), done.stderr
        assert json.loads(done.stdout)["report"]["metadata"]["agency"] == "绥芬河市卫生健康局"
        refused = _cli("extract", *tls, str(SEED))
        assert refused.returncode == 2
        assert "UNAUTHENTICATED: no bearer token" in refused.stderr
        by_env = _cli(
            "template",
            "--version",
            "2021",
            env={
                "GOVREPORT_SERVER": target,
                "GOVREPORT_TOKEN": "cli-s3cret",
                "GOVREPORT_TLS_CA": str(d / "ca.pem"),
            },
        )
        assert by_env.returncode == 0, by_env.stderr
        assert json.loads(by_env.stdout)["template"]["version"] == "TEMPLATE_VERSION_2021"
    finally:
        server.stop()
        os.unlink(server.log_path)


def test_cli_version() -> None:
    from importlib.metadata import version

    done = _cli("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"govreport {version('govreport')}")


# ---------------------------------------------------------------- observability


def test_metrics_request_ids_and_logs_without_content() -> None:
    marker = "独一无二的标记文字XYZZY"
    content = SEED.read_bytes().replace(
        "一、总体情况".encode(), f"一、总体情况\n{marker}".encode(), 1
    )
    env = {"GOVREPORT_WORKERS": "1", "GOVREPORT_METRICS_PORT": "0"}
    with running_server(env) as server, grpc.insecure_channel(server.address) as channel:
        stub = stub_of(channel)
        call = stub.Extract.with_call(
            service_pb2.ExtractRequest(content=content, filename="marked.txt"),
            timeout=60,
            metadata=(("x-request-id", "abc-123"),),
        )
        response, rpc = call
        assert dict(rpc.initial_metadata())["x-request-id"] == "abc-123"
        assert response.extraction.document.request_id == "abc-123"
        with pytest.raises(grpc.RpcError):
            extract(stub, b"\x00\x01garbage", "bad.bin")
        # The server counts a call after its status has gone out: wait for the count, briefly.
        refused = 'govreport_requests_total{code="INVALID_ARGUMENT",method="Extract"} 1.0'
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(
                f"http://{server.metrics_address}/metrics", timeout=10
            ) as r:
                text = r.read().decode()
            if refused in text or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert 'govreport_requests_total{code="OK",method="Extract"} 1.0' in text
        assert 'govreport_requests_total{code="INVALID_ARGUMENT",method="Extract"} 1.0' in text
        assert 'govreport_request_seconds_count{format="text",method="Extract"} 1.0' in text
        assert "govreport_queue_depth 0.0" in text
        assert 'govreport_findings_total{rule="C3"} 1.0' in text
        assert "govreport_worker_failures_total 0.0" in text
        log = server.log()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(r.get("request_id") == "abc-123" and "marked.txt" in r["message"] for r in records)
    assert marker not in log  # a document's content is never logged


def _no_leaks(server: ServerProcess, workers: int) -> None:
    assert serving(server.address)
    assert len(server.children()) == workers


def test_many_clients_get_their_own_results(scan: bytes) -> None:
    """Concurrent calls through worker processes never mix results up."""
    samples = sorted(SEED.parent.glob("*.txt"))
    with running_server({"GOVREPORT_WORKERS": "2"}) as server:
        with grpc.insecure_channel(server.address) as channel:
            stub = stub_of(channel)

            def one(i: int) -> tuple[str, str]:
                path = samples[i % len(samples)]
                response = extract(stub, path.read_bytes(), path.name)
                return path.name, response.extraction.document.sha256

            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(one, range(24)))
        for name, digest in results:
            assert digest == hashlib.sha256((SEED.parent / name).read_bytes()).hexdigest()
        _no_leaks(server, 2)
