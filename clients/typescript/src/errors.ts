import { type ServiceError, status } from "@grpc/grpc-js";

import { ErrorInfo } from "./gen/google/rpc/error_details.js";
import { Status } from "./gen/google/rpc/status.js";
import type { BatchError } from "./gen/govreport/v1/service.js";

const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";
const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/**
 * A failed call or document: the gRPC status code, the server's ErrorInfo
 * reason (e.g. "UNSUPPORTED_FORMAT") and a message a person can act on.
 *
 * `reason` is "" when the failure did not come from govreport itself
 * (e.g. UNAVAILABLE when no server answers, DEADLINE_EXCEEDED).
 */
export class GovReportError extends Error {
  override readonly name = "GovReportError";

  constructor(
    readonly code: status,
    readonly reason: string,
    message: string,
    /** The ErrorInfo metadata, e.g. limits for TOO_LARGE. */
    readonly metadata: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The code's name, e.g. "INVALID_ARGUMENT". */
  get codeName(): string {
    return status[this.code] ?? String(this.code);
  }

  /** The reason if the server gave one, else the code's name: what the CLI prints. */
  get label(): string {
    return this.reason || this.codeName;
  }

  /** Reads the google.rpc.Status that govreport puts in the trailers. */
  static fromServiceError(err: ServiceError): GovReportError {
    const info = errorInfo(err);
    return new GovReportError(err.code, info?.reason ?? "", err.details || err.message, info?.metadata ?? {}, {
      cause: err,
    });
  }

  /** A per-document failure of an ExtractBatch stream. */
  static fromBatchError(err: BatchError): GovReportError {
    return new GovReportError(err.code as status, err.reason, err.message);
  }

  /** Anything thrown while making a call, as a GovReportError. */
  static from(err: unknown): GovReportError {
    if (err instanceof GovReportError) return err;
    if (isServiceError(err)) return GovReportError.fromServiceError(err);
    // A local failure, e.g. a file that cannot be read: no RPC was made.
    const code = (err as NodeJS.ErrnoException)?.code === "ENOENT" ? status.NOT_FOUND : status.UNKNOWN;
    return new GovReportError(code, "", err instanceof Error ? err.message : String(err), {}, { cause: err });
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" && "metadata" in err;
}

function errorInfo(err: ServiceError): ErrorInfo | undefined {
  const [raw] = err.metadata?.get(STATUS_DETAILS_KEY) ?? [];
  if (!(raw instanceof Buffer)) return undefined;
  try {
    const detail = Status.decode(raw).details.find((any) => any.typeUrl === ERROR_INFO_TYPE);
    return detail && ErrorInfo.decode(detail.value);
  } catch {
    // A trailer we cannot parse must not hide the status code and message.
    return undefined;
  }
}
