// End-to-end tests against the real Python server, started on a free port.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import {
  type AnnualReport,
  type Cell,
  CellState,
  type BatchResult,
  DocumentFormat,
  ErrorReason,
  Extraction,
  GovreportClient,
  GovreportError,
  SERVICE_CONFIG,
  TemplateVersion,
  type TemplateDefinition,
  status,
} from "../dist/index.js";
import { channelOptions } from "../dist/client.js";
import { pagesZip } from "../dist/pages.js";
import { PAGES, SEED, SLOW_PAGES, type Server, repo, samples, startServer, waitFor } from "./server.js";

const TOKEN = "test-token";

let server: Server;
let address: string;
let client: GovreportClient;

/** The gold file's rows: section, row and column labels, and the expected value. */
function goldCells(seed: string): { section: string; row: string; column: string; expected: string }[] {
  const lines = readFileSync(join(repo, "tests/gold", `${seed}.cells.csv`), "utf8").trim().split("\n").slice(1);
  // Labels hold no commas (they use "，"), so a plain split is enough.
  return lines.map((line) => {
    const [section, row, column, expected] = line.split(",") as [string, string, string, string];
    return { section, row, column, expected };
  });
}

/** The report's Cell at a template path such as "application_handling.new_applications" + "total". */
function cellAt(report: AnnualReport, path: string): Cell | undefined {
  let value: unknown = report;
  for (const name of path.split(".").filter(Boolean)) {
    const key = name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()); // ts-proto's camelCase
    value = (value as Record<string, unknown> | undefined)?.[key];
  }
  return value as Cell | undefined;
}

/** Where each (section, row, column) of the gold file lives in an AnnualReport. */
function cellPaths(template: TemplateDefinition): Map<string, string> {
  const paths = new Map<string, string>();
  for (const table of template.tables) {
    for (const row of table.rows) {
      for (const column of row.columns) {
        paths.set(`${table.section}|${row.label}|${column.label}`, [row.field, column.field].join("."));
      }
    }
  }
  return paths;
}

before(async () => {
  server = await startServer(["--auth-tokens", TOKEN, "--metrics-port", "0"]);
  address = server.address;
  client = new GovreportClient({ addresses: address, timeoutMs: 120_000, token: TOKEN });
});

after(async () => {
  client?.close();
  await server?.stop();
});

