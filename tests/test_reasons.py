"""ErrorReason (proto/govreport/v1/errors.proto) is the one list of reasons: the server's
``Reason`` has each of them with the status code the proto gives it in brackets."""

from __future__ import annotations

import re
from pathlib import Path

import grpc

from govreport.errors import STATUS_OF, Reason
from govreport.v1 import errors_pb2

PROTO = Path(__file__).resolve().parents[1] / "proto/govreport/v1/errors.proto"
PREFIX = "ERROR_REASON_"
NAMES = [value.name for value in errors_pb2.ErrorReason.DESCRIPTOR.values]


def documented_codes() -> dict[str, str]:
    """Each value's name (prefix cut) -> the code in brackets in the comment above it."""
    codes: dict[str, str] = {}
    code = ""
    for line in PROTO.read_text(encoding="utf-8").splitlines():
        if found := re.match(r"\s*// \[([A-Z_]+)\]", line):
            code = found.group(1)
        elif found := re.match(rf"\s*{PREFIX}([A-Z_]+) = \d+;", line):
            if found.group(1) != "UNSPECIFIED":
                codes[found.group(1)] = code
            code = ""
    return codes


def test_every_reason_of_the_proto_is_one_of_ours_with_the_same_code() -> None:
    names = [n.removeprefix(PREFIX) for n in NAMES]
    assert names[0] == "UNSPECIFIED"
    codes = documented_codes()
    assert sorted(codes) == sorted(names[1:])  # every value has its code written down
    for name in names[1:]:
        assert STATUS_OF[Reason(name)] == grpc.StatusCode[codes[name]], name


def test_only_unavailable_reasons_are_retried() -> None:
    """The service config retries UNAVAILABLE: OVERLOADED is one, no limit is."""
    retried = {name for name, code in documented_codes().items() if code == "UNAVAILABLE"}
    assert retried == {"OVERLOADED", "WORKER_FAILED", "SHUTTING_DOWN", "UNAVAILABLE"}


def test_the_command_lines_own_reasons_are_not_sent_by_servers() -> None:
    """Reasons beyond the proto's are the CLI's (its files, settings, JSON), never on the wire."""
    proto = {n.removeprefix(PREFIX) for n in NAMES}
    own = {r.value for r in Reason} - proto
    assert own == {
        "UNWRITABLE",
        "NO_DOCUMENTS",
        "INVALID_ARGUMENT",
        "INVALID_SETTINGS",
        "INVALID_JSON",
        "INVALID_REPORT",
    }
