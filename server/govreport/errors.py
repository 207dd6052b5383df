"""The errors govreport reports, each with the gRPC status and ErrorInfo reason it maps to."""

from __future__ import annotations

from enum import StrEnum

import grpc


class Reason(StrEnum):
    """ErrorInfo reasons (documented in proto/govreport/v1/service.proto)."""

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
    CANCELLED = "CANCELLED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INTERNAL = "INTERNAL"


STATUS_OF: dict[Reason, grpc.StatusCode] = {
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
    Reason.OVERLOADED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Reason.WORKER_FAILED: grpc.StatusCode.UNAVAILABLE,
    Reason.CANCELLED: grpc.StatusCode.CANCELLED,
    Reason.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    Reason.INTERNAL: grpc.StatusCode.INTERNAL,
}


class GovreportError(Exception):
    """A failure a caller can act on: a reason code and a message for a person.

    ``field`` names the request field at fault (for a google.rpc.BadRequest
    detail) when the fault is in a field rather than in the document.
    """

    def __init__(self, reason: Reason, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field

    @property
    def status(self) -> grpc.StatusCode:
        return STATUS_OF[self.reason]

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.message}"
