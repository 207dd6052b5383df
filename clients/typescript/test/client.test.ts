// End-to-end tests against the real Python server, started on a free port.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import {
  type AnnualReport,
  type Cell,
  CellState,
  type BatchResult,
  DocumentFormat,
  GovReportClient,
  GovReportError,
  TemplateVersion,
  type TemplateDefinition,
  status,
} from "../dist/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), ".."); // clients/typescript
const repo = resolve(root, "../..");
const samples = join(repo, "server/govreport/samples");
const SEED = "000_920faedf84c991f1";
/**
 * Three page images of a made-up report (drawn by clients/go/govreport/testdata/pages/make_pages.py):
 * title and 一 on page 1, 二 and 三 on page 2, 四 to 六 and the date on page 3.
 */
const PAGES = ["第1页.png", "第2页.jpg", "第3页.png"].map((name) => join(root, "test/data/pages", name));
const TOKEN = "test-token";

let server: ChildProcess;
let address: string;
let client: GovReportClient;

/** Starts `govreport serve` on a free port and waits for its "listening on" line. */
async function startServer(): Promise<{ process: ChildProcess; address: string }> {
  const bin = process.env.GOVREPORT_BIN ?? join(repo, ".venv/bin/govreport");
  if (!existsSync(bin)) {
    throw new Error(`govreport server not found at ${bin}: run \`make -C ${repo} setup\` or set GOVREPORT_BIN`);
  }
  const child = spawn(bin, ["serve", "--host", "127.0.0.1", "--port", "0", "--auth-tokens", TOKEN, "--log-level", "WARNING"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`govreport serve exited (${code}) before listening`);
  });
  const listening = (async () => {
    for await (const line of createInterface({ input: child.stdout! })) {
      const match = /listening on (\S+)/.exec(line);
      if (match) return match[1]!;
    }
    throw new Error("govreport serve closed stdout before listening");
  })();
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("govreport serve did not listen within 60 s")), 60_000).unref(),
  );
  try {
    return { process: child, address: await Promise.race([listening, exited, timeout]) };
  } catch (err) {
    child.kill("SIGTERM");
    throw err;
  }
}

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
  ({ process: server, address } = await startServer());
  client = new GovReportClient({ addresses: address, timeoutMs: 60_000, token: TOKEN });
});

after(async () => {
  client?.close();
  if (server && server.exitCode === null) {
    const exited = once(server, "exit");
    server.kill("SIGTERM");
    await exited;
  }
});

describe("GovReportClient", { timeout: 120_000 }, () => {
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
      const value = cell.count ?? cell.change ?? Number(cell.amount);
      assert.equal(value, Number(expected), where);
    }
  });

  test("a document in no known format fails with INVALID_ARGUMENT / UNSUPPORTED_FORMAT", async () => {
    const err = await client.extract(Buffer.from("\x00\x01garbage", "latin1"), "x.bin").then(
      () => assert.fail("garbage was extracted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GovReportError, String(err));
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
    const many = new GovReportClient({ addresses: [address, address], timeoutMs: 60_000, token: TOKEN });
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
      assert.equal(results.get(files[0]!)?.extraction?.report?.proactiveDisclosure2021?.licensingDecisions?.count, 292);
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
    const anonymous = new GovReportClient({ addresses: address, timeoutMs: 10_000 });
    try {
      await assert.rejects(anonymous.getTemplate(), { code: status.UNAUTHENTICATED });
    } finally {
      anonymous.close();
    }
  });
});

describe("extract command", { timeout: 120_000 }, () => {
  test("prints one JSON line per extracted file and exits 2 on a failed one", async () => {
    const garbage = join(await mkdtemp(join(tmpdir(), "govreport-")), "x.bin");
    await writeFile(garbage, Buffer.from("\x00\x01garbage", "latin1"));
    const seed = join(samples, `${SEED}.txt`);
    const run = promisify(execFile)(process.execPath, [join(root, "dist/cli.js"), "--server", address, "--timeout", "60", seed, garbage], {
      env: { ...process.env, GOVREPORT_TOKEN: TOKEN },
      maxBuffer: 64 * 1024 * 1024,
    });
    const failure = await run.then(
      () => assert.fail("extract exited 0 with a garbage file"),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(failure.code, 2);
    const lines = failure.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const json = JSON.parse(lines[0]!);
    assert.equal(json.report.metadata.reportYear, 2023);
    assert.equal(json.report.metadata.templateVersion, "TEMPLATE_VERSION_2021");
    assert.equal(json.report.proactiveDisclosure2021.licensingDecisions.count, 292);
    assert.ok(failure.stderr.startsWith(`${garbage}: UNSUPPORTED_FORMAT: `), failure.stderr);
  });
});

describe("extract --pages", { timeout: 120_000 }, () => {
  const cli = (args: string[]) =>
    promisify(execFile)(process.execPath, [join(root, "dist/cli.js"), ...args], {
      env: { ...process.env, GOVREPORT_TOKEN: TOKEN },
      maxBuffer: 64 * 1024 * 1024,
    });

  // Needs the server's page sets (a ZIP of page images as one document).
  test("prints one JSON line for all the pages", async () => {
    const { stdout, stderr } = await cli(["--server", address, "--timeout", "60", "--pages", ...PAGES]);
    assert.equal(stderr, "");
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const json = JSON.parse(lines[0]!);
    assert.equal(json.document.format, "DOCUMENT_FORMAT_PAGE_SET");
    assert.equal(json.document.pageCount, 3);
    assert.equal(json.document.filename, "pages.zip");
    assert.equal(json.report.metadata.reportYear, 2024);
  });

  test("refuses a file that is no page image, before any call", async () => {
    // Nothing listens on port 1.
    const failure = await cli(["--server", "127.0.0.1:1", "--pages", PAGES[0]!, "notes.txt"]).then(
      () => assert.fail("extract --pages exited 0 with a text file"),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(failure.code, 2);
    assert.equal(failure.stdout, "");
    assert.ok(failure.stderr.startsWith("pages.zip: INVALID_ARGUMENT: page 2, notes.txt, is not a page image"), failure.stderr);
  });
});