describe("GovreportClient", { timeout: 300_000 }, () => {
  test("extracts a seed report: metadata and every cell of the gold file", async () => {
    const extraction = await client.extractFile(join(samples, `${SEED}.txt`));
    const report = extraction.report!;
    const meta = JSON.parse(readFileSync(join(repo, "tests/gold", `${SEED}.meta.json`), "utf8"));
    assert.equal(report.metadata?.reportYear, meta.report_year);
    assert.equal(report.metadata?.agency, meta.agency);
    assert.equal(report.metadata?.title, meta.title);
    assert.equal(report.metadata?.publicationDate, meta.publication_date);
    assert.equal(report.metadata?.templateVersion, TemplateVersion.TEMPLATE_VERSION_2021);
    assert.equal(extraction.document?.filename, `${SEED}.txt`);

    // The gold file names cells by their template labels; GetTemplate maps them to fields.
    const paths = cellPaths(await client.getTemplate(TemplateVersion.TEMPLATE_VERSION_2021));
    const gold = goldCells(SEED);
    const numbers = gold.filter((g) => /^[+-]?\d+(\.\d+)?$/.test(g.expected));
    assert.ok(new Set(numbers.map((g) => g.section)).size === 3, "numbers in sections 二, 三 and 四");
    assert.ok(numbers.some((g) => g.expected === "292"));
    for (const { section, row, column, expected } of numbers) {
      const path = paths.get(`${section}|${row}|${column}`);
      assert.ok(path, `template has no cell ${section} ${row} ${column}`);
      const cell = cellAt(report, path);
      const where = `${section} ${row} ${column} (${path})`;
      assert.ok(cell, `no cell at ${where}`);
      assert.equal(cell.state, CellState.CELL_STATE_NUMBER, where);
      const value = Number(cell.count ?? cell.change ?? cell.amount);
      assert.equal(value, Number(expected), where);
    }
  });

  test("a document in no known format fails with INVALID_ARGUMENT / UNSUPPORTED_FORMAT", async () => {
    const err = await client.extract(Buffer.from("\x00\x01garbage", "latin1"), "x.bin").then(
      () => assert.fail("garbage was extracted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GovreportError, String(err));
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.equal(err.reason, "UNSUPPORTED_FORMAT");
    assert.match(err.message, /x\.bin/);
  });

  test("documents over 4 MiB go through ExtractUpload", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024);
    big.write("\x00\x01garbage", "latin1");
    await assert.rejects(client.extract(big, "big.bin"), { code: status.INVALID_ARGUMENT, reason: "UNSUPPORTED_FORMAT" });
  });

  test("extractMany over two seeds, spread over two addresses", async () => {
    const many = new GovreportClient({ addresses: [address, address], timeoutMs: 60_000, token: TOKEN });
    try {
      const files = [join(samples, `${SEED}.txt`), join(samples, "001_9fd470447c6cfcf1.txt")];
      const inputs = [...files, { id: "garbage", filename: "x.bin", content: Buffer.from("\x00\x01garbage", "latin1") }];
      const results = new Map<string, BatchResult>();
      for await (const result of many.extractMany(inputs)) results.set(result.id, result);
      assert.deepEqual([...results.keys()].sort(), [...files, "garbage"].sort());
      for (const file of files) {
        const result = results.get(file)!;
        assert.equal(result.error, undefined, result.error?.message);
        assert.ok(result.extraction?.report?.metadata?.reportYear);
      }
      assert.equal(results.get(files[0]!)?.extraction?.report?.proactiveDisclosure2021?.licensingDecisions?.count, 292n);
      const failed = results.get("garbage")!;
      assert.equal(failed.error?.code, status.INVALID_ARGUMENT);
      assert.equal(failed.error?.reason, "UNSUPPORTED_FORMAT");
    } finally {
      many.close();
    }
  });

  // Needs the server's page sets (a ZIP of page images as one document).
  test("extractPages reads page images as one report, in the order given", async () => {
    const extraction = await client.extractPages(PAGES);
    assert.equal(extraction.document?.format, DocumentFormat.DOCUMENT_FORMAT_PAGE_SET);
    assert.equal(extraction.document?.pageCount, PAGES.length);
    assert.equal(extraction.document?.filename, "pages.zip");
    const meta = extraction.report?.metadata;
    assert.equal(meta?.reportYear, 2024);
    assert.equal(meta?.agency, "示例县卫生健康局");
    // The date is printed on the third page: read on page 3, the pages kept their order.
    assert.equal(meta?.publicationDate, "2025-01-10");
    assert.equal(meta?.sources["publication_date"]?.page, 3);
  });

  test("getTemplate describes the 2021 template", async () => {
    const template = await client.getTemplate();
    assert.equal(template.version, TemplateVersion.TEMPLATE_VERSION_2021);
    assert.deepEqual(
      template.sections.map((s) => s.number),
      ["一", "二", "三", "四", "五", "六"],
    );
    assert.deepEqual(
      template.tables.map((t) => t.section),
      ["二", "三", "四"],
    );
    assert.ok(template.rules.some((r) => r.id === "R1"));
  });

  test("validate checks a report", async () => {
    const { report } = await client.extractFile(join(samples, `${SEED}.txt`));
    const validation = await client.validate(report!);
    assert.ok(validation.rulesChecked.length > 0);
  });

  test("calls without the bearer token are refused", async () => {
    const anonymous = new GovreportClient({ addresses: address, timeoutMs: 10_000 });
    try {
      await assert.rejects(anonymous.getTemplate(), { code: status.UNAUTHENTICATED });
    } finally {
      anonymous.close();
    }
  });
});

