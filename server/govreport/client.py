"""The Python client of a govreport server, and extraction in-process, as a library.

    import govreport
    with govreport.Client("localhost:50051") as client:
        extraction = client.extract("report.pdf")       # a path, or bytes and a filename
        extraction = client.extract(govreport.PageSet.of(["p1.jpg", "p2.jpg"]))  # one report
        for item, result in client.batch(["a.pdf", "b.docx"]):
            ...                                          # an Extraction, or a GovreportError
    extraction = govreport.extract("report.pdf")        # no server: in this process

Every failure is a ``GovreportError`` (errors.py): the ErrorInfo reason the
server sent (or the status code's name when it sent none), its message, the
ErrorInfo metadata as ``details``, and the RetryInfo delay as
``retry_after``. Tokens and TLS are the server's settings (tokens, mutual
TLS); the command line, the batch runner and the review page all use this.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from govreport.convert import ConvertOptions, convert
from govreport.errors import GovreportError, Reason
from govreport.pageset import PageSet, page_folder
from govreport.settings import MiB, Settings
from govreport.v1 import report_pb2, service_pb2, service_pb2_grpc, template_pb2, validation_pb2

# Documents above this go through ExtractUpload, in chunks, rather than one Extract message.
UPLOAD_THRESHOLD = 4 * MiB

# A path (a file, or a folder of page images numbered as pages), bytes with their file name,
# or page images as one report.
Document = str | Path | bytes | PageSet


@dataclass(frozen=True, slots=True)
class Credentials:
    """How to reach a secured server: a bearer token, TLS roots, a client certificate."""

    token: str = ""
    tls_ca: bytes | None = None  # PEM; TLS when set
    tls_cert: bytes | None = None  # PEM client certificate (mutual TLS)
    tls_key: bytes | None = None
    # The name the server's certificate must carry, when the target is an address (a probe
    # on 127.0.0.1 of a server whose certificate names govreport.example.org).
    tls_server_name: str = ""


def error_of(err: grpc.RpcError) -> GovreportError:
    """A gRPC error as a GovreportError: ErrorInfo's reason and metadata, RetryInfo's delay;
    the status code's name as the reason of a status gRPC made itself (no ErrorInfo)."""
    call = err if isinstance(err, grpc.Call) else None
    code: grpc.StatusCode | None = call.code() if call is not None else None
    message = (call.details() if call is not None else "") or str(err)
    try:
        status = rpc_status.from_call(call) if call is not None else None
    except ValueError:
        status = None
    fallback = code.name if code is not None else "RPC_ERROR"
    return _error_of_details(fallback, message, status.details if status is not None else ())


def batch_error_of(error: service_pb2.BatchError) -> GovreportError:
    """A batch document's failure, as the same GovreportError a unary call gives: from its
    full status (with RetryInfo) where the server sent one, else its reason and message."""
    if error.HasField("status"):
        return _error_of_details(error.reason, error.status.message, error.status.details)
    return GovreportError(error.reason, error.message)


def _error_of_details(
    reason: str, message: str, status_details: Iterable[any_pb2.Any]
) -> GovreportError:
    details: dict[str, str] = {}
    retry_after: float | None = None
    for detail in status_details:
        info = error_details_pb2.ErrorInfo()
        retry = error_details_pb2.RetryInfo()
        if detail.Is(info.DESCRIPTOR) and detail.Unpack(info):
            reason = info.reason
            details.update(info.metadata)
        elif detail.Is(retry.DESCRIPTOR) and detail.Unpack(retry):
            retry_after = retry.retry_delay.ToTimedelta().total_seconds()
    return GovreportError(reason, message, details=details, retry_after=retry_after)


@cache
def service_config() -> str:
    """The gRPC service config every govreport client uses (its retry policy): the
    proto/govreport/v1/service_config.json copied beside the stubs when they are generated."""
    return (resources.files("govreport.v1") / "service_config.json").read_text(encoding="utf-8")


def read_document(document: Document, filename: str = "") -> tuple[bytes, str]:
    """The bytes and the file name of a path, or of bytes given with their name; a page set
    (or a folder of page images) as the zip that carries it."""
    if isinstance(document, bytes):
        return document, filename
    if isinstance(document, PageSet):
        return document.to_zip(), filename or document.name
    path = Path(document)
    if path.is_dir():
        pages = page_folder(path)
        if pages is None:
            raise GovreportError(
                Reason.INVALID_ARGUMENT,
                "a folder is read as one report only when it holds page images numbered 1…N "
                "(第1页.jpg, p2.png, …); give its documents instead",
            )
        return pages.to_zip(), filename or pages.name
    try:
        return path.read_bytes(), filename or path.name
    except FileNotFoundError as exc:
        raise GovreportError(Reason.NOT_FOUND, "no such file") from exc
    except OSError as exc:
        raise GovreportError(Reason.UNREADABLE, exc.strerror or str(exc)) from exc


