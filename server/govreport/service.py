"""The gRPC servicer (grpc.aio): a thin adapter from ReportExtractor's RPCs to a runner of
``convert()`` (workers.py: worker processes behind a bounded queue).

This module only

- takes requests apart (a whole document, an upload in chunks, a batch),
- enforces the document size limit (``Settings.max_upload_bytes``),
- gives every call a request id (the ``x-request-id`` header, DocumentInfo,
  and every log line written for the call) and its metrics,
- turns failures into gRPC statuses carrying ``google.rpc`` rich error
  details: an ``ErrorInfo`` (domain ``govreport``, reason from
  ``govreport.errors.Reason``) always, a ``BadRequest`` when a request
  field is at fault, a ``RetryInfo`` when the server is overloaded.

Nothing here logs or returns the document's content: failures are logged
with the RPC and the file name only, unexpected ones with their traceback
under an incident id that the caller gets in ErrorInfo.metadata.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, NoReturn, Protocol, TypeVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from govreport import metrics
from govreport import validation as validation_module
from govreport.convert import ConvertOptions
from govreport.errors import GovreportError, Reason, clip, named
from govreport.logs import REQUEST_ID
from govreport.render import FORMAT_NAMES
from govreport.settings import Settings
from govreport.templates import LATEST, TEMPLATES, for_proto
from govreport.v1 import (
    report_pb2,
    service_pb2,
    service_pb2_grpc,
    template_pb2,
    validation_pb2,
)
from govreport.workers import WorkerBug, shutting_down

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DOMAIN = "govreport"
_ENVELOPE_BYTES = 64 * 1024  # the response around an Extraction, with room to spare
_LARGE_DOCUMENT_BYTES = 4 * 1024 * 1024
_COLLECT_DELAY_SECONDS = 2.0
SERVICE_NAME: str = service_pb2.DESCRIPTOR.services_by_name["ReportExtractor"].full_name

ValidateFn = Callable[
    [report_pb2.AnnualReport, report_pb2.AnnualReport | None, int, float],
    validation_pb2.ValidationReport,
]


# ---------------------------------------------------------------- errors


def error_status(err: GovreportError, filename: str = "") -> grpc.Status:
    """The gRPC status for ``err``: its code and message, with ErrorInfo (and BadRequest,
    RetryInfo); the request id and gRPC's retry pushback in the trailers."""
    status = status_pb2.Status(
        code=err.status.value[0], message=err.message, details=error_details(err, filename)
    )
    result: grpc.Status = rpc_status.to_status(status)
    trailers = list(result.trailing_metadata)
    if REQUEST_ID.get():  # on success a header; an error has none (Trailers-Only, see _traced)
        trailers.append(("x-request-id", REQUEST_ID.get()))
    if err.retry_after is not None:
        # gRPC's own retry policy waits this long (its "server pushback"), as RetryInfo says.
        trailers.append(("grpc-retry-pushback-ms", str(max(0, round(err.retry_after * 1000)))))
    return _Status(result.code, result.details, tuple(trailers))


@dataclass(frozen=True)
class _Status(grpc.Status):
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...]


def error_details(err: GovreportError, filename: str = "") -> list[any_pb2.Any]:
    """The status details of ``err``: ErrorInfo, and BadRequest or RetryInfo where they apply
    (a unary call's trailers, or a BatchError's status)."""
    metadata: dict[str, str] = {}
    if filename:
        metadata["filename"] = clip(filename)
    if REQUEST_ID.get():
        metadata["request_id"] = REQUEST_ID.get()
    if err.field:
        metadata["field"] = err.field
    metadata.update(err.details)
    info = error_details_pb2.ErrorInfo(reason=err.reason, domain=DOMAIN, metadata=metadata)
    details = [_pack(info)]
    if err.field:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=err.field, description=err.message
        )
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[violation])))
    if err.retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(err.retry_after * 1e9))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    return details


def _pack(
    message: error_details_pb2.ErrorInfo
    | error_details_pb2.BadRequest
    | error_details_pb2.RetryInfo,
) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def as_govreport_error(exc: BaseException, rpc: str, filename: str = "") -> GovreportError:
    """``exc`` as a GovreportError; anything unexpected is INTERNAL, logged with its traceback."""
    if isinstance(exc, GovreportError):
        log.info("%s %s: %s", rpc, clip(filename) or "-", exc)
        return exc
    incident = uuid.uuid4().hex[:12]
    if isinstance(exc, WorkerBug):
        log.error(
            "%s %s failed in a worker (incident %s)\n%s",
            rpc,
            clip(filename) or "-",
            incident,
            exc.trace,
        )
    else:
        log.error("%s %s failed (incident %s)", rpc, clip(filename) or "-", incident, exc_info=exc)
    return GovreportError(
        Reason.INTERNAL,
        f"internal error while handling {named(filename)} "
        f"({type(exc).__name__}, incident {incident}); please report it",
        details={"incident": incident},
    )


