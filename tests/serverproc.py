"""Starts ``govreport serve`` in a subprocess on a free localhost port (tests and bench/run.py).

The server prints ``govreport listening on HOST:PORT`` as its first line of
stdout; this reads it, waits for health SERVING, and stops the server with
SIGTERM on exit.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

LISTENING_PREFIX = "govreport listening on "
METRICS_PREFIX = "govreport metrics on "


class ServerProcess:
    def __init__(self, proc: subprocess.Popen[str], address: str, log_path: str) -> None:
        self.proc = proc
        self.address = address
        self.log_path = log_path
        self.stdout: list[str] = []  # every line the server printed (the addresses)

    @property
    def metrics_address(self) -> str:
        for line in self.stdout:
            if line.startswith(METRICS_PREFIX):
                return line[len(METRICS_PREFIX) :].strip()
        return ""

    def children(self) -> list[int]:
        """Pids of the server's worker processes (multiprocessing's resource tracker left out)."""
        out: list[int] = []
        try:
            tasks = os.listdir(f"/proc/{self.proc.pid}/task")
        except OSError:
            return []
        for task in tasks:
            try:
                with open(f"/proc/{self.proc.pid}/task/{task}/children") as handle:
                    pids = [int(pid) for pid in handle.read().split()]
            except OSError:
                continue
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        if b"spawn_main" in handle.read():
                            out.append(pid)
                except OSError:
                    continue
        return sorted(set(out))

    def metric(self, sample: str) -> float:
        """A sample's value from /metrics, e.g. ``govreport_worker_failures_total`` or
        ``govreport_requests_total{code="OK",method="Extract"}``; 0 when it is not there yet."""
        import urllib.request

        with urllib.request.urlopen(f"http://{self.metrics_address}/metrics", timeout=10) as r:
            for line in r.read().decode().splitlines():
                name, _, value = line.rpartition(" ")
                if name == sample:
                    return float(value)
        return 0.0

    def metric_reaches(self, sample: str, value: float, timeout: float = 15.0) -> float:
        """Waits until ``sample`` is at least ``value`` (the server counts a call after its
        status has gone out); returns what it found last."""
        deadline = time.monotonic() + timeout
        while (found := self.metric(sample)) < value and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then SIGKILL if it has not stopped after ``timeout`` seconds."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def wait_serving(address: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{address} not SERVING after {timeout} s")
            time.sleep(0.05)


def start_server(
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    args: Sequence[str] = (),
    wait: bool = True,
) -> ServerProcess:
    """A started server (SERVING); the caller must ``stop()`` it. ``args``: more serve flags."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the server's lifetime
        prefix="govreport-server-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "govreport.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
        env=full_env,
    )
    log.close()
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    server = ServerProcess(proc, "", log.name)

    def read_lines() -> None:
        for line in stdout:
            server.stdout.append(line)
            lines.put(line)

    threading.Thread(target=read_lines, daemon=True).start()
    try:
        first = lines.get(timeout=timeout)
    except queue.Empty:
        first = ""
    if not first.startswith(LISTENING_PREFIX):
        server.stop()
        raise RuntimeError(f"govreport serve did not start: {first!r}\n{server.log()}")
    server.address = first[len(LISTENING_PREFIX) :].strip()
    if not wait:  # e.g. a TLS server, which a plaintext health check cannot reach
        return server
    try:
        wait_serving(server.address, timeout)
    except TimeoutError:
        server.stop()
        raise
    return server


@contextmanager
def running_server(
    env: Mapping[str, str] | None = None, timeout: float = 30.0, args: Sequence[str] = ()
) -> Iterator[ServerProcess]:
    server = start_server(env, timeout, args)
    try:
        yield server
    finally:
        server.stop()
        os.unlink(server.log_path)
