import "./dispose.js"; // first: Symbol.dispose on Node 20.3

import { createReadStream, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { once } from "node:events";
import { basename } from "node:path";

import {
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Deadline,
  type ServiceError,
  credentials,
  Metadata,
  status,
} from "@grpc/grpc-js";

import { ErrorReason, GovreportError } from "./errors.js";
import { PAGES_FILENAME, pageFolder, pagesZip } from "./pages.js";
import type { Duration } from "./gen/google/protobuf/duration.js";
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
import { SERVICE_CONFIG } from "./gen/govreport/v1/service_config.js";
import type { TemplateDefinition } from "./gen/govreport/v1/template.js";
import type { ValidationReport } from "./gen/govreport/v1/validation.js";

const MiB = 1024 * 1024;
/** Documents above this go through ExtractUpload rather than one Extract message. */
export const UNARY_LIMIT_BYTES = 4 * MiB;
/** The size of each ExtractUpload chunk. */
export const CHUNK_BYTES = MiB;
/** The server's default max message size; grpc-js's own default (4 MiB) is too small for big results. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * MiB;

export interface TlsOptions {
  /** PEM roots to trust; the system's when absent. */
  caFile?: string;
  /** PEM client certificate and key, for mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /**
   * The name the server's certificate must carry, when the address is not
   * that name (e.g. an IP address); also sent as the call's authority.
   */
  serverName?: string;
}

export interface ClientOptions {
  /**
   * "host:port" or any gRPC target such as "dns:///name:port" (default
   * "localhost:50051"). With several, calls and batches are spread over them
   * round-robin; each target also balances over the addresses its name resolves to.
   */
  addresses?: string | readonly string[];
  /**
   * Each document's deadline in milliseconds (none when absent): the
   * deadline of a call that sends one document (extract, extractFile,
   * extractPages, and validate and getTemplate), and in extractMany each
   * document's `ExtractOptions.time_limit` (the stream itself has no deadline).
   */
  timeoutMs?: number;
  /** TLS; `true` for TLS with the system's roots. Plaintext when absent. */
  tls?: TlsOptions | boolean;
  /** Sent as `authorization: Bearer TOKEN` on every call. */
  token?: string;
  /**
   * Max size of a message sent or received (default 64 MiB, as the
   * server); also how much of one call gRPC keeps to re-send it on a retry.
   */
  maxMessageBytes?: number;
}

/** Per-call settings. */
export interface CallParams {
  /** Cancels the call: it then rejects with the signal's reason (an `AbortError` DOMException by default). */
  signal?: AbortSignal;
  /** This call's deadline (a Date, or milliseconds since the epoch); over it, DEADLINE_EXCEEDED. */
  deadline?: Date | number;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
}

/** The ExtractOptions a call sends, plus its call settings. */
export interface ExtractParams extends CallParams {
  /** The year the report is filed under (rule R9); 0 or absent when unknown. */
  filedYear?: number;
  /** Read the tables as this template version instead of detecting it. */
  templateVersion?: TemplateVersion;
  /** Return the report without validating it. */
  skipValidation?: boolean;
  /**
   * The most time, in milliseconds, each document may take once the server
   * has taken it up (ExtractOptions.time_limit); over it, that document
   * fails with DEADLINE_EXCEEDED. In extractMany it defaults to `timeoutMs`.
   */
  timeLimit?: number;
}

/** A document given by its bytes rather than by its path. */
export interface BatchDocument {
  /** Returned with the result; the document's index in the input when absent. */
  id?: string;
  filename: string;
  content: Uint8Array;
  /** This document's own ExtractOptions, over those of the call (e.g. its own `timeLimit`). */
  options?: DocumentOptions;
}

/** The ExtractOptions of one document. */
export type DocumentOptions = Omit<ExtractParams, keyof CallParams>;

/** One document's outcome in extractMany: an extraction or an error, never both. */
export type BatchResult =
  | { id: string; extraction: Extraction; error?: undefined }
  | { id: string; extraction?: undefined; error: GovreportError };

/**
 * A client of the govreport ReportExtractor service.
 *
 * ```ts
 * using client = new GovreportClient({ addresses: "localhost:50051" });
 * const extraction = await client.extractFile("report.pdf");
 * ```
 *
 * Calls that end UNAVAILABLE (OVERLOADED, WORKER_FAILED, SHUTTING_DOWN, a
 * server out of reach) are retried by gRPC itself, per the service config
 * of proto/govreport/v1/service_config.json: up to 5 attempts, backoff from
 * 0.5 s, or after the server's `grpc-retry-pushback-ms`.
 */
