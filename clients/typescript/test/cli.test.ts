// The `govreport extract` command (src/cli.ts) against the real server, per docs/clients.md.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";

import { pagesZip } from "../dist/pages.js";
import { PAGES, SEED, SLOW_PAGES, type Server, root, samples, startServer } from "./server.js";

const TOKEN = "cli-token";
const seed = join(samples, `${SEED}.txt`);

let server: Server;
let dir: string;
let garbage: string;

before(async () => {
  server = await startServer(["--auth-tokens", TOKEN]);
  dir = await mkdtemp(join(tmpdir(), "govreport-cli-"));
  garbage = join(dir, "x.bin");
  await writeFile(garbage, Buffer.from("\x00\x01garbage", "latin1"));
});

after(async () => {
  await server?.stop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js ARGS` (the `govreport` bin), with GOVREPORT_SERVER and GOVREPORT_TOKEN set unless `env` says otherwise. */
async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const fullEnv: Record<string, string | undefined> = {
    ...process.env,
    GOVREPORT_SERVER: server.address,
    GOVREPORT_TOKEN: TOKEN,
    ...env,
  };
  for (const key of Object.keys(fullEnv)) if (fullEnv[key] === undefined) delete fullEnv[key];
  return promisify(execFile)(process.execPath, [join(root, "dist/cli.js"), ...args], {
    env: fullEnv as NodeJS.ProcessEnv,
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

const lines = (stdout: string): Record<string, any>[] => stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));

describe("govreport extract", { timeout: 300_000 }, () => {
  test("exit 0: one JSON line per file, in order, protojson's defaults", async () => {
    const other = join(samples, "001_9fd470447c6cfcf1.txt");
    const { code, stdout, stderr } = await cli(["extract", seed, other]);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const [first, second] = lines(stdout);
    assert.equal(first!.document.filename, `${SEED}.txt`);
    assert.equal(second!.document.filename, "001_9fd470447c6cfcf1.txt");
    // int64 as a decimal string, enums by name, lowerCamelCase, defaults left out, UTF-8 unescaped.
    assert.equal(first!.document.sizeBytes, String(readFileSync(seed).length));
    assert.equal(first!.document.format, "DOCUMENT_FORMAT_TEXT");
    assert.equal(first!.report.metadata.templateVersion, "TEMPLATE_VERSION_2021");
    assert.equal(first!.report.proactiveDisclosure2021.licensingDecisions.count, "292");
    assert.equal(first!.validation.errorCount, undefined);
    assert.equal(first!.validation.warningCount, 1);
    assert.ok(stdout.includes("绥芬河市卫生健康局"));
  });

  test("exit 1: every file extracted, a report with error findings (--filed-year reaches rule R9)", async () => {
    const { code, stdout, stderr } = await cli(["extract", "--filed-year", "2030", seed]);
    assert.equal(stderr, "");
    assert.equal(code, 1);
    const [json] = lines(stdout);
    assert.equal(json!.validation.errorCount, 1);
    assert.ok(json!.validation.findings.some((f: { ruleId: string }) => f.ruleId === "R9"));
  });

  test("exit 2: a failed file on stderr as `govreport: FILE: REASON: message`, the others printed", async () => {
    const missing = join(dir, "missing.pdf");
    const { code, stdout, stderr } = await cli(["extract", "--timeout", "60", missing, seed, garbage]);
    assert.equal(code, 2);
    assert.equal(lines(stdout).length, 1);
    assert.equal(lines(stdout)[0]!.report.metadata.reportYear, 2023);
    const errors = stderr.trimEnd().split("\n");
    assert.equal(errors.length, 2, stderr);
    assert.equal(errors[0], `govreport: ${missing}: NOT_FOUND: no such file`);
    assert.match(errors[1]!, new RegExp(`^govreport: ${garbage.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: UNSUPPORTED_FORMAT: \\S`));
  });

  test("--timeout is each document's deadline: the slow one fails DEADLINE_EXCEEDED, the others go on", async () => {
    const slow = join(dir, "slow.zip");
    await writeFile(slow, await pagesZip(SLOW_PAGES));
    const { code, stdout, stderr } = await cli(["extract", "--timeout", "1", seed, slow]);
    assert.equal(code, 2);
    assert.equal(lines(stdout).length, 1);
    assert.equal(lines(stdout)[0]!.document.filename, `${SEED}.txt`);
    assert.match(stderr, new RegExp(`^govreport: ${slow}: DEADLINE_EXCEEDED: .+\\n$`));
  });

  test("a folder of numbered pages, and --pages, are one report each", async () => {
    const folded = await cli(["extract", join(root, "test/data/pages")]);
    assert.equal(folded.stderr, "");
    const [folder] = lines(folded.stdout);
    // The drawn pages' tables leave some rows out: findings of error severity, exit 1.
    assert.equal(folder!.validation.errorCount, 3);
    assert.equal(folded.code, 1);
    assert.equal(folder!.document.format, "DOCUMENT_FORMAT_PAGE_SET");
    assert.equal(folder!.document.pageCount, 3);
    assert.equal(folder!.document.filename, "pages.zip"); // the folder's name
    const paged = await cli(["extract", "--pages", ...PAGES]);
    assert.equal(paged.code, 1);
    assert.deepEqual(lines(paged.stdout)[0]!.report.metadata, folder!.report.metadata);
  });

  test("--pages refuses a file that is no page image, before any call", async () => {
    const { code, stdout, stderr } = await cli(["extract", "--server", "127.0.0.1:1", "--pages", PAGES[0]!, "notes.txt"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.ok(stderr.startsWith("govreport: pages.zip: INVALID_ARGUMENT: page 2, notes.txt, is not a page image"), stderr);
  });

  test("the token: --token, --token-file, $GOVREPORT_TOKEN; without one, UNAUTHENTICATED", async () => {
    const tokenFile = join(dir, "token");
    await writeFile(tokenFile, `${TOKEN}\n`);
    assert.equal((await cli(["extract", "--token-file", tokenFile, seed], { GOVREPORT_TOKEN: undefined })).code, 0);
    assert.equal((await cli(["extract", "--token", TOKEN, seed], { GOVREPORT_TOKEN: undefined })).code, 0);
    const refused = await cli(["extract", seed], { GOVREPORT_TOKEN: undefined });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`^govreport: ${seed}: UNAUTHENTICATED: `));
    const noFile = await cli(["extract", "--token-file", join(dir, "nope"), seed]);
    assert.equal(noFile.code, 2);
    assert.equal(noFile.stderr, `govreport: extract: NOT_FOUND: --token-file ${join(dir, "nope")}: no such file\n`);
  });

  test("--server over $GOVREPORT_SERVER; a server out of reach is UNAVAILABLE for every file", async () => {
    assert.equal((await cli(["extract", "--server", server.address, seed], { GOVREPORT_SERVER: "127.0.0.1:1" })).code, 0);
    const { code, stderr } = await cli(["extract", "--timeout", "30", seed, garbage], { GOVREPORT_SERVER: "127.0.0.1:1" });
    assert.equal(code, 2);
    const errors = stderr.trimEnd().split("\n");
    assert.equal(errors.length, 2);
    assert.ok(errors[0]!.startsWith(`govreport: ${seed}: UNAVAILABLE: `), errors[0]);
    assert.ok(errors[1]!.startsWith(`govreport: ${garbage}: UNAVAILABLE: `), errors[1]);
  });

  test("usage errors exit 2; --help exits 0", async () => {
    for (const args of [[], ["frobnicate", seed], ["extract"], ["extract", "--bogus", seed], ["extract", "--timeout", "0", seed], ["extract", "--tls-cert", "c.pem", seed]]) {
      const { code, stdout, stderr } = await cli(args);
      assert.equal(code, 2, args.join(" "));
      assert.equal(stdout, "");
      assert.match(stderr, /^govreport: .+\nusage: govreport extract/, args.join(" "));
    }
    const help = await cli(["extract", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: govreport extract \[options\] FILE\.\.\./);
  });
});
