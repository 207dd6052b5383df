"""The gRPC servicer: a thin adapter from ReportExtractor's RPCs to ``convert()``.

All the work is in ``govreport.convert`` (bytes -> Extraction) and
``govreport.validation`` (report -> findings). This module only

- takes requests apart (a whole document, an upload in chunks, a batch),
- enforces the document size limit (``Settings.max_upload_bytes``),
- turns failures into gRPC statuses carrying ``google.rpc`` rich error
  details: an ``ErrorInfo`` (domain ``govreport``, reason from
  ``govreport.errors.Reason``) always, and a ``BadRequest`` when a request
  field is at fault.

The pieces that are not tied to the sync API (``UploadAssembler``,
``batch_item``, ``error_status``) are plain functions and classes so that
a ``grpc.aio`` servicer can reuse them as they are.

Nothing here logs or returns the document's content: failures are logged
with the RPC and the file name only, unexpected ones with their traceback
under an incident id that the caller gets in ErrorInfo.metadata.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from govreport import convert as convert_module
from govreport import validation as validation_module
from govreport.convert import ConvertOptions
from govreport.errors import GovreportError, Reason
from govreport.settings import Settings
from govreport.template_api import VERSION_OF_PROTO, definition
from govreport.v1 import (
    report_pb2,
    service_pb2,
    service_pb2_grpc,
    template_pb2,
    validation_pb2,
)

log = logging.getLogger(__name__)

DOMAIN = "govreport"
SERVICE_NAME: str = service_pb2.DESCRIPTOR.services_by_name["ReportExtractor"].full_name

ConvertFn = Callable[[bytes, str, ConvertOptions], service_pb2.Extraction]
ValidateFn = Callable[
    [report_pb2.AnnualReport, report_pb2.AnnualReport | None, int, float],
    validation_pb2.ValidationReport,
]


class ServiceError(GovreportError):
    """A GovreportError with extra ErrorInfo metadata (limits, an incident id)."""

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        field: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(reason, message, field=field)
        self.metadata = dict(metadata or {})


# ---------------------------------------------------------------- errors


def error_status(err: GovreportError, filename: str = "") -> grpc.Status:
    """The gRPC status for ``err``: its code and message, with ErrorInfo (and BadRequest)."""
    metadata: dict[str, str] = {}
    if filename:
        metadata["filename"] = filename
    if err.field:
        metadata["field"] = err.field
    if isinstance(err, ServiceError):
        metadata.update(err.metadata)
    info = error_details_pb2.ErrorInfo(reason=err.reason.value, domain=DOMAIN, metadata=metadata)
    details = [_pack(info)]
    if err.field:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=err.field, description=err.message
        )
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[violation])))
    status = status_pb2.Status(code=err.status.value[0], message=err.message, details=details)
    result: grpc.Status = rpc_status.to_status(status)
    return result


def _pack(message: error_details_pb2.ErrorInfo | error_details_pb2.BadRequest) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def as_govreport_error(exc: BaseException, rpc: str, filename: str = "") -> GovreportError:
    """``exc`` as a GovreportError; anything unexpected is INTERNAL, logged with its traceback."""
    if isinstance(exc, GovreportError):
        log.info("%s %s: %s", rpc, filename or "-", exc)
        return exc
    incident = uuid.uuid4().hex[:12]
    log.error("%s %s failed (incident %s)", rpc, filename or "-", incident, exc_info=exc)
    return ServiceError(
        Reason.INTERNAL,
        f"internal error while handling {filename or 'the request'} "
        f"({type(exc).__name__}, incident {incident}); please report it",
        metadata={"incident": incident},
    )


def too_large(size: int, limit: int, filename: str, *, declared: bool = False) -> ServiceError:
    what = "declares" if declared else "is at least" if size > limit else "is"
    return ServiceError(
        Reason.TOO_LARGE,
        f"{filename or 'the document'} {what} {size} bytes; this server accepts at most "
        f"{limit} bytes per document",
        metadata={"limit_bytes": str(limit), "size_bytes": str(size)},
    )


# ---------------------------------------------------------------- uploads


@dataclass
class UploadAssembler:
    """Puts an ExtractUpload stream back together, one message at a time.

    The first message must be a header; every later one a chunk. A header
    that declares a size over the limit is refused at once, and so is the
    first chunk that takes the total over it.
    """

    limit: int
    header: service_pb2.UploadHeader | None = None

    def __post_init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

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
            return
        if part == "header":
            raise GovreportError(
                Reason.INVALID_FIELD,
                "an upload has one header, as its first message; a second one was sent",
                field="header",
            )
        self._size += len(message.chunk)
        if self._size > self.limit:
            raise too_large(self._size, self.limit, self.filename)
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


class ReportExtractorServicer(service_pb2_grpc.ReportExtractorServicer):
    """ReportExtractor over ``convert()``.

    ``convert_fn`` and ``validate_fn`` default to ``govreport.convert.convert``
    and ``govreport.validation.validate``, looked up at call time (so tests
    can monkeypatch them).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        convert_fn: ConvertFn | None = None,
        validate_fn: ValidateFn | None = None,
    ) -> None:
        self._settings = settings or Settings()
        self._convert_fn = convert_fn
        self._validate_fn = validate_fn

    # -- the work, sync-API free

    def extract(
        self, content: bytes, filename: str, options: service_pb2.ExtractOptions
    ) -> service_pb2.Extraction:
        """One document: size check, then convert."""
        limit = self._settings.max_upload_bytes
        if len(content) > limit:
            raise too_large(len(content), limit, filename)
        convert = self._convert_fn or convert_module.convert
        return convert(
            content,
            filename,
            ConvertOptions.from_proto(options, self._settings.ocr_min_confidence),
        )

    def batch_item(
        self, request: service_pb2.ExtractBatchRequest
    ) -> service_pb2.ExtractBatchResponse:
        """One batch document: its extraction or its error, never an exception."""
        try:
            extraction = self.extract(request.content, request.filename, request.options)
        except Exception as exc:  # every failure becomes a BatchError
            err = as_govreport_error(exc, "ExtractBatch", request.filename)
            return service_pb2.ExtractBatchResponse(
                id=request.id,
                error=service_pb2.BatchError(
                    code=err.status.value[0], reason=err.reason.value, message=err.message
                ),
            )
        return service_pb2.ExtractBatchResponse(id=request.id, extraction=extraction)

    # -- RPCs

    def Extract(
        self, request: service_pb2.ExtractRequest, context: grpc.ServicerContext
    ) -> service_pb2.ExtractResponse:
        try:
            extraction = self.extract(request.content, request.filename, request.options)
        except Exception as exc:
            _abort(context, as_govreport_error(exc, "Extract", request.filename), request.filename)
        return service_pb2.ExtractResponse(extraction=extraction)

    def ExtractUpload(
        self,
        request_iterator: Iterator[service_pb2.ExtractUploadRequest],
        context: grpc.ServicerContext,
    ) -> service_pb2.ExtractUploadResponse:
        upload = UploadAssembler(self._settings.max_upload_bytes)
        try:
            for message in request_iterator:
                upload.add(message)
            header, content = upload.finish()
        except grpc.RpcError:
            context.abort(grpc.StatusCode.CANCELLED, "the client cancelled the upload")
        except Exception as exc:
            _abort(
                context, as_govreport_error(exc, "ExtractUpload", upload.filename), upload.filename
            )
        try:
            extraction = self.extract(content, header.filename, header.options)
        except Exception as exc:
            _abort(
                context, as_govreport_error(exc, "ExtractUpload", header.filename), header.filename
            )
        return service_pb2.ExtractUploadResponse(extraction=extraction)

    def ExtractBatch(
        self,
        request_iterator: Iterator[service_pb2.ExtractBatchRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[service_pb2.ExtractBatchResponse]:
        workers = self._settings.batch_workers
        return _BatchRun(self.batch_item, workers, in_flight=2 * workers).run(
            request_iterator, context
        )

    def Validate(
        self, request: service_pb2.ValidateRequest, context: grpc.ServicerContext
    ) -> service_pb2.ValidateResponse:
        previous = (
            request.previous_year_report if request.HasField("previous_year_report") else None
        )
        validate = self._validate_fn or validation_module.validate
        try:
            findings = validate(
                request.report, previous, request.filed_year, self._settings.ocr_min_confidence
            )
        except Exception as exc:
            _abort(context, as_govreport_error(exc, "Validate"))
        return service_pb2.ValidateResponse(validation=findings)

    def GetTemplate(
        self, request: service_pb2.GetTemplateRequest, context: grpc.ServicerContext
    ) -> service_pb2.GetTemplateResponse:
        try:
            tpl = template_definition(request.version)
        except Exception as exc:
            _abort(context, as_govreport_error(exc, "GetTemplate"))
        return service_pb2.GetTemplateResponse(template=tpl)


@cache
def template_definition(version: int) -> template_pb2.TemplateDefinition:
    """GetTemplate's answer for a TemplateVersion enum value (UNSPECIFIED is 2021)."""
    if version not in VERSION_OF_PROTO:
        raise GovreportError(
            Reason.INVALID_FIELD,
            f"unknown template version {version}; use TEMPLATE_VERSION_2019 or _2021",
            field="version",
        )
    return definition(VERSION_OF_PROTO[version])  # type: ignore[index]


def _abort(context: grpc.ServicerContext, err: GovreportError, filename: str = "") -> NoReturn:
    context.abort_with_status(error_status(err, filename))


class _EndOfInput:
    def __init__(self, count: int) -> None:
        self.count = count


class _BatchRun:
    """One ExtractBatch stream: a reader thread feeds a small pool, results come back as ready.

    At most ``in_flight`` documents are held at once (read but not yet sent
    back), so a long batch does not pile up in memory.
    """

    def __init__(
        self,
        work: Callable[[service_pb2.ExtractBatchRequest], service_pb2.ExtractBatchResponse],
        workers: int,
        in_flight: int,
    ) -> None:
        self._work = work
        self._workers = workers
        self._slots = threading.BoundedSemaphore(in_flight)
        self._results: queue.Queue[service_pb2.ExtractBatchResponse | _EndOfInput] = queue.Queue()
        self._stop = threading.Event()

    def run(
        self,
        requests: Iterator[service_pb2.ExtractBatchRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[service_pb2.ExtractBatchResponse]:
        context.add_callback(self._stop.set)
        pool = ThreadPoolExecutor(self._workers, thread_name_prefix="govreport-batch")
        reader = threading.Thread(
            target=self._feed, args=(requests, pool), name="govreport-batch-reader", daemon=True
        )
        reader.start()
        try:
            sent = 0
            expected: int | None = None
            while expected is None or sent < expected:
                try:
                    item = self._results.get(timeout=0.2)
                except queue.Empty:
                    if self._stop.is_set() or not context.is_active():
                        return
                    continue
                if isinstance(item, _EndOfInput):
                    expected = item.count
                    continue
                yield item
                sent += 1
                self._slots.release()
        finally:
            self._stop.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def _feed(
        self, requests: Iterator[service_pb2.ExtractBatchRequest], pool: ThreadPoolExecutor
    ) -> None:
        submitted = 0
        try:
            for request in requests:
                while not self._slots.acquire(timeout=0.2):
                    if self._stop.is_set():
                        return
                if self._stop.is_set():
                    return
                future = pool.submit(self._work, request)
                future.add_done_callback(self._deliver)
                submitted += 1
        except grpc.RpcError:
            self._stop.set()  # the client went away
        except Exception:  # a reader thread must not die silently
            log.exception("ExtractBatch: reading the request stream failed")
            self._stop.set()
        finally:
            self._results.put(_EndOfInput(submitted))

    def _deliver(self, future: Future[service_pb2.ExtractBatchResponse]) -> None:
        if not future.cancelled():
            self._results.put(future.result())