export class GovreportClient implements Disposable {
  private readonly stubs: ReportExtractorClient[];
  private readonly options: ClientOptions;
  private next = 0;

  constructor(options: ClientOptions = {}) {
    this.options = options;
    const addresses = typeof options.addresses === "string" ? [options.addresses] : (options.addresses ?? []);
    const targets = addresses.length > 0 ? addresses : ["localhost:50051"];
    const creds = channelCredentials(options.tls);
    const channel = channelOptions(options);
    this.stubs = targets.map((target) => new ReportExtractorClient(target, creds, channel));
  }

  /** Closes the channels; calls in flight fail. */
  close(): void {
    for (const stub of this.stubs) stub.close();
  }

  /** `using client = new GovreportClient(…)` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Extracts a file, streaming it from disk with ExtractUpload when over
   * 4 MiB. A folder of page images numbered 1…N (第1页.jpg, …) is one
   * report, sent as a page set named after the folder. A file that does not
   * exist is a GovreportError NOT_FOUND (its `cause` the ENOENT error); one
   * that cannot be read, UNREADABLE.
   */
  async extractFile(path: string, params: ExtractParams = {}): Promise<Extraction> {
    params.signal?.throwIfAborted();
    let size: number;
    let folder: boolean;
    try {
      const info = await stat(path);
      size = info.size;
      folder = info.isDirectory();
    } catch (err) {
      throw GovreportError.fromFileError(err, path);
    }
    params.signal?.throwIfAborted();
    if (folder) {
      const pages = await pageFolder(path);
      if (!pages) {
        throw new GovreportError(
          status.INVALID_ARGUMENT,
          "",
          "a folder is read as one report only when it holds page images numbered 1…N (第1页.jpg, p2.png, …); give its documents instead",
          { metadata: { filename: path } },
        );
      }
      return this.extractPages(pages, { ...params, filename: `${basename(path) || "pages"}.zip` });
    }
    const filename = basename(path);
    if (size > UNARY_LIMIT_BYTES) {
      const body = createReadStream(path, { highWaterMark: CHUNK_BYTES });
      return this.upload(this.pick(), fileChunks(body, path), filename, size, params);
    }
    let content: Buffer;
    try {
      content = await readFile(path, { signal: params.signal });
    } catch (err) {
      params.signal?.throwIfAborted();
      throw GovreportError.fromFileError(err, path);
    }
    return this.extract(content, filename, params);
  }

