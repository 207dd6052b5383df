import { createReadStream, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { once } from "node:events";
import { basename } from "node:path";

import {
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type ServiceError,
  credentials,
  Metadata,
  status,
} from "@grpc/grpc-js";

import { GovReportError } from "./errors.js";
import { PAGES_FILENAME, pagesZip } from "./pages.js";
import type { AnnualReport } from "./gen/govreport/v1/report.js";
import { TemplateVersion } from "./gen/govreport/v1/report.js";
import {
  type ExtractBatchResponse,
  type Extraction,
  type ExtractResponse,
  type GetTemplateResponse,
  type ValidateResponse,
  ExtractOptions,
  ReportExtractorClient,
} from "./gen/govreport/v1/service.js";
import type { TemplateDefinition } from "./gen/govreport/v1/template.js";
import type { ValidationReport } from "./gen/govreport/v1/validation.js";

const MiB = 1024 * 1024;
/** Documents above this go through ExtractUpload rather than one Extract message. */
export const UNARY_LIMIT_BYTES = 4 * MiB;
/** The size of each ExtractUpload chunk. */
export const CHUNK_BYTES = MiB;
/** The server's default max message size; grpc-js's own default (4 MiB) is too small for big results. */
const DEFAULT_MAX_MESSAGE_BYTES = 64 * MiB;

export interface TlsOptions {
  /** PEM roots to trust; the system's when absent. */
  caFile?: string;
  /** PEM client certificate and key, for mutual TLS. */
  certFile?: string;
  keyFile?: string;
}

export interface ClientOptions {
  /**
   * "host:port" or any gRPC target such as "dns:///name:port" (default
   * "localhost:50051"). With several, calls and batches are spread over them
   * round-robin; each target also balances over the addresses its name resolves to.
   */
  addresses?: string | readonly string[];
  /** Deadline of each call in milliseconds (for ExtractBatch, of the whole stream). None when absent. */
  timeoutMs?: number;
  /** TLS; `true` for TLS with the system's roots. Plaintext when absent. */
  tls?: TlsOptions | boolean;
  /** Sent as `authorization: Bearer TOKEN` on every call. */
  token?: string;
  /** Max size of a message sent or received (default 64 MiB, as the server). */
  maxMessageBytes?: number;
}

/** Per-call settings. */
export interface CallParams {
  /** Cancels the call (it then fails with CANCELLED). */
  signal?: AbortSignal;
}

/** What ExtractOptions a call sends, plus its call settings. */
export type ExtractParams = Partial<ExtractOptions> & CallParams;

/** A document given by its bytes rather than by its path. */
export interface BatchDocument {
  /** Returned with the result; the document's index in the input when absent. */
  id?: string;
  filename: string;
  content: Uint8Array;
}

/** One document's outcome in extractMany: an extraction or an error, never both. */
export type BatchResult =
  | { id: string; extraction: Extraction; error?: undefined }
  | { id: string; extraction?: undefined; error: GovReportError };

/**
 * A client of the govreport ReportExtractor service.
 *
 * ```ts
 * const client = new GovReportClient({ addresses: "localhost:50051" });
 * const extraction = await client.extractFile("report.pdf");
 * client.close();
 * ```
 */
export class GovReportClient {
  private readonly stubs: ReportExtractorClient[];
  private readonly options: ClientOptions;
  private next = 0;

  constructor(options: ClientOptions = {}) {
    this.options = options;
    const addresses = typeof options.addresses === "string" ? [options.addresses] : (options.addresses ?? []);
    const targets = addresses.length > 0 ? addresses : ["localhost:50051"];
    const creds = channelCredentials(options.tls);
    const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const channelOptions: ChannelOptions = {
      // A name that resolves to several servers (a headless service, several
      // A records) gets all of them used, not just the first (pick_first).
      "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
      "grpc.max_receive_message_length": maxBytes,
      "grpc.max_send_message_length": maxBytes,
    };
    this.stubs = targets.map((target) => new ReportExtractorClient(target, creds, channelOptions));
  }

  /** Closes the channels; calls in flight fail. */
  close(): void {
    for (const stub of this.stubs) stub.close();
  }

  /** Extracts a file, streaming it from disk with ExtractUpload when over 4 MiB. */
  async extractFile(path: string, params: ExtractParams = {}): Promise<Extraction> {
    const { size } = await stat(path);
    const filename = basename(path);
    if (size <= UNARY_LIMIT_BYTES) return this.extract(await readFile(path), filename, params);
    return this.upload(this.pick(), createReadStream(path, { highWaterMark: CHUNK_BYTES }), filename, size, params);
  }

  /** Extracts a document's bytes (ExtractUpload over 4 MiB); `filename` is used in messages only. */
  async extract(content: Uint8Array, filename: string, params: ExtractParams = {}): Promise<Extraction> {
    const stub = this.pick();
    if (content.length > UNARY_LIMIT_BYTES) {
      return this.upload(stub, chunks(content), filename, content.length, params);
    }
    const request = { content: asBuffer(content), filename, mediaType: "", options: extractOptions(params) };
    const response = await this.unary<ExtractResponse>(params, (md, opts, cb) => stub.extract(request, md, opts, cb));
    if (!response.extraction) throw noResult("Extract");
    return response.extraction;
  }

  /**
   * Extracts page images (one file a page: scans, phone photos) as ONE
   * report, the pages in the order given whatever the files are called. They
   * are sent as a ZIP named "pages.zip" (ExtractUpload over 4 MiB) whose
   * members are "0001-<name>", "0002-<name>", …; the server reads it as
   * DOCUMENT_FORMAT_PAGE_SET.
   *
   * No paths, or a file that is not a .png, .jpg, .jpeg, .tif, .tiff, .bmp or
   * .webp image by its name, is refused before any call: a GovReportError
   * INVALID_ARGUMENT (no reason) naming the file. A page that cannot be read
   * is a GovReportError too (NOT_FOUND when missing).
   */
  async extractPages(paths: readonly string[], params: ExtractParams = {}): Promise<Extraction> {
    return this.extract(await pagesZip(paths), PAGES_FILENAME, params);
  }

  /**
   * Extracts many documents over ExtractBatch streams, one per server
   * address, yielding each result as soon as it is ready (not in input
   * order). A path's id is the path; a BatchDocument's id is its own or its
   * index. A document that fails (or a file that cannot be read) yields an
   * error result and the others go on; a failure of a whole stream (e.g.
   * UNAVAILABLE) is thrown after the results that came before it.
   *
   * Files are read as they are sent, so memory stays bounded by the stream's
   * flow control; files over 4 MiB go through their own ExtractUpload call
   * because a batch message carries a document whole.
   */
  async *extractMany(
    documents: Iterable<string | BatchDocument>,
    params: ExtractParams = {},
  ): AsyncGenerator<BatchResult, void, undefined> {
    // Round-robin split, one group per server, starting after the last server used.
    const groups: { id: string; doc: string | BatchDocument }[][] = this.stubs.map(() => []);
    const start = this.next;
    let index = 0;
    for (const doc of documents) {
      const id = typeof doc === "string" ? doc : (doc.id ?? String(index));
      groups[(start + index) % groups.length]!.push({ id, doc });
      index++;
    }
    this.next = (start + index) % this.stubs.length;

    // Ending the iteration early (break, throw) cancels what is still running.
    const abort = new AbortController();
    const signal = params.signal ? AbortSignal.any([params.signal, abort.signal]) : abort.signal;
    const results = new Merge<BatchResult>();
    const callParams = { ...params, signal };
    groups.forEach((group, i) => {
      if (group.length > 0) results.run((push) => this.batch(this.stubs[i]!, group, callParams, push, results));
    });
    try {
      yield* results;
    } finally {
      abort.abort();
    }
  }

  /**
   * Validates a report, optionally against the same agency's report of the
   * year before (rule R7) and the year it is filed under (rule R9).
   */
  async validate(
    report: AnnualReport,
    previous?: AnnualReport,
    params: CallParams & { filedYear?: number } = {},
  ): Promise<ValidationReport> {
    const stub = this.pick();
    const request = { report, previousYearReport: previous, filedYear: params.filedYear ?? 0 };
    const response = await this.unary<ValidateResponse>(params, (md, opts, cb) => stub.validate(request, md, opts, cb));
    if (!response.validation) throw noResult("Validate");
    return response.validation;
  }

  /** The labels and structure of a template version (2021 when unspecified). */
  async getTemplate(
    version: TemplateVersion = TemplateVersion.TEMPLATE_VERSION_UNSPECIFIED,
    params: CallParams = {},
  ): Promise<TemplateDefinition> {
    const stub = this.pick();
    const response = await this.unary<GetTemplateResponse>(params, (md, opts, cb) =>
      stub.getTemplate({ version }, md, opts, cb));
    if (!response.template) throw noResult("GetTemplate");
    return response.template;
  }

  /** The next server, round-robin. */
  private pick(): ReportExtractorClient {
    const stub = this.stubs[this.next % this.stubs.length]!;
    this.next = (this.next + 1) % this.stubs.length;
    return stub;
  }

  /** Fresh per call: grpc-js may add to the Metadata it is given. */
  private metadata(): Metadata {
    const md = new Metadata();
    if (this.options.token) md.set("authorization", `Bearer ${this.options.token}`);
    return md;
  }

  private callOptions(): CallOptions {
    const { timeoutMs } = this.options;
    return timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
  }

  private unary<Res>(
    params: CallParams,
    invoke: (
      md: Metadata,
      opts: CallOptions,
      callback: (err: ServiceError | null, res?: Res) => void,
    ) => { cancel(): void },
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const call = invoke(this.metadata(), this.callOptions(), (err, res) => {
        release();
        if (err) reject(GovReportError.fromServiceError(err));
        else resolve(res as Res);
      });
      const release = cancelOn(params.signal, call);
    });
  }

  /** ExtractUpload: the header (with the size), then the chunks as the stream accepts them. */
  private upload(
    stub: ReportExtractorClient,
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    filename: string,
    sizeBytes: number,
    params: ExtractParams,
  ): Promise<Extraction> {
    return new Promise<Extraction>((resolve, reject) => {
      // Set once the call has finished, so a sender waiting for 'drain' stops.
      const finished = new AbortController();
      const call = stub.extractUpload(this.metadata(), this.callOptions(), (err, res) => {
        finished.abort();
        release();
        if (err) reject(GovReportError.fromServiceError(err));
        else if (res?.extraction) resolve(res.extraction);
        else reject(noResult("ExtractUpload"));
      });
      const release = cancelOn(params.signal, call);
      const send = async (): Promise<void> => {
        call.write({ header: { filename, mediaType: "", options: extractOptions(params), sizeBytes } });
        for await (const chunk of body) {
          if (finished.signal.aborted) return;
          if (!call.write({ chunk: asBuffer(chunk) })) await once(call, "drain", { signal: finished.signal });
        }
        call.end();
      };
      send().catch((err: unknown) => {
        if (finished.signal.aborted) return; // the call's own outcome is already reported
        reject(GovReportError.from(err)); // e.g. the file could not be read: the first settle wins
        call.cancel();
      });
    });
  }

  /** One ExtractBatch stream over `group`, pushing each result as it arrives. */
  private async batch(
    stub: ReportExtractorClient,
    group: readonly { id: string; doc: string | BatchDocument }[],
    params: ExtractParams,
    push: (result: BatchResult) => void,
    results: Merge<BatchResult>,
  ): Promise<void> {
    const options = extractOptions(params);
    const call = stub.extractBatch(this.metadata(), this.callOptions());
    const release = cancelOn(params.signal, call);
    const finished = new AbortController();
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (res: ExtractBatchResponse) => push(batchResult(res)));
      call.on("error", (err: ServiceError) => {
        finished.abort();
        reject(GovReportError.fromServiceError(err));
      });
      call.on("end", () => {
        finished.abort();
        resolve();
      });
    });
    // Awaited after the sending loop; without a handler now, a failure while
    // a file is being read would count as an unhandled rejection.
    done.catch(() => {});
    try {
      for (const { id, doc } of group) {
        if (finished.signal.aborted) break;
        let content: Buffer;
        let filename: string;
        try {
          if (typeof doc === "string") {
            filename = basename(doc);
            if ((await stat(doc)).size > UNARY_LIMIT_BYTES) {
              results.run(async (pushOne) => {
                pushOne(await this.extractFile(doc, params).then(
                  (extraction) => ({ id, extraction }),
                  (err: unknown) => ({ id, error: GovReportError.from(err) }),
                ));
              });
              continue;
            }
            content = await readFile(doc);
          } else {
            filename = doc.filename;
            content = asBuffer(doc.content);
          }
        } catch (err) {
          push({ id, error: GovReportError.from(err) });
          continue;
        }
        if (!call.write({ id, content, filename, mediaType: "", options })) {
          await once(call, "drain", { signal: finished.signal });
        }
      }
      call.end();
    } catch (err) {
      // A 'drain' wait ended by the call's failure: `done` reports that failure.
      if (!finished.signal.aborted) {
        call.cancel();
        throw err;
      }
    }
    try {
      await done;
    } finally {
      release();
    }
  }
}

