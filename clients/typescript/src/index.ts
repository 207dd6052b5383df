export {
  type BatchDocument,
  type BatchResult,
  type CallParams,
  type ClientOptions,
  type DocumentOptions,
  type ExtractParams,
  type TlsOptions,
  CHUNK_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  GovreportClient,
  GovReportClient,
  UNARY_LIMIT_BYTES,
} from "./client.js";
export {
  type GovreportErrorOptions,
  type KnownErrorReason,
  ErrorReason,
  GovreportError,
  GovReportError,
} from "./errors.js";
export { PAGE_EXTENSIONS, PAGES_FILENAME, pageFolder } from "./pages.js";
export { status } from "@grpc/grpc-js";
// The proto enum itself (ErrorReason above is its names, as strings).
export { ErrorReason as ErrorReasonProto } from "./gen/govreport/v1/errors.js";
/** The gRPC service config (retry policy) the channels use: proto/govreport/v1/service_config.json. */
export { SERVICE_CONFIG } from "./gen/govreport/v1/service_config.js";
// An Extraction as protojson writes it (what every govreport CLI prints).
export { extractionToJSON, shortestFloat32 } from "./json.js";
// The messages (types and their toJSON/fromJSON/encode/decode helpers).
export * from "./gen/govreport/v1/report.js";
export * from "./gen/govreport/v1/service.js";
export * from "./gen/govreport/v1/template.js";
export * from "./gen/govreport/v1/validation.js";
