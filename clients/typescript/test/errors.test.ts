// Unit tests of GovreportError (src/errors.ts): no server needed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Metadata, type ServiceError } from "@grpc/grpc-js";

import { BatchError, ErrorReason, ErrorReasonProto, GovreportError, type KnownErrorReason, status } from "../dist/index.js";
import { Any } from "../dist/gen/google/protobuf/any.js";
import { ErrorInfo, RetryInfo } from "../dist/gen/google/rpc/error_details.js";
import { Status } from "../dist/gen/google/rpc/status.js";

const overloaded = Status.fromPartial({
  code: status.UNAVAILABLE,
  message: "the server is busy",
  details: [
    Any.fromPartial({
      typeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
      value: Buffer.from(ErrorInfo.encode(ErrorInfo.fromPartial({ reason: "OVERLOADED", domain: "govreport", metadata: { request_id: "abc" } })).finish()),
    }),
    Any.fromPartial({
      typeUrl: "type.googleapis.com/google.rpc.RetryInfo",
      value: Buffer.from(RetryInfo.encode(RetryInfo.fromPartial({ retryDelay: { seconds: 2n, nanos: 500_000_000 } })).finish()),
    }),
  ],
});

describe("GovreportError", () => {
  test("ErrorReason: every name of the proto enum without its prefix, as constants", () => {
    const names = Object.keys(ErrorReasonProto).filter((k) => k.startsWith("ERROR_REASON_") && k !== "ERROR_REASON_UNSPECIFIED");
    assert.deepEqual(Object.keys(ErrorReason).sort(), names.map((k) => k.slice("ERROR_REASON_".length)).sort());
    assert.equal(ErrorReason.OVERLOADED, "OVERLOADED");
    assert.equal(ErrorReason.NOT_FOUND, "NOT_FOUND");
    assert.equal(ErrorReason.UNREADABLE, "UNREADABLE");
    const known: KnownErrorReason = "DEADLINE_EXCEEDED";
    assert.ok(known in ErrorReason);
  });

  test("from a call's status: ErrorInfo reason and metadata, RetryInfo delay", () => {
    const metadata = new Metadata();
    metadata.set("grpc-status-details-bin", Buffer.from(Status.encode(overloaded).finish()));
    const err: ServiceError = Object.assign(new Error("14 UNAVAILABLE: the server is busy"), {
      code: status.UNAVAILABLE,
      details: "the server is busy",
      metadata,
    });
    const error = GovreportError.from(err);
    assert.equal(error.code, status.UNAVAILABLE);
    assert.equal(error.reason, "OVERLOADED");
    assert.equal(error.message, "the server is busy");
    assert.deepEqual(error.metadata, { request_id: "abc" });
    assert.equal(error.requestId, "abc");
    assert.equal(error.retryAfter, 2500);
    assert.equal(error.cause, err);
  });

  test("a status without ErrorInfo: the code's name", () => {
    const err: ServiceError = Object.assign(new Error("4 DEADLINE_EXCEEDED"), {
      code: status.DEADLINE_EXCEEDED,
      details: "Deadline exceeded",
      metadata: new Metadata(),
    });
    const error = GovreportError.fromServiceError(err);
    assert.equal(error.reason, "DEADLINE_EXCEEDED");
    assert.equal(error.codeName, "DEADLINE_EXCEEDED");
    assert.equal(error.retryAfter, undefined);
  });

  test("a batch error: from its full status when there, else its code, reason and message", () => {
    const full = GovreportError.fromBatchError(
      BatchError.fromPartial({ code: status.UNAVAILABLE, reason: "OVERLOADED", message: "busy", status: overloaded }),
    );
    assert.equal(full.reason, "OVERLOADED");
    assert.equal(full.retryAfter, 2500);
    assert.deepEqual(full.metadata, { request_id: "abc" });
    const old = GovreportError.fromBatchError(BatchError.fromPartial({ code: status.INVALID_ARGUMENT, reason: "UNSUPPORTED_FORMAT", message: "no" }));
    assert.equal(old.code, status.INVALID_ARGUMENT);
    assert.equal(old.reason, "UNSUPPORTED_FORMAT");
    assert.equal(old.message, "no");
  });

  test("local files: NOT_FOUND for a missing one, UNREADABLE for one that cannot be read", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x/a.pdf'"), { code: "ENOENT" });
    const missing = GovreportError.fromFileError(enoent, "/x/a.pdf");
    assert.deepEqual([missing.code, missing.reason, missing.message, missing.cause], [status.NOT_FOUND, "NOT_FOUND", "no such file", enoent]);
    const eacces = Object.assign(new Error("EACCES: permission denied, open '/x/a.pdf'"), { code: "EACCES" });
    const denied = GovreportError.fromFileError(eacces, "/x/a.pdf");
    assert.deepEqual([denied.code, denied.reason, denied.message], [status.INVALID_ARGUMENT, "UNREADABLE", "permission denied"]);
  });
});