describe("errors", { timeout: 300_000 }, () => {
  test("a missing file is NOT_FOUND, its cause the ENOENT, in every entry point, before any call", async () => {
    const missing = join(tmpdir(), "no-such-dir-govreport", "report.pdf");
    // Nothing listens on port 1: a call would fail UNAVAILABLE.
    using offline = new GovreportClient({ addresses: "127.0.0.1:1" });
    const check = (err: unknown, message: string): true => {
      assert.ok(err instanceof GovreportError, String(err));
      assert.equal(err.code, status.NOT_FOUND);
      assert.equal(err.reason, "NOT_FOUND");
      assert.equal(err.reason, ErrorReason.NOT_FOUND);
      assert.equal(err.message, message);
      assert.equal(err.metadata["filename"], missing);
      assert.equal((err.cause as NodeJS.ErrnoException).code, "ENOENT");
      return true;
    };
    await assert.rejects(offline.extractFile(missing), (err) => check(err, "no such file"));
    await assert.rejects(offline.extractPages([PAGES[0]!, missing.replace(".pdf", ".png")]), (err) => {
      assert.ok(err instanceof GovreportError);
      assert.equal(err.reason, "NOT_FOUND");
      assert.equal(err.message, `${missing.replace(".pdf", ".png")}: no such file`);
      assert.equal((err.cause as NodeJS.ErrnoException).code, "ENOENT");
      return true;
    });
    // In a batch, that document's result; the server is reached for the others.
    const results: BatchResult[] = [];
    for await (const result of client.extractMany([missing, join(samples, `${SEED}.txt`)])) results.push(result);
    const failed = results.find((r) => r.id === missing);
    assert.ok(failed?.error, "the missing file has an error result");
    check(failed.error, "no such file");
    assert.equal(results.find((r) => r.id !== missing)?.extraction?.report?.metadata?.reportYear, 2023);
  });

  test("a status gRPC made itself has its code's name as reason", async () => {
    using offline = new GovreportClient({ addresses: "127.0.0.1:1", timeoutMs: 60_000 });
    await assert.rejects(offline.getTemplate(), (err) => {
      assert.ok(err instanceof GovreportError, String(err));
      assert.equal(err.code, status.UNAVAILABLE);
      assert.equal(err.reason, "UNAVAILABLE");
      return true;
    });
    // A call over its deadline: DEADLINE_EXCEEDED, twelve pages of OCR in 300 ms.
    await assert.rejects(client.extractPages(SLOW_PAGES, { timeoutMs: 300 }), (err) => {
      assert.ok(err instanceof GovreportError, String(err));
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
      assert.equal(err.reason, ErrorReason.DEADLINE_EXCEEDED);
      return true;
    });
  });

  test("the server's errors carry their ErrorInfo metadata (request_id)", async () => {
    const err = await client.extract(Buffer.from("\x00\x01garbage", "latin1"), "x.bin").then(
      () => assert.fail("garbage was extracted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GovreportError);
    assert.equal(err.reason, "UNSUPPORTED_FORMAT");
    assert.match(err.metadata["request_id"] ?? "", /^[0-9a-f]{16}$/);
    assert.equal(err.requestId, err.metadata["request_id"]);
    assert.equal(err.retryAfter, undefined);
  });

  test("a batch document's error is built from BatchError.status, as a call's", async () => {
    const results: BatchResult[] = [];
    for await (const result of client.extractMany([{ id: "garbage", filename: "x.bin", content: Buffer.from("\x00\x01garbage", "latin1") }])) {
      results.push(result);
    }
    const [result] = results;
    assert.ok(result?.error instanceof GovreportError);
    assert.equal(result.error.code, status.INVALID_ARGUMENT);
    assert.equal(result.error.reason, "UNSUPPORTED_FORMAT");
    // Only the full status carries the ErrorInfo metadata.
    assert.match(result.error.metadata["request_id"] ?? "", /^[0-9a-f]{16}$/);
    assert.equal(result.error.metadata["filename"], "x.bin");
  });
});

describe("cancelling", { timeout: 300_000 }, () => {
  const isAbort = (controller: AbortController) => (err: unknown): true => {
    assert.ok(err instanceof DOMException, String(err));
    assert.equal(err.name, "AbortError");
    assert.equal(err, controller.signal.reason);
    return true;
  };

  test("aborting a call in flight rejects it with the signal's AbortError", async () => {
    const controller = new AbortController();
    const call = client.extractPages(SLOW_PAGES, { signal: controller.signal });
    await waitFor("the call in flight", async () => (await server.metric("govreport_in_flight")) >= 1);
    controller.abort();
    await assert.rejects(call, isAbort(controller));
  });

  test("an aborted signal rejects every entry point with its AbortError, before any call", async () => {
    const controller = new AbortController();
    controller.abort();
    const { signal } = controller;
    await assert.rejects(client.extractFile(join(samples, `${SEED}.txt`), { signal }), isAbort(controller));
    await assert.rejects(client.extract(Buffer.from("text"), "a.txt", { signal }), isAbort(controller));
    await assert.rejects(client.extractPages(PAGES, { signal }), isAbort(controller));
    await assert.rejects(client.getTemplate(undefined, { signal }), isAbort(controller));
    await assert.rejects(client.extractMany([join(samples, `${SEED}.txt`)], { signal }).next(), isAbort(controller));
  });

  test("aborting a batch throws the AbortError from the iteration", async () => {
    const controller = new AbortController();
    const content = await pagesZip(SLOW_PAGES);
    const iteration = (async () => {
      for await (const _ of client.extractMany([{ filename: "slow.zip", content }], { signal: controller.signal })) {
        assert.fail("a result came back");
      }
    })();
    await waitFor("the batch in flight", async () => (await server.metric("govreport_in_flight")) >= 1);
    controller.abort();
    await assert.rejects(iteration, isAbort(controller));
  });
});

describe("per-call options", { timeout: 300_000 }, () => {
  test("filedYear reaches the server: rule R9 sees the report filed under the wrong year", async () => {
    const seed = join(samples, `${SEED}.txt`);
    const plain = await client.extractFile(seed);
    assert.equal(plain.report?.metadata?.reportYear, 2023);
    assert.ok(!plain.validation?.findings.some((f) => f.ruleId === "R9"));
    for (const extraction of [
      await client.extractFile(seed, { filedYear: 2030 }),
      await client.extract(readFileSync(seed), `${SEED}.txt`, { filedYear: 2030 }),
    ]) {
      const r9 = extraction.validation?.findings.filter((f) => f.ruleId === "R9") ?? [];
      assert.equal(r9.length, 1);
      assert.equal(extraction.validation?.errorCount, 1);
    }
    let batched: Extraction | undefined;
    for await (const result of client.extractMany([seed], { filedYear: 2030 })) batched = result.extraction;
    assert.equal(batched?.validation?.findings.filter((f) => f.ruleId === "R9").length, 1);
    const validation = await client.validate(plain.report!, undefined, { filedYear: 2030 });
    assert.equal(validation.findings.filter((f) => f.ruleId === "R9").length, 1);
  });

  test("skipValidation: no validation comes back", async () => {
    const extraction = await client.extractFile(join(samples, `${SEED}.txt`), { skipValidation: true });
    assert.equal(extraction.report?.metadata?.reportYear, 2023);
    assert.equal(extraction.validation?.rulesChecked.length ?? 0, 0);
  });

  test("a batch document over its time limit fails DEADLINE_EXCEEDED; the others are extracted", async () => {
    const seed = join(samples, `${SEED}.txt`);
    const content = await pagesZip(SLOW_PAGES);
    const results = new Map<string, BatchResult>();
    const documents = [seed, { id: "slow", filename: "slow.zip", content, options: { timeLimit: 1 } }, join(samples, "001_9fd470447c6cfcf1.txt")];
    for await (const result of client.extractMany(documents)) results.set(result.id, result);
    assert.equal(results.size, 3);
    const slow = results.get("slow")!;
    assert.ok(slow.error instanceof GovreportError, "the slow document failed");
    assert.equal(slow.error.code, status.DEADLINE_EXCEEDED);
    assert.equal(slow.error.reason, "DEADLINE_EXCEEDED");
    assert.equal(results.get(seed)?.extraction?.report?.metadata?.reportYear, 2023);
    assert.ok(results.get(join(samples, "001_9fd470447c6cfcf1.txt"))?.extraction?.report?.metadata?.agency);
  });

  test("a folder of numbered page images is one report", async () => {
    const folder = await mkdtemp(join(tmpdir(), "govreport-folder-"));
    // scan-1.png, scan-2.jpg, scan-3.png, and a hidden folder that is passed over.
    for (const [i, page] of PAGES.entries()) await writeFile(join(folder, `scan-${i + 1}${page.slice(page.lastIndexOf("."))}`), readFileSync(page));
    await mkdir(join(folder, ".thumbs"));
    const extraction = await client.extractFile(folder);
    assert.equal(extraction.document?.format, DocumentFormat.DOCUMENT_FORMAT_PAGE_SET);
    assert.equal(extraction.document?.pageCount, 3);
    assert.equal(extraction.report?.metadata?.publicationDate, "2025-01-10");
  });
});

describe("the client object", () => {
  test("`using` closes it at the end of the block", async () => {
    let closed: GovreportClient;
    {
      using scoped = new GovreportClient({ addresses: address, token: TOKEN });
      assert.equal((await scoped.getTemplate()).version, TemplateVersion.TEMPLATE_VERSION_2021);
      closed = scoped;
    }
    await assert.rejects(closed.getTemplate(), /shut down|closed/i);
  });

  test("the channel carries proto/govreport/v1/service_config.json, retries on, a whole message kept to re-send", () => {
    const fromProto = JSON.parse(readFileSync(join(repo, "proto/govreport/v1/service_config.json"), "utf8"));
    assert.deepEqual(SERVICE_CONFIG, fromProto);
    const options = channelOptions({});
    const config = JSON.parse(String(options["grpc.service_config"]));
    assert.deepEqual(config.methodConfig, fromProto.methodConfig);
    assert.deepEqual(config.retryThrottling, fromProto.retryThrottling);
    assert.equal(config.methodConfig[0].retryPolicy.retryableStatusCodes[0], "UNAVAILABLE");
    assert.equal(options["grpc.enable_retries"], 1);
    assert.equal(options["grpc.per_rpc_retry_buffer_size"], 64 * 1024 * 1024);
    assert.equal(channelOptions({ maxMessageBytes: 1 << 20 })["grpc.per_rpc_retry_buffer_size"], 1 << 20);
  });
});
