export {
  type BatchDocument,
  type BatchResult,
  type CallParams,
  type ClientOptions,
  type ExtractParams,
  type TlsOptions,
  CHUNK_BYTES,
  GovReportClient,
  UNARY_LIMIT_BYTES,
} from "./client.js";
export { GovReportError } from "./errors.js";
export { PAGE_EXTENSIONS, PAGES_FILENAME } from "./pages.js";
export { status } from "@grpc/grpc-js";
// The messages (types and their toJSON/fromJSON/encode/decode helpers).
export * from "./gen/govreport/v1/report.js";
export * from "./gen/govreport/v1/service.js";
export * from "./gen/govreport/v1/template.js";
export * from "./gen/govreport/v1/validation.js";
