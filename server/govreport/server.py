"""The gRPC server: ReportExtractor, grpc.health.v1 and server reflection on one port.

``govreport serve`` (see cli.py) calls ``serve``; tests and benchmarks start
that command in a subprocess and read the bound address from the first line
it prints (``govreport listening on HOST:PORT``).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from govreport.service import SERVICE_NAME, ReportExtractorServicer
from govreport.settings import Settings, join_host_port
from govreport.v1 import service_pb2_grpc

log = logging.getLogger(__name__)

LISTENING_PREFIX = "govreport listening on "
SERVICE_NAMES: tuple[str, ...] = (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME)


def build_server(
    settings: Settings,
    health_servicer: health.HealthServicer | None = None,
    servicer: ReportExtractorServicer | None = None,
) -> tuple[grpc.Server, int]:
    """A server with every service registered and its port bound, not yet started.

    Health reports SERVING for "" and for the ReportExtractor service.
    Returns the server and the bound port (a free one when settings.port is 0).
    Raises OSError when the address cannot be bound.
    """
    server = grpc.server(
        ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="govreport-rpc"),
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            # Never share a port with another process: a bind either is ours or fails.
            ("grpc.so_reuseport", 0),
        ],
    )
    service_pb2_grpc.add_ReportExtractorServicer_to_server(
        servicer or ReportExtractorServicer(settings), server
    )
    health_servicer = health_servicer or health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(SERVICE_NAMES, server)

    address = settings.address
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as exc:  # grpcio >= 1.51 raises; older ones return 0
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return server, port


def serve(settings: Settings | None = None, *, stop: threading.Event | None = None) -> int:
    """Runs the server until SIGTERM or SIGINT, then stops gracefully. Returns an exit code.

    On a signal, health turns NOT_SERVING first (so load balancers drain the
    server), then calls in flight get ``settings.grace_seconds`` to finish.
    Setting ``stop`` does the same (for callers off the main thread, where
    signal handlers cannot be installed).
    """
    settings = settings or Settings.from_env()
    _configure_logging(settings.log_level)
    health_servicer = health.HealthServicer()
    server, port = build_server(settings, health_servicer)
    stopping = stop or threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stopping.set()

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    server.start()
    address = join_host_port(settings.host, port)
    print(f"{LISTENING_PREFIX}{address}", flush=True)
    log.info(
        "serving %s on %s (max message %d B, max document %d B, %d workers)",
        SERVICE_NAME,
        address,
        settings.max_message_bytes,
        settings.max_upload_bytes,
        settings.workers,
    )
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        health_servicer.enter_graceful_shutdown()
        server.stop(settings.grace_seconds).wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("stopped")
    return 0


def _configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level.upper())
