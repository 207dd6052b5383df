"""The one error govreport reports, everywhere: a reason, a message for a person, and details.

The server raises it and sends it as a gRPC status (service.py); the
client (client.py) turns a status back into it; the command line prints
it as ``govreport: WHAT: REASON: message``; a batch keeps one per failed
document. Its reason is an ErrorInfo reason string: one of ``Reason``, or
one a newer server sends that this code does not know yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import grpc

# What an error may echo of its input (a filename, a parser's message quoting the document):
# enough to recognise it, never enough to push a status past gRPC's 16 KiB of trailers or to
# copy a document into the logs.
ECHO_CHARS = 200
MESSAGE_CHARS = 1000


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` cut to about ``limit`` characters, head and tail kept, the cut said."""
    if len(text) <= limit:
        return text
    keep = max(2, limit - 40)
    head, tail = text[: keep * 3 // 4], text[len(text) - keep // 4 :]
    return f"{head}…[{len(text) - len(head) - len(tail)} characters cut]…{tail}"


def named(filename: str) -> str:
    """A document's name as messages and logs show it: clipped, or 'the document'."""
    return clip(filename, 120) if filename else "the document"


def quoted(exc: BaseException) -> str:
    """An exception as a message may quote it: its type and its clipped text."""
    return f"{type(exc).__name__}: {clip(str(exc))}"


class Reason(StrEnum):
    """ErrorInfo reasons: ``ErrorReason`` of proto/govreport/v1/errors.proto without its prefix
    (tests/test_errors.py holds the two equal), and the command line's own below it."""

    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    EMPTY_DOCUMENT = "EMPTY_DOCUMENT"
    CORRUPT_DOCUMENT = "CORRUPT_DOCUMENT"
    ENCRYPTED_DOCUMENT = "ENCRYPTED_DOCUMENT"
    UNDECODABLE_TEXT = "UNDECODABLE_TEXT"
    NOT_A_REPORT = "NOT_A_REPORT"
    TOO_LARGE = "TOO_LARGE"
    INVALID_FIELD = "INVALID_FIELD"
    # Limits (settings.py): each breach names the limit and the value found.
    TOO_MANY_PAGES = "TOO_MANY_PAGES"
    PAGE_TOO_LARGE = "PAGE_TOO_LARGE"
    ARCHIVE_TOO_LARGE = "ARCHIVE_TOO_LARGE"
    TOO_COMPLEX = "TOO_COMPLEX"
    TIME_LIMIT = "TIME_LIMIT"
    # The service: busy (retry after the RetryInfo delay), a worker lost, no credentials.
    OVERLOADED = "OVERLOADED"
    WORKER_FAILED = "WORKER_FAILED"
    UPLOAD_STALLED = "UPLOAD_STALLED"
    SHUTTING_DOWN = "SHUTTING_DOWN"
    CANCELLED = "CANCELLED"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INTERNAL = "INTERNAL"
    # The caller's side: its files, its settings, its input, the server out of reach.
    NOT_FOUND = "NOT_FOUND"
    UNREADABLE = "UNREADABLE"
    UNWRITABLE = "UNWRITABLE"
    NO_DOCUMENTS = "NO_DOCUMENTS"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    INVALID_SETTINGS = "INVALID_SETTINGS"
    INVALID_JSON = "INVALID_JSON"
    INVALID_REPORT = "INVALID_REPORT"
    UNAVAILABLE = "UNAVAILABLE"


STATUS_OF: dict[str, grpc.StatusCode] = {
    Reason.UNSUPPORTED_FORMAT: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.EMPTY_DOCUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.CORRUPT_DOCUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.ENCRYPTED_DOCUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.UNDECODABLE_TEXT: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.NOT_A_REPORT: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Reason.INVALID_FIELD: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.TOO_MANY_PAGES: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Reason.PAGE_TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Reason.ARCHIVE_TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Reason.TOO_COMPLEX: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Reason.TIME_LIMIT: grpc.StatusCode.RESOURCE_EXHAUSTED,
    # UNAVAILABLE, not RESOURCE_EXHAUSTED: retry policies key on the code, and every other
    # RESOURCE_EXHAUSTED reason is a limit that fails again on every attempt (errors.proto).
    Reason.OVERLOADED: grpc.StatusCode.UNAVAILABLE,
    Reason.WORKER_FAILED: grpc.StatusCode.UNAVAILABLE,
    Reason.UPLOAD_STALLED: grpc.StatusCode.DEADLINE_EXCEEDED,
    Reason.SHUTTING_DOWN: grpc.StatusCode.UNAVAILABLE,
    Reason.CANCELLED: grpc.StatusCode.CANCELLED,
    Reason.DEADLINE_EXCEEDED: grpc.StatusCode.DEADLINE_EXCEEDED,
    Reason.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    Reason.INTERNAL: grpc.StatusCode.INTERNAL,
    Reason.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    Reason.UNREADABLE: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.UNWRITABLE: grpc.StatusCode.FAILED_PRECONDITION,
    Reason.NO_DOCUMENTS: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.INVALID_SETTINGS: grpc.StatusCode.FAILED_PRECONDITION,
    Reason.INVALID_JSON: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.INVALID_REPORT: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}


class GovreportError(Exception):
    """A failure a caller can act on: a reason code and a message for a person.

    ``field`` names the request field at fault (a google.rpc.BadRequest) when
    the fault is in a field rather than in the document; ``details`` go into
    ErrorInfo.metadata (a limit, an incident id); ``retry_after`` is the
    RetryInfo delay of a refusal worth retrying (OVERLOADED).
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        field: str = "",
        details: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        message = clip(message, MESSAGE_CHARS)
        super().__init__(message)
        self.reason: str = reason
        self.message = message
        self.field = clip(field)
        self.details: dict[str, str] = {k: clip(v) for k, v in (details or {}).items()}
        self.retry_after = retry_after

    @property
    def status(self) -> grpc.StatusCode:
        return STATUS_OF.get(self.reason, grpc.StatusCode.UNKNOWN)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"