  /** Extracts a document's bytes (ExtractUpload over 4 MiB); `filename` is used in messages only. */
  async extract(content: Uint8Array, filename: string, params: ExtractParams = {}): Promise<Extraction> {
    params.signal?.throwIfAborted();
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
   * are sent as a ZIP named "pages.zip" (or `params.filename`; ExtractUpload
   * over 4 MiB) whose members are "0001-<name>", "0002-<name>", …; the
   * server reads it as DOCUMENT_FORMAT_PAGE_SET.
   *
   * No paths, or a file that is not a .png, .jpg, .jpeg, .tif, .tiff, .bmp or
   * .webp image by its name, is refused before any call: a GovreportError
   * INVALID_ARGUMENT naming the file. A page that cannot be read is a
   * GovreportError too (NOT_FOUND when missing, UNREADABLE).
   */
  async extractPages(paths: readonly string[], params: ExtractParams & { filename?: string } = {}): Promise<Extraction> {
    params.signal?.throwIfAborted();
    const archive = await pagesZip(paths);
    return this.extract(archive, params.filename ?? PAGES_FILENAME, params);
  }

  /**
   * Extracts many documents over ExtractBatch streams, one per server
   * address, yielding each result as soon as it is ready (not in input
   * order). A path's id is the path; a BatchDocument's id is its own or its
   * index. A document that fails (or a file that cannot be read) yields an
   * error result and the others go on; a failure of a whole stream (e.g.
   * UNAVAILABLE) is thrown after the results that came before it.
   *
   * Each document has its own deadline, `params.timeLimit` (default: the
   * `timeoutMs` of the call or the client), sent as ExtractOptions.time_limit:
   * over it that document fails with DEADLINE_EXCEEDED and the others go on.
   * The streams have no deadline unless `params.deadline` sets one.
   *
   * Files are read as they are sent, so memory stays bounded by the stream's
   * flow control; files over 4 MiB, and folders of page images, go through
   * their own call (with that deadline) because a batch message carries a
   * document whole.
   */
  async *extractMany(
    documents: Iterable<string | BatchDocument>,
    params: ExtractParams = {},
  ): AsyncGenerator<BatchResult, void, undefined> {
    params.signal?.throwIfAborted();
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
    const timeLimit = params.timeLimit ?? params.timeoutMs ?? this.options.timeoutMs;
    const results = new Merge<BatchResult>();
    const callParams = { ...params, signal, timeLimit };
    groups.forEach((group, i) => {
      if (group.length > 0) results.run((push) => this.batch(this.stubs[i]!, group, callParams, push, results));
    });
    try {
      for await (const result of results) {
        params.signal?.throwIfAborted();
        yield result;
      }
      params.signal?.throwIfAborted();
    } catch (err) {
      params.signal?.throwIfAborted(); // the caller's abort, not the CANCELLED it caused
      throw err;
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

  /** The call's deadline: the earlier of `deadline` and now + `timeoutMs` (the call's, or the client's). */
  private callOptions(params: CallParams, useTimeout = true): CallOptions {
    const timeoutMs = useTimeout ? (params.timeoutMs ?? this.options.timeoutMs) : undefined;
    const deadlines: number[] = [];
    if (params.deadline !== undefined) deadlines.push(params.deadline instanceof Date ? params.deadline.getTime() : params.deadline);
    if (timeoutMs !== undefined) deadlines.push(Date.now() + timeoutMs);
    if (deadlines.length === 0) return {};
    const deadline: Deadline = Math.min(...deadlines);
    return { deadline };
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
      const { signal } = params;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const call = invoke(this.metadata(), this.callOptions(params), (err, res) => {
        release();
        if (err) reject(signal?.aborted ? signal.reason : GovreportError.fromServiceError(err));
        else resolve(res as Res);
      });
      const release = cancelOn(signal, call);
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
      const { signal } = params;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      // Set once the call has finished, so a sender waiting for 'drain' stops.
      const finished = new AbortController();
      const call = stub.extractUpload(this.metadata(), this.callOptions(params), (err, res) => {
        finished.abort();
        release();
        if (err) reject(signal?.aborted ? signal.reason : GovreportError.fromServiceError(err));
        else if (res?.extraction) resolve(res.extraction);
        else reject(noResult("ExtractUpload"));
      });
      const release = cancelOn(signal, call);
      const send = async (): Promise<void> => {
        call.write({
          header: { filename, mediaType: "", options: extractOptions(params), sizeBytes: BigInt(sizeBytes) },
        });
        for await (const chunk of body) {
          if (finished.signal.aborted) return;
          if (!call.write({ chunk: asBuffer(chunk) })) await once(call, "drain", { signal: finished.signal });
        }
        call.end();
      };
      send().catch((err: unknown) => {
        if (finished.signal.aborted) return; // the call's own outcome is already reported
        // e.g. the file could not be read: the first settle wins
        reject(signal?.aborted ? signal.reason : GovreportError.from(err));
        call.cancel();
      });
    });
  }

  /** One ExtractBatch stream over `group`, pushing each result as it arrives. */
  private async batch(
    stub: ReportExtractorClient,
    group: readonly { id: string; doc: string | BatchDocument }[],
    params: ExtractParams & { signal: AbortSignal },
    push: (result: BatchResult) => void,
    results: Merge<BatchResult>,
  ): Promise<void> {
    const { signal } = params;
    const options = extractOptions(params);
    // No deadline but the caller's own: each document has its time_limit.
    const call = stub.extractBatch(this.metadata(), this.callOptions(params, false));
    const release = cancelOn(signal, call);
    const finished = new AbortController();
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (res: ExtractBatchResponse) => push(batchResult(res)));
      call.on("error", (err: ServiceError) => {
        finished.abort();
        reject(signal.aborted ? signal.reason : GovreportError.fromServiceError(err));
      });
      call.on("end", () => {
        finished.abort();
        resolve();
      });
    });
    // Awaited after the sending loop; without a handler now, a failure while
    // a file is being read would count as an unhandled rejection.
    done.catch(() => {});
    // A document sent on its own call: with the document's deadline.
    const alone = (id: string, path: string): void =>
      results.run(async (pushOne) => {
        const single = { ...params, timeoutMs: params.timeLimit, timeLimit: undefined };
        pushOne(await this.extractFile(path, single).then(
          (extraction) => ({ id, extraction }),
          (err: unknown) => {
            if (signal.aborted) throw signal.reason;
            return { id, error: GovreportError.from(err) };
          },
        ));
      });
    try {
      for (const { id, doc } of group) {
        if (finished.signal.aborted) break;
        let content: Buffer;
        let filename: string;
        if (typeof doc === "string") {
          filename = basename(doc);
          try {
            const info = await stat(doc);
            if (info.isDirectory() || info.size > UNARY_LIMIT_BYTES) {
              alone(id, doc);
              continue;
            }
            content = await readFile(doc);
          } catch (err) {
            push({ id, error: GovreportError.fromFileError(err, doc) });
            continue;
          }
        } else {
          filename = doc.filename;
          content = asBuffer(doc.content);
        }
        if (finished.signal.aborted) break;
        const own = typeof doc === "string" || !doc.options ? options : extractOptions({ ...params, ...doc.options });
        if (!call.write({ id, content, filename, mediaType: "", options: own })) {
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
 * The former name of {@link GovreportClient}.
 * @deprecated Use GovreportClient.
 */
export const GovReportClient = GovreportClient;
/** @deprecated Use GovreportClient. */
export type GovReportClient = GovreportClient;

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

/** The options of every channel: the service config (retries), the retry buffer, message sizes, TLS name. */
export function channelOptions(options: ClientOptions): ChannelOptions {
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const channelOptions: ChannelOptions = {
    // The retry policy of proto/govreport/v1/service_config.json (embedded
    // at generate time), and round_robin so that a name resolving to
    // several servers (a headless service, several A records) gets all of
    // them used, not just the first (pick_first).
    "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }], ...SERVICE_CONFIG }),
    // Ours, not one a DNS TXT record might carry.
    "grpc.service_config_disable_resolution": 1,
    "grpc.enable_retries": 1,
    // gRPC keeps what a call sent to re-send it: up to a whole message per
    // call (grpc-js keeps 1 MiB by default: no document over it could be
    // retried), and room for a few such calls on the channel.
    "grpc.per_rpc_retry_buffer_size": maxBytes,
    "grpc.retry_buffer_size": 4 * maxBytes,
    "grpc.max_receive_message_length": maxBytes,
    "grpc.max_send_message_length": maxBytes,
  };
  const serverName = typeof options.tls === "object" ? options.tls.serverName : undefined;
  if (serverName) {
    channelOptions["grpc.ssl_target_name_override"] = serverName;
    channelOptions["grpc.default_authority"] = serverName;
  }
  return channelOptions;
}

function channelCredentials(tls: ClientOptions["tls"]): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const { caFile, certFile, keyFile } = tls === true ? ({} as TlsOptions) : tls;
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
    timeLimit: params.timeLimit === undefined ? undefined : duration(params.timeLimit),
  });
}

