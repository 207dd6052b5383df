"""The gRPC server (grpc.aio): ReportExtractor, grpc.health.v1 and reflection on one port,
with TLS or mutual TLS, bearer tokens, Prometheus metrics and a graceful stop.

``govreport serve`` (cli.py) calls ``serve``; tests and benchmarks start
that command in a subprocess and read the bound address from the first line
it prints (``govreport listening on HOST:PORT``), and the metrics address
from the second when metrics are on (``govreport metrics on HOST:PORT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import signal
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

from govreport import logs, metrics
from govreport.errors import GovreportError, Reason
from govreport.service import SERVICE_NAME, ReportExtractorServicer, error_status
from govreport.settings import Settings, join_host_port
from govreport.v1 import service_pb2_grpc
from govreport.workers import ThreadRunner, WorkerPool

log = logging.getLogger(__name__)

LISTENING_PREFIX = "govreport listening on "
METRICS_PREFIX = "govreport metrics on "
# grpc.reflection.v1 is v1alpha under a stable name, message for message (grpcurl and Postman
# ask for v1 first); grpcio-reflection serves only v1alpha, so its servicer answers both.
REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"
SERVICE_NAMES: tuple[str, ...] = (
    SERVICE_NAME,
    health.SERVICE_NAME,
    REFLECTION_V1,
    reflection.SERVICE_NAME,
)
# Open without a token: load balancers and kubelets probe health; reflection lists names only.
_OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
# Before the grace period ends, the calls still running are answered SHUTTING_DOWN: the time
# their statuses get to go out.
_ANSWER_SECONDS = 1.0
_M_ARENA_MAX, _M_MMAP_THRESHOLD = -8, -3  # mallopt's parameters, from glibc's malloc.h


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Calls must carry ``authorization: Bearer TOKEN`` with a known token (health excepted)."""

    def __init__(self, tokens: frozenset[str]) -> None:
        self._tokens = tokens

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(details)
        method: str = details.method  # type: ignore[attr-defined]
        if handler is None or method.startswith(_OPEN_PREFIXES):
            return handler
        given = [
            str(value)
            for key, value in details.invocation_metadata or ()  # type: ignore[attr-defined]
            if key == "authorization"
        ]
        if len(given) > 1:
            # Which one would count depends on the proxy in between: neither does.
            problem = f"{len(given)} authorization headers were sent; send one"
        elif not given:
            problem = "no bearer token"
        else:
            scheme, _, token = given[0].partition(" ")
            if scheme.lower() == "bearer" and token.strip() in self._tokens:
                return handler
            problem = "the bearer token is not valid"
        return _refusing(handler, problem, method.rpartition("/")[2])


def _refusing(
    handler: grpc.RpcMethodHandler[Any, Any], problem: str, method: str
) -> grpc.RpcMethodHandler[Any, Any]:
    """A handler of the same shape as ``handler`` that fails with UNAUTHENTICATED, counted in
    govreport_requests_total like every other answer."""
    status = error_status(
        GovreportError(
            Reason.UNAUTHENTICATED,
            f"{problem}: send `authorization: Bearer TOKEN` with a token this server knows",
        )
    )

    async def refuse(_request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        metrics.REQUESTS.labels(method, grpc.StatusCode.UNAUTHENTICATED.name).inc()
        await context.abort(status.code, status.details, status.trailing_metadata)

    kind = (handler.request_streaming, handler.response_streaming)
    make = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }[kind]
    refused: grpc.RpcMethodHandler[Any, Any] = make(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
    return refused


def check_tls_files(settings: Settings) -> None:
    """Raises ValueError naming the file at fault when the TLS files cannot serve: gRPC says
    only "Failed to bind" for a key that does not match its certificate."""
    if not settings.tls_cert_file:
        return
    cert, key = settings.tls_cert_file, settings.tls_key_file
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc) or exc.reason == "KEY_VALUES_MISMATCH":
            raise ValueError(
                f"the TLS key {key} (tls_key_file) is not the private key of the certificate "
                f"{cert} (tls_cert_file): give the key the certificate was issued for"
            ) from exc
        raise ValueError(
            f"the TLS certificate {cert} and key {key} cannot be loaded ({exc.reason or exc}): "
            "tls_cert_file must be a PEM certificate chain and tls_key_file its PEM private "
            "key, without a passphrase"
        ) from exc
    if settings.tls_client_ca_file:
        try:
            context.load_verify_locations(settings.tls_client_ca_file)
        except ssl.SSLError as exc:
            raise ValueError(
                f"the client CA bundle {settings.tls_client_ca_file} (tls_client_ca_file) "
                f"cannot be loaded ({exc.reason or exc}): it must hold PEM certificates"
            ) from exc


def _reflection_v1() -> grpc.GenericRpcHandler:
    """grpc.reflection.v1 on grpcio-reflection's v1alpha servicer: the two protocols' messages
    are the same on the wire, so v1alpha's (de)serializers read and write v1's."""
    servicer = reflection.aio.ReflectionServicer(SERVICE_NAMES)
    method = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    return grpc.method_handlers_generic_handler(REFLECTION_V1, {"ServerReflectionInfo": method})


