import { type ServiceError, status } from "@grpc/grpc-js";

import { ErrorInfo, RetryInfo } from "./gen/google/rpc/error_details.js";
import { Status } from "./gen/google/rpc/status.js";
import type { Duration } from "./gen/google/protobuf/duration.js";
import { ErrorReason as ProtoErrorReason } from "./gen/govreport/v1/errors.js";
import type { BatchError } from "./gen/govreport/v1/service.js";

const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";
const RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo";
const STATUS_DETAILS_KEY = "grpc-status-details-bin";
const PREFIX = "ERROR_REASON_";

type Unprefixed<K> = K extends `${typeof PREFIX}${infer Name}` ? Name : never;

/**
 * The reasons this client knows: the names of the proto enum
 * `govreport.v1.ErrorReason` (errors.proto) without their `ERROR_REASON_`
 * prefix, e.g. `"OVERLOADED"`. Derived from the generated enum, so a reason
 * added to the proto is here after the next build.
 */
export type KnownErrorReason = Exclude<Unprefixed<keyof typeof ProtoErrorReason>, "UNSPECIFIED">;

/**
 * Why a call or a document failed: one of {@link KnownErrorReason}, or (from
 * a newer server, or a status gRPC made with a code no reason names, such as
 * `"RESOURCE_EXHAUSTED"`) another string: treat an unknown reason by its
 * status code.
 */
export type ErrorReason = KnownErrorReason | (string & {});

/** The reasons as constants: `ErrorReason.OVERLOADED === "OVERLOADED"`. */
export const ErrorReason: { readonly [R in KnownErrorReason]: R } = Object.freeze(
  Object.fromEntries(
    Object.keys(ProtoErrorReason)
      .filter((key) => key.startsWith(PREFIX) && key !== `${PREFIX}UNSPECIFIED`)
      .map((key) => [key.slice(PREFIX.length), key.slice(PREFIX.length)]),
  ),
) as { readonly [R in KnownErrorReason]: R };

export interface GovreportErrorOptions extends ErrorOptions {
  /** The ErrorInfo metadata, e.g. `request_id`, `filename`, `limit`. */
  metadata?: Readonly<Record<string, string>>;
  /** The RetryInfo delay, in milliseconds. */
  retryAfter?: number;
}

/**
 * A failed call or document: the gRPC status code, the reason (an
 * {@link ErrorReason}), a message a person can act on, the ErrorInfo
 * metadata, and how long to wait before sending it again when the server
 * said so (`retryAfter`, from google.rpc.RetryInfo).
 *
 * The reason is the server's google.rpc.ErrorInfo reason; for a status
 * gRPC made itself (no ErrorInfo) the name of its code (`"UNAVAILABLE"`,
 * `"DEADLINE_EXCEEDED"`, …); for a local file that does not exist
 * `"NOT_FOUND"` (with the `ENOENT` error as `cause`), and `"UNREADABLE"`
 * for one that cannot be read.
 */
export class GovreportError extends Error {
  override readonly name = "GovreportError";
  /** The gRPC status code. */
  readonly code: status;
  readonly reason: ErrorReason;
  /** The ErrorInfo metadata, e.g. `request_id`, `filename`, `limit`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The server's RetryInfo delay in milliseconds (OVERLOADED), when it sent one. */
  readonly retryAfter: number | undefined;

  constructor(code: status, reason: ErrorReason, message: string, options: GovreportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = reason || codeName(code);
    this.metadata = options.metadata ?? {};
    this.retryAfter = options.retryAfter;
  }

  /** The code's name, e.g. "INVALID_ARGUMENT". */
  get codeName(): string {
    return codeName(this.code);
  }

  /** The server's id of the request (ErrorInfo metadata `request_id`), to find it in its logs. */
  get requestId(): string | undefined {
    return this.metadata["request_id"];
  }

  /** A failed call: the google.rpc.Status that govreport puts in the trailers. */
  static fromServiceError(err: ServiceError): GovreportError {
    const [raw] = err.metadata?.get(STATUS_DETAILS_KEY) ?? [];
    let details: ReturnType<typeof Status.decode>["details"] = [];
    if (raw instanceof Buffer) {
      try {
        details = Status.decode(raw).details;
      } catch {
        // A trailer we cannot parse must not hide the status code and message.
      }
    }
    return fromDetails(err.code, "", err.details || err.message, details, err);
  }

  /**
   * A document of an ExtractBatch stream that failed: from its full
   * google.rpc.Status when the server sent one, else (older servers) its
   * code, reason and message.
   */
  static fromBatchError(err: BatchError): GovreportError {
    if (err.status) return fromDetails(err.status.code as status, err.reason, err.status.message || err.message, err.status.details);
    return new GovreportError(err.code as status, err.reason, err.message);
  }

  /**
   * A local file that could not be read: NOT_FOUND ("no such file") when it
   * does not exist, else UNREADABLE (a folder, no permission). `cause` is
   * Node's error (`ENOENT`, `EACCES`, …); `metadata.filename` the path.
   * `prefix` names the file in the message (page sets, several files).
   */
  static fromFileError(err: unknown, path: string, prefix = ""): GovreportError {
    const errno = (err as NodeJS.ErrnoException | undefined)?.code;
    const options = { cause: err, metadata: { filename: path } };
    if (errno === "ENOENT" || errno === "ENOTDIR") {
      return new GovreportError(status.NOT_FOUND, ErrorReason.NOT_FOUND, `${prefix}no such file`, options);
    }
    // "EACCES: permission denied, open '/x'" -> "permission denied"
    const raw = err instanceof Error ? err.message : String(err);
    const message = /^[A-Z]+: (.*?)(, \w+ '.*')?$/.exec(raw)?.[1] ?? raw;
    return new GovreportError(status.INVALID_ARGUMENT, ErrorReason.UNREADABLE, `${prefix}${message}`, options);
  }

  /** Anything thrown while making a call, as a GovreportError. */
  static from(err: unknown): GovreportError {
    if (err instanceof GovreportError) return err;
    if (isServiceError(err)) return GovreportError.fromServiceError(err);
    return new GovreportError(status.INTERNAL, ErrorReason.INTERNAL, err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }
}

/**
 * The former name of {@link GovreportError}.
 * @deprecated Use GovreportError.
 */
export const GovReportError = GovreportError;
/** @deprecated Use GovreportError. */
export type GovReportError = GovreportError;

function codeName(code: status): string {
  return status[code] ?? String(code);
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" && "metadata" in err;
}

function fromDetails(
  code: status,
  reason: string,
  message: string,
  details: readonly { typeUrl: string; value: Uint8Array }[],
  cause?: unknown,
): GovreportError {
  let metadata: Record<string, string> = {};
  let retryAfter: number | undefined;
  for (const detail of details) {
    try {
      if (detail.typeUrl === ERROR_INFO_TYPE) {
        const info = ErrorInfo.decode(detail.value);
        reason = info.reason || reason;
        metadata = { ...metadata, ...info.metadata };
      } else if (detail.typeUrl === RETRY_INFO_TYPE) {
        const delay = RetryInfo.decode(detail.value).retryDelay;
        if (delay) retryAfter = milliseconds(delay);
      }
    } catch {
      // A detail we cannot parse must not hide the rest.
    }
  }
  return new GovreportError(code, reason, message, { metadata, retryAfter, cause });
}

function milliseconds(duration: Duration): number {
  return Number(duration.seconds) * 1000 + duration.nanos / 1e6;
}