def too_large(size: int, limit: int, filename: str, *, declared: bool = False) -> GovreportError:
    what = "declares" if declared else "is at least" if size > limit else "is"
    return GovreportError(
        Reason.TOO_LARGE,
        f"{named(filename)} {what} {size} bytes; this server accepts at most "
        f"{limit} bytes per document",
        details={"limit_bytes": str(limit), "size_bytes": str(size)},
    )


# ---------------------------------------------------------------- uploads


class UploadBudget:
    """Bytes held by all unfinished uploads (and their documents until answered), bounded: a
    stream that would take the total over ``limit`` is refused with OVERLOADED, as a full queue
    is, so that stalled or slow uploads cannot take the server's memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int) -> None:
        if self.held + size > self.limit:
            raise GovreportError(
                Reason.OVERLOADED,
                f"the server holds {self.held} bytes of unfinished uploads and takes at most "
                f"{self.limit} (GOVREPORT_UPLOAD_BUFFER_BYTES); retry in a few seconds or send "
                "to another replica",
                retry_after=5.0,
            )
        self.held += size
        metrics.UPLOAD_BYTES.set(self.held)

    def give_back(self, size: int) -> None:
        self.held -= size
        metrics.UPLOAD_BYTES.set(self.held)


@dataclass
class UploadAssembler:
    """Puts an ExtractUpload stream back together, one message at a time.

    The first message must be a header; every later one a chunk. A header
    that declares a size over the limit is refused at once, and so is the
    first chunk that takes the total over it.
    """

    limit: int
    budget: UploadBudget | None = None
    header: service_pb2.UploadHeader | None = None

    def __post_init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self.held = 0  # bytes taken from the budget, to give back when the call ends

    def _hold(self, size: int) -> None:
        """Takes what ``size`` bytes need beyond what is held already (a declared size is
        taken whole at the header, so an upload is admitted or refused before its data)."""
        if self.budget is not None and size > self.held:
            self.budget.take(size - self.held)
            self.held = size

    @property
    def filename(self) -> str:
        return self.header.filename if self.header is not None else ""

    def add(self, message: service_pb2.ExtractUploadRequest) -> None:
        part = message.WhichOneof("part")
        if self.header is None:
            if part != "header":
                raise GovreportError(
                    Reason.INVALID_FIELD,
                    "the first message of an upload must be a header (UploadHeader), "
                    f"not {'a chunk' if part == 'chunk' else 'an empty message'}",
                    field="header",
                )
            self.header = message.header
            if self.header.size_bytes < 0:
                raise GovreportError(
                    Reason.INVALID_FIELD,
                    f"header.size_bytes is negative ({self.header.size_bytes})",
                    field="header.size_bytes",
                )
            if self.header.size_bytes > self.limit:
                raise too_large(self.header.size_bytes, self.limit, self.filename, declared=True)
            self._hold(self.header.size_bytes)
            return
        if part == "header":
            raise GovreportError(
                Reason.INVALID_FIELD,
                "an upload has one header, as its first message; a second one was sent",
                field="header",
            )
        if self._size + len(message.chunk) > self.limit:
            raise too_large(self._size + len(message.chunk), self.limit, self.filename)
        self._hold(self._size + len(message.chunk))
        self._size += len(message.chunk)
        self._parts.append(message.chunk)

    def finish(self) -> tuple[service_pb2.UploadHeader, bytes]:
        if self.header is None:
            raise GovreportError(
                Reason.INVALID_FIELD,
                "the upload sent no messages; it must start with a header (UploadHeader)",
                field="header",
            )
        declared = self.header.size_bytes
        if declared and declared != self._size:
            raise GovreportError(
                Reason.INVALID_FIELD,
                f"the header declared {declared} bytes but {self._size} arrived",
                field="header.size_bytes",
            )
        return self.header, b"".join(self._parts)


# ---------------------------------------------------------------- the servicer


class Runner(Protocol):
    """What runs ``convert()``: workers.WorkerPool (processes) or workers.ThreadRunner (tests)."""

    async def extract(
        self, content: bytes, filename: str, options: ConvertOptions
    ) -> service_pb2.Extraction: ...


class ReportExtractorServicer(service_pb2_grpc.ReportExtractorServicer):
    """ReportExtractor over a Runner. ``validate_fn`` defaults to govreport.validation.validate."""

    def __init__(
        self,
        settings: Settings,
        runner: Runner,
        *,
        validate_fn: ValidateFn | None = None,
    ) -> None:
        self._settings = settings
        self._runner = runner
        self._validate_fn = validate_fn
        self._uploads = UploadBudget(settings.upload_buffer_bytes)
        self._closing = asyncio.Event()
        self._collect_pending = False

    def _collect_soon(self) -> None:
        """A full garbage collection a moment after a large document's call has ended.

        grpc.aio keeps each call's state in reference cycles (the context, the abort
        exception, the handler's frames with the request in them), which only the cyclic
        collector frees, and it runs by object counts, not bytes: a server refusing 50 MB
        uploads held gigabytes of them. One collection a few seconds, at most, frees them.
        """
        if not self._collect_pending:
            self._collect_pending = True
            asyncio.get_running_loop().call_later(_COLLECT_DELAY_SECONDS, self._collect)

    def _collect(self) -> None:
        self._collect_pending = False
        gc.collect()

    def shut_down(self) -> None:
        """Unfinished uploads end now with UNAVAILABLE / SHUTTING_DOWN (server.py calls this
        before the grace period runs out, so that no call ends with gRPC's bare cancel)."""
        self._closing.set()

    async def _next_part(
        self, messages: AsyncIterator[service_pb2.ExtractUploadRequest]
    ) -> service_pb2.ExtractUploadRequest | None:
        """The upload's next message, or None at its end; an upload that sends nothing for
        ``upload_idle_seconds`` is ended (UPLOAD_STALLED), and so is every one at shutdown."""
        part = asyncio.ensure_future(anext(messages, None))
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            done, _ = await asyncio.wait(
                {part, closing},
                timeout=self._settings.upload_idle_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            closing.cancel()
        if part in done:
            return part.result()
        part.cancel()
        if self._closing.is_set():
            raise shutting_down()
        metrics.UPLOADS_STALLED.inc()
        raise GovreportError(
            Reason.UPLOAD_STALLED,
            f"the upload sent nothing for {self._settings.upload_idle_seconds:.0f} s "
            "(GOVREPORT_UPLOAD_IDLE_SECONDS) and was ended; send the chunks without pausing",
        )

    # -- the work

    async def extract(
        self, content: bytes, filename: str, options: service_pb2.ExtractOptions, method: str
    ) -> service_pb2.Extraction:
        """One document: size check, then the runner; metrics and the request id on the way."""
        limit = self._settings.max_upload_bytes
        if len(content) > limit:
            raise too_large(len(content), limit, filename)
        started = time.monotonic()
        time_limit = _time_limit(options)
        deadline = asyncio.timeout(time_limit)
        try:
            async with deadline:
                extraction = await self._runner.extract(
                    content,
                    filename,
                    ConvertOptions.from_proto(
                        options, self._settings.ocr_min_confidence, self._settings.limits
                    ),
                )
        except TimeoutError:
            if time_limit is None or not deadline.expired():
                raise  # not the caller's limit: whatever raised it is reported as it is
            raise GovreportError(
                Reason.DEADLINE_EXCEEDED,
                f"{named(filename)} was not done within the {time_limit:g} s its caller allowed "
                "(ExtractOptions.time_limit); its work was stopped",
                details={"time_limit_seconds": f"{time_limit:g}"},
            ) from None
        finally:
            if len(content) >= _LARGE_DOCUMENT_BYTES:
                self._collect_soon()
        extraction.document.request_id = REQUEST_ID.get()
        # gRPC would drop an over-size answer with a bare RESOURCE_EXHAUSTED (and count it OK).
        result_limit = self._settings.max_message_bytes - _ENVELOPE_BYTES
        if extraction.ByteSize() > result_limit:
            raise GovreportError(
                Reason.TOO_LARGE,
                f"the extraction of {named(filename)} is {extraction.ByteSize()} bytes, over the "
                f"{result_limit} a response may hold (GOVREPORT_MAX_MESSAGE_BYTES)",
                details={"limit_bytes": str(result_limit)},
            )
        fmt = FORMAT_NAMES.get(extraction.document.format, "other").lower()  # a metric label
        metrics.LATENCY.labels(method, fmt).observe(time.monotonic() - started)
        metrics.DOCUMENTS.labels(fmt).inc()
        metrics.OCR_PAGES.inc(len(extraction.document.ocr_pages))
        for finding in extraction.validation.findings:
            metrics.FINDINGS.labels(finding.rule_id).inc()
        log.info(
            "%s %s: %s, %d pages, %.0f ms",
            method,
            clip(filename) or "-",
            fmt,
            extraction.document.page_count,
            (time.monotonic() - started) * 1000,
        )
        return extraction

    async def batch_item(
        self, request: service_pb2.ExtractBatchRequest
    ) -> service_pb2.ExtractBatchResponse:
        """One batch document: its extraction or its error, never an exception."""
        try:
            extraction = await self.extract(
                request.content, request.filename, request.options, "ExtractBatch"
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure becomes a BatchError
            err = as_govreport_error(exc, "ExtractBatch", request.filename)
            status = status_pb2.Status(code=err.status.value[0], message=err.message)
            status.details.extend(error_details(err, request.filename))
            return service_pb2.ExtractBatchResponse(
                id=request.id,
                error=service_pb2.BatchError(
                    code=err.status.value[0], reason=err.reason, message=err.message, status=status
                ),
            )
        return service_pb2.ExtractBatchResponse(id=request.id, extraction=extraction)

    # -- RPCs

    async def Extract(
        self, request: service_pb2.ExtractRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> service_pb2.ExtractResponse:
        async def handle() -> service_pb2.ExtractResponse:
            try:
                extraction = await self.extract(
                    request.content, request.filename, request.options, "Extract"
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await _abort(
                    context, as_govreport_error(exc, "Extract", request.filename), request.filename
                )
            return service_pb2.ExtractResponse(extraction=extraction)

        return await _traced("Extract", context, handle)

    async def ExtractUpload(
        self,
        request_iterator: AsyncIterator[service_pb2.ExtractUploadRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> service_pb2.ExtractUploadResponse:
        async def handle() -> service_pb2.ExtractUploadResponse:
            upload = UploadAssembler(self._settings.max_upload_bytes, self._uploads)
            messages = aiter(request_iterator)
            try:
                try:
                    while (message := await self._next_part(messages)) is not None:
                        upload.add(message)
                    header, content = upload.finish()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    err = as_govreport_error(exc, "ExtractUpload", upload.filename)
                    await _abort(context, err, upload.filename)
                try:
                    extraction = await self.extract(
                        content, header.filename, header.options, "ExtractUpload"
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    err = as_govreport_error(exc, "ExtractUpload", header.filename)
                    await _abort(context, err, header.filename)
                return service_pb2.ExtractUploadResponse(extraction=extraction)
            finally:
                if upload.held >= _LARGE_DOCUMENT_BYTES:
                    self._collect_soon()
                self._uploads.give_back(upload.held)

        return await _traced("ExtractUpload", context, handle)

    async def ExtractBatch(
        self,
        request_iterator: AsyncIterator[service_pb2.ExtractBatchRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[service_pb2.ExtractBatchResponse]:
        """Results as they are ready; at most ``batch_in_flight`` documents held at once."""
        token = REQUEST_ID.set(_request_id(context))
        await context.send_initial_metadata((("x-request-id", REQUEST_ID.get()),))
        metrics.IN_FLIGHT.inc()
        window = asyncio.Semaphore(self._settings.batch_window)
        results: asyncio.Queue[service_pb2.ExtractBatchResponse | None] = asyncio.Queue()
        tasks: set[asyncio.Task[None]] = set()
        code = "OK"

        async def one(request: service_pb2.ExtractBatchRequest) -> None:
            try:
                await results.put(await self.batch_item(request))
            finally:
                window.release()

        async def feed() -> None:
            async for request in request_iterator:
                await window.acquire()
                task = asyncio.create_task(one(request))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            while tasks:
                await asyncio.gather(*list(tasks), return_exceptions=True)
            await results.put(None)

        reader = asyncio.create_task(feed())
        closing = asyncio.ensure_future(self._closing.wait())
        pending: asyncio.Future[service_pb2.ExtractBatchResponse | None] | None = None
        try:
            while True:
                pending = asyncio.ensure_future(results.get())
                await asyncio.wait({pending, closing}, return_when=asyncio.FIRST_COMPLETED)
                if not pending.done():  # shutting down: the documents not answered yet
                    pending.cancel()
                    code = grpc.StatusCode.UNAVAILABLE.name
                    await _abort(context, as_govreport_error(shutting_down(), "ExtractBatch"))
                item = pending.result()
                if item is None:
                    break
                yield item
            await reader
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        finally:
            closing.cancel()
            if pending is not None:  # a caller that cancels leaves the next get() waiting
                pending.cancel()
            reader.cancel()
            for task in list(tasks):
                task.cancel()
            metrics.IN_FLIGHT.dec()
            metrics.REQUESTS.labels("ExtractBatch", code).inc()
            REQUEST_ID.reset(token)

    async def Validate(
        self, request: service_pb2.ValidateRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> service_pb2.ValidateResponse:
        async def handle() -> service_pb2.ValidateResponse:
            previous = (
                request.previous_year_report if request.HasField("previous_year_report") else None
            )
            validate = self._validate_fn or validation_module.validate
            try:
                findings = validate(
                    request.report, previous, request.filed_year, self._settings.ocr_min_confidence
                )
            except Exception as exc:
                await _abort(context, as_govreport_error(exc, "Validate"))
            return service_pb2.ValidateResponse(validation=findings)

        return await _traced("Validate", context, handle)

    async def GetTemplate(
        self, request: service_pb2.GetTemplateRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> service_pb2.GetTemplateResponse:
        async def handle() -> service_pb2.GetTemplateResponse:
            try:
                tpl = template_definition(request.version)
            except Exception as exc:
                await _abort(context, as_govreport_error(exc, "GetTemplate"))
            return service_pb2.GetTemplateResponse(template=tpl)

        return await _traced("GetTemplate", context, handle)


def _time_limit(options: service_pb2.ExtractOptions) -> float | None:
    """ExtractOptions.time_limit in seconds; None when unset or zero (the server's own only)."""
    if not options.HasField("time_limit"):
        return None
    seconds = options.time_limit.ToTimedelta().total_seconds()
    if seconds < 0:
        raise GovreportError(
            Reason.INVALID_FIELD,
            f"options.time_limit must not be negative, not {seconds:g} s",
            field="options.time_limit",
        )
    return seconds or None


def _request_id(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    """The caller's ``x-request-id`` when it sent a sane one, else a new id."""
    for key, value in context.invocation_metadata() or ():
        sane = isinstance(value, str) and 0 < len(value) <= 64
        if key == "x-request-id" and sane and str(value).replace("-", "").isalnum():
            return str(value)
    return uuid.uuid4().hex[:16]


async def _traced(
    method: str, context: grpc.aio.ServicerContext[Any, Any], handle: Callable[[], Awaitable[_T]]
) -> _T:
    """Runs one unary-response call with its request id, metrics and header."""
    token = REQUEST_ID.set(_request_id(context))
    metrics.IN_FLIGHT.inc()
    code = "OK"
    try:
        result = await handle()
        # Only now: an error must go out as a Trailers-Only response (no headers before it),
        # since gRPC clients never retry a call whose headers they have received.
        await context.send_initial_metadata((("x-request-id", REQUEST_ID.get()),))
        return result
    except asyncio.CancelledError:
        code = "CANCELLED"
        raise
    except BaseException:
        found = context.code() if hasattr(context, "code") else None
        code = found.name if isinstance(found, grpc.StatusCode) else "UNKNOWN"
        raise
    finally:
        metrics.IN_FLIGHT.dec()
        metrics.REQUESTS.labels(method, code).inc()
        REQUEST_ID.reset(token)


@cache
def template_definition(version: int) -> template_pb2.TemplateDefinition:
    """GetTemplate's answer for a TemplateVersion enum value (UNSPECIFIED is the latest)."""
    tpl = LATEST if version == 0 else for_proto(version)
    if tpl is None:
        first, *rest = sorted(TEMPLATES)
        known = f"TEMPLATE_VERSION_{first}" + "".join(f" or _{v}" for v in rest)
        raise GovreportError(
            Reason.INVALID_FIELD,
            f"unknown template version {version}; use {known}",
            field="version",
        )
    return validation_module.definition(tpl)


async def _abort(
    context: grpc.aio.ServicerContext[Any, Any], err: GovreportError, filename: str = ""
) -> NoReturn:
    status = error_status(err, filename)
    # grpc keeps the AbortError (its __context__ is ``err``) in a reference cycle with the call's
    # state: without its traceback, ``err`` holds none of the frames, and their documents.
    err.__traceback__ = None
    await context.abort(status.code, status.details, status.trailing_metadata)
    raise AssertionError("unreachable: abort raises")
