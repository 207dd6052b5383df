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