def _credentials(settings: Settings) -> grpc.ServerCredentials | None:
    if not settings.tls_cert_file:
        return None

    def read(path: str) -> bytes:
        with open(path, "rb") as handle:
            return handle.read()

    client_ca = read(settings.tls_client_ca_file) if settings.tls_client_ca_file else None
    return grpc.ssl_server_credentials(
        [(read(settings.tls_key_file), read(settings.tls_cert_file))],
        root_certificates=client_ca,
        require_client_auth=client_ca is not None,
    )


@dataclass
class Running:
    """A started server: its port, health, runner; ``await stop()`` drains it."""

    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    runner: WorkerPool | ThreadRunner
    servicer: ReportExtractorServicer
    grace: float
    drain: float = 0.0

    async def stop(self) -> None:
        """NOT_SERVING first, still serving for ``drain`` seconds (so balancers and clients see
        it and send elsewhere), then new calls are refused and those in flight get the grace.

        Calls still running when the grace is nearly over are ended by us, with UNAVAILABLE
        and ErrorInfo SHUTTING_DOWN, rather than by gRPC's bare "Cancelling all calls".
        """
        await self.health.enter_graceful_shutdown()
        await asyncio.sleep(self.drain)
        stopping = asyncio.ensure_future(self.server.stop(self.grace))
        await asyncio.wait({stopping}, timeout=max(0.0, self.grace - _ANSWER_SECONDS))
        if not stopping.done():
            self.servicer.shut_down()
            await self.runner.close()
        await stopping
        await self.runner.close()


def _return_freed_buffers_to_the_system() -> None:
    """Documents and upload chunks of megabytes pass through this process on many threads.
    glibc gives each thread's allocations their own arena and, once a large block has been
    freed, serves large blocks from those arenas instead of mmap; the freed megabytes then
    stay in the process. Two arenas and a fixed mmap threshold give them back: under
    `make load` the server ended at 189 MiB from 322, instead of growing from 382 to 569."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, 256 * 1024)


async def start(
    settings: Settings,
    *,
    runner: WorkerPool | ThreadRunner | None = None,
    validate_fn: Any = None,
) -> Running:
    """Builds, binds and starts the server. Raises OSError when the address cannot be bound."""
    settings.share_with_workers()
    _return_freed_buffers_to_the_system()
    if runner is None:
        runner = WorkerPool(
            settings.worker_count,
            queue_limit=settings.queue_limit,
            time_limit=settings.max_seconds_per_document,
            max_tasks=settings.worker_max_tasks,
            memory_bytes=settings.worker_memory_bytes,
            on_queue_change=metrics.QUEUE_DEPTH.set,
            on_worker_lost=metrics.WORKER_RESTARTS.inc,
        )
    tokens = settings.tokens()
    interceptors = [BearerTokenInterceptor(tokens)] if tokens else []
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            # Never share a port with another process: a bind either is ours or fails.
            ("grpc.so_reuseport", 0),
        ],
    )
    servicer = ReportExtractorServicer(settings, runner, validate_fn=validate_fn)
    service_pb2_grpc.add_ReportExtractorServicer_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(SERVICE_NAMES, server)
    server.add_generic_rpc_handlers((_reflection_v1(),))
    credentials = _credentials(settings)
    try:
        if credentials is None:
            port = server.add_insecure_port(settings.address)
        else:
            port = server.add_secure_port(settings.address, credentials)
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {settings.address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {settings.address}")
    await runner.start()
    await server.start()
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return Running(
        server,
        port,
        health_servicer,
        runner,
        servicer,
        settings.grace_seconds,
        settings.drain_seconds,
    )


def serve(settings: Settings) -> int:
    """Runs the server until SIGTERM or SIGINT, then stops gracefully. Returns an exit code."""
    logs.configure(settings.log_level, settings.log_format)
    return asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    running = await start(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    address = join_host_port(settings.host, running.port)
    print(f"{LISTENING_PREFIX}{address}", flush=True)
    if settings.metrics_port >= 0:
        metrics_port = metrics.serve_metrics(settings.host, settings.metrics_port)
        print(f"{METRICS_PREFIX}{join_host_port(settings.host, metrics_port)}", flush=True)
    log.info(
        "serving %s on %s: %d worker processes, queue %d, %s, %s",
        SERVICE_NAME,
        address,
        settings.worker_count,
        settings.queue_limit,
        "TLS" if settings.tls_cert_file else "plaintext",
        "bearer tokens" if settings.tokens() else "no authentication",
    )
    await stopping.wait()
    log.info(
        "stopping: NOT_SERVING for %.0f s, then draining for up to %.0f s",
        settings.drain_seconds,
        settings.grace_seconds,
    )
    await running.stop()
    log.info("stopped")
    return 0


@contextlib.contextmanager
def in_thread(
    settings: Settings,
    *,
    runner: WorkerPool | ThreadRunner | None = None,
    validate_fn: Any = None,
) -> Iterator[Running]:
    """A server on its own event loop in a background thread (tests, embedding)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="govreport-server", daemon=True)
    thread.start()
    try:
        running = asyncio.run_coroutine_threadsafe(
            start(settings, runner=runner, validate_fn=validate_fn), loop
        ).result(60)
        try:
            yield running
        finally:
            asyncio.run_coroutine_threadsafe(running.stop(), loop).result(60)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