def extract(
    document: Document,
    filename: str = "",
    *,
    filed_year: int = 0,
    settings: Settings | None = None,
) -> service_pb2.Extraction:
    """Extracts and validates one document in this process, with the settings' limits."""
    content, name = read_document(document, filename)
    options = ConvertOptions.from_settings(settings or Settings.from_env(), filed_year=filed_year)
    return convert(content, name, options)


class Client:
    """A connection to one govreport server (or several replicas behind one dns:/// name)."""

    def __init__(
        self,
        target: str,
        *,
        credentials: Credentials | None = None,
        timeout: float = 300.0,
        max_message_bytes: int = 64 * MiB,
        upload_chunk_bytes: int = MiB,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.upload_chunk_bytes = upload_chunk_bytes
        self.credentials = credentials or Credentials()
        options: list[tuple[str, Any]] = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            # A dns:/// name of several replicas (a headless Service): calls go to all of them.
            ("grpc.lb_policy_name", "round_robin"),
            # Calls ending UNAVAILABLE (OVERLOADED, WORKER_FAILED, SHUTTING_DOWN, no connection)
            # are retried as the service config says; gRPC keeps what it sent to re-send it, so
            # the buffer holds a whole document (its default is 256 KiB).
            ("grpc.service_config", service_config()),
            ("grpc.enable_retries", 1),
            ("grpc.per_rpc_retry_buffer_size", max_message_bytes),
        ]
        creds = self.credentials
        if creds.tls_server_name:
            options.append(("grpc.ssl_target_name_override", creds.tls_server_name))
        if creds.tls_ca is not None or creds.tls_cert is not None:
            tls = grpc.ssl_channel_credentials(creds.tls_ca, creds.tls_key, creds.tls_cert)
            self.channel = grpc.secure_channel(target, tls, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.stub = service_pb2_grpc.ReportExtractorStub(self.channel)
        # Whether the channel ever connected, to tell "out of reach" from "slow" when a call
        # fails without a word from the server (retries turn a refused connection into a
        # deadline passing).
        self._connected = False
        self._failing = False
        self.channel.subscribe(self._watch)

    def _watch(self, state: grpc.ChannelConnectivity) -> None:
        self._connected |= state is grpc.ChannelConnectivity.READY
        self._failing = state is grpc.ChannelConnectivity.TRANSIENT_FAILURE

    def _error_of(self, err: grpc.RpcError) -> GovreportError:
        """``err`` as a GovreportError; a server never reached is UNAVAILABLE, naming it."""
        failure = error_of(err)
        unanswered = failure.reason in (Reason.UNAVAILABLE, Reason.DEADLINE_EXCEEDED)
        if unanswered and not failure.details and not self._connected and self._failing:
            return GovreportError(
                Reason.UNAVAILABLE, f"{self.target} is unreachable: {failure.message}"
            )
        return failure

    @classmethod
    def from_settings(cls, target: str, settings: Settings, **kwargs: Any) -> Client:
        return cls(
            target,
            max_message_bytes=settings.max_message_bytes,
            upload_chunk_bytes=settings.upload_chunk_bytes,
            **kwargs,
        )

    def close(self) -> None:
        self.channel.unsubscribe(self._watch)
        self.channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        token = self.credentials.token
        return (("authorization", f"Bearer {token}"),) if token else ()

    def _timeout(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def _call(self, rpc: Any, request: Any, timeout: float | None) -> Any:
        """One call with this client's deadline and token; its failure as a GovreportError."""
        try:
            return rpc(request, timeout=self._timeout(timeout), metadata=self._metadata())
        except grpc.RpcError as err:
            raise self._error_of(err) from err

    # ------------------------------------------------------------ the RPCs

    def extract(
        self,
        document: Document,
        filename: str = "",
        *,
        options: service_pb2.ExtractOptions | None = None,
        filed_year: int = 0,
        timeout: float | None = None,
    ) -> service_pb2.Extraction:
        """One document, sent whole or (over UPLOAD_THRESHOLD) in chunks."""
        content, name = read_document(document, filename)
        options = options or service_pb2.ExtractOptions(filed_year=filed_year)
        if len(content) > UPLOAD_THRESHOLD:
            return self.upload(content, name, options=options, timeout=timeout)
        request = service_pb2.ExtractRequest(content=content, filename=name, options=options)
        response: service_pb2.ExtractResponse = self._call(self.stub.Extract, request, timeout)
        return response.extraction

    def upload(
        self,
        content: bytes,
        filename: str,
        *,
        options: service_pb2.ExtractOptions | None = None,
        timeout: float | None = None,
    ) -> service_pb2.Extraction:
        """One document over ExtractUpload: the header (its size declared), then the chunks."""
        requests = upload_requests(
            content, filename, options or service_pb2.ExtractOptions(), self.upload_chunk_bytes
        )
        response: service_pb2.ExtractUploadResponse = self._call(
            self.stub.ExtractUpload, requests, timeout
        )
        return response.extraction

    def batch(
        self,
        documents: Sequence[Document],
        *,
        options: service_pb2.ExtractOptions | None = None,
        timeout: float | None = None,
    ) -> Iterator[tuple[int, service_pb2.Extraction | GovreportError]]:
        """Many documents over one ExtractBatch stream: (index, extraction or error) as each
        comes back. A document that cannot be read, or that the stream's end left unanswered,
        gets its error too; the others go on.

        ``timeout`` (default: the client's) is each document's own deadline, sent as
        ExtractOptions.time_limit: a document over it fails with DEADLINE_EXCEEDED and the
        stream goes on. The stream itself has no deadline (docs/clients.md)."""
        options = _with_time_limit(options or service_pb2.ExtractOptions(), self._timeout(timeout))
        answered: set[int] = set()
        local: list[tuple[int, GovreportError]] = []

        def requests() -> Iterator[service_pb2.ExtractBatchRequest]:
            for index, document in enumerate(documents):
                try:
                    content, name = read_document(document)
                except GovreportError as err:
                    local.append((index, err))
                    continue
                yield service_pb2.ExtractBatchRequest(
                    id=str(index), content=content, filename=name, options=options
                )

        try:
            for response in self.stub.ExtractBatch(requests(), metadata=self._metadata()):
                while local:  # unreadable files: said as soon as the stream moves on
                    index, unread = local.pop(0)
                    answered.add(index)
                    yield index, unread
                index = int(response.id)
                answered.add(index)
                if response.HasField("extraction"):
                    yield index, response.extraction
                else:
                    yield index, batch_error_of(response.error)
        except grpc.RpcError as err:
            # Sent and unanswered, or never sent because the stream broke first: this error.
            failure = self._error_of(err)
            unread_indexes = {i for i, _ in local}
            for index in range(len(documents)):
                if index not in answered and index not in unread_indexes:
                    answered.add(index)
                    yield index, failure
        for index, unread in local:
            if index not in answered:
                yield index, unread

    def validate(
        self,
        report: report_pb2.AnnualReport,
        previous: report_pb2.AnnualReport | None = None,
        *,
        filed_year: int = 0,
        timeout: float | None = None,
    ) -> validation_pb2.ValidationReport:
        request = service_pb2.ValidateRequest(report=report, filed_year=filed_year)
        if previous is not None:
            request.previous_year_report.CopyFrom(previous)
        response: service_pb2.ValidateResponse = self._call(self.stub.Validate, request, timeout)
        return response.validation

    def template(
        self, proto_version: int = 0, *, timeout: float | None = None
    ) -> template_pb2.TemplateDefinition:
        request = service_pb2.GetTemplateRequest(version=proto_version)  # type: ignore[arg-type]
        response: service_pb2.GetTemplateResponse = self._call(
            self.stub.GetTemplate, request, timeout
        )
        return response.template

    def health(self, service: str = "", *, wait: float = 0.0, timeout: float = 5.0) -> int:
        """The serving status (a HealthCheckResponse.ServingStatus); connection failures are
        retried for ``wait`` seconds."""
        stub = health_pb2_grpc.HealthStub(self.channel)
        deadline = time.monotonic() + wait
        while True:
            try:
                response = stub.Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=timeout
                )
                status: int = response.status
                if status == health_pb2.HealthCheckResponse.SERVING or time.monotonic() > deadline:
                    return status
            except grpc.RpcError as err:
                if time.monotonic() > deadline:
                    raise self._error_of(err) from err
            time.sleep(0.1)


def _with_time_limit(
    options: service_pb2.ExtractOptions, seconds: float
) -> service_pb2.ExtractOptions:
    """``options`` with ``seconds`` as its time limit, unless it already has one."""
    if options.HasField("time_limit") or seconds <= 0:
        return options
    limited = service_pb2.ExtractOptions()
    limited.CopyFrom(options)
    limited.time_limit.FromNanoseconds(round(seconds * 1e9))
    return limited


def upload_requests(
    content: bytes, filename: str, options: service_pb2.ExtractOptions, chunk_bytes: int
) -> Iterator[service_pb2.ExtractUploadRequest]:
    """An ExtractUpload stream: the header, then the bytes in chunks."""
    yield service_pb2.ExtractUploadRequest(
        header=service_pb2.UploadHeader(filename=filename, options=options, size_bytes=len(content))
    )
    for start in range(0, len(content), chunk_bytes):
        yield service_pb2.ExtractUploadRequest(chunk=content[start : start + chunk_bytes])