/**
 * Items pushed by several concurrent producers, read as one async iterable
 * that ends when every producer has finished, or throws the first producer
 * failure once the items before it are read.
 */
class Merge<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private running = 0;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  run(producer: (push: (item: T) => void) => Promise<void>): void {
    this.running++;
    producer((item) => {
      this.items.push(item);
      this.notify();
    })
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.running--;
        this.notify();
      });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
      } else if (this.failure) {
        throw this.failure.error;
      } else if (this.running === 0) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function channelCredentials(tls: ClientOptions["tls"]): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const { caFile, certFile, keyFile } = tls === true ? {} : tls;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new Error("mutual TLS needs both certFile and keyFile");
  }
  const read = (file?: string): Buffer | null => (file ? readFileSync(file) : null);
  return credentials.createSsl(read(caFile), read(keyFile), read(certFile));
}

/** Cancels `call` when `signal` aborts; returns the function that stops listening. */
function cancelOn(signal: AbortSignal | undefined, call: { cancel(): void }): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    call.cancel();
    return () => {};
  }
  const onAbort = (): void => call.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

function extractOptions(params: ExtractParams): ExtractOptions {
  return ExtractOptions.fromPartial({
    filedYear: params.filedYear,
    templateVersion: params.templateVersion,
    skipValidation: params.skipValidation,
  });
}

function* chunks(content: Uint8Array): Generator<Uint8Array> {
  for (let start = 0; start < content.length; start += CHUNK_BYTES) {
    yield content.subarray(start, start + CHUNK_BYTES);
  }
}

function batchResult(res: ExtractBatchResponse): BatchResult {
  if (res.extraction) return { id: res.id, extraction: res.extraction };
  if (res.error) return { id: res.id, error: GovReportError.fromBatchError(res.error) };
  return { id: res.id, error: noResult("ExtractBatch") };
}

/** A response without its result: a server bug, reported like one. */
function noResult(method: string): GovReportError {
  return new GovReportError(status.INTERNAL, "", `${method} returned no result`);
}

/** The bytes as a Buffer (what the generated code sends), without copying them. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