/** Milliseconds as a google.protobuf.Duration. */
function duration(ms: number): Duration {
  const whole = Math.floor(ms);
  return { seconds: BigInt(Math.floor(whole / 1000)), nanos: (whole % 1000) * 1_000_000 + Math.round((ms - whole) * 1e6) };
}

/** A file's chunks, a read failure as the GovreportError it is (NOT_FOUND, UNREADABLE). */
async function* fileChunks(body: AsyncIterable<Uint8Array>, path: string): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (err) {
    throw GovreportError.fromFileError(err, path);
  }
}

function* chunks(content: Uint8Array): Generator<Uint8Array> {
  for (let start = 0; start < content.length; start += CHUNK_BYTES) {
    yield content.subarray(start, start + CHUNK_BYTES);
  }
}

function batchResult(res: ExtractBatchResponse): BatchResult {
  if (res.extraction) return { id: res.id, extraction: res.extraction };
  if (res.error) return { id: res.id, error: GovreportError.fromBatchError(res.error) };
  return { id: res.id, error: noResult("ExtractBatch") };
}

/** A response without its result: a server bug, reported like one. */
function noResult(method: string): GovreportError {
  return new GovreportError(status.INTERNAL, ErrorReason.INTERNAL, `${method} returned no result`);
}

/** The bytes as a Buffer (what the generated code sends), without copying them. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
