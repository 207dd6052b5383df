#!/usr/bin/env node
// govreport extract: prints each file's Extraction as JSON, one line per file
// (docs/clients.md, the contract the four clients' commands follow).
import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";

import { status as grpcStatus } from "@grpc/grpc-js";

import { GovreportClient } from "./client.js";
import { ErrorReason, GovreportError } from "./errors.js";
import type { Extraction } from "./gen/govreport/v1/service.js";
import { extractionToJSON } from "./json.js";
import { PAGES_FILENAME } from "./pages.js";

const PROG = "govreport";
const DEFAULT_SERVER = "127.0.0.1:50051";
const DEFAULT_TIMEOUT_S = 300;

const USAGE = `usage: ${PROG} extract [options] FILE...
       ${PROG} extract [options] --pages PAGE...

Prints, for each FILE in the order given, its Extraction as JSON (protobuf's
JSON mapping) on one line. A folder of page images numbered 1…N (第1页.jpg,
p2.png, …) is one report. With --pages, the FILEs are the page images of ONE
report, in the order given (one line; a failure is reported as
"${PAGES_FILENAME}").

options:
  --server ADDR[,ADDR...]  the server(s) (default $GOVREPORT_SERVER, else ${DEFAULT_SERVER});
                           several servers share the files
  --timeout SECONDS        each document's deadline (default ${DEFAULT_TIMEOUT_S}); over it, that
                           file fails with DEADLINE_EXCEEDED and the others go on
  --filed-year N           the year the reports are filed under (rule R9)
  --token T                bearer token (default $GOVREPORT_TOKEN)
  --token-file F           the bearer token, read from a file
  --tls-ca F               TLS, trusting the CA certificates in F
  --tls-cert F --tls-key F mutual TLS: the client's certificate and key
  --tls-server-name N      the name the server's certificate must carry
  --pages                  the FILEs are the pages of one report
  -h, --help               this help

A failed file is reported on stderr as "${PROG}: FILE: REASON: message".
Exit status: 0 every file extracted and no error findings; 1 every file
extracted, some report has findings of error severity; 2 some file failed,
or a usage error.`;

const EXIT_OK = 0;
const EXIT_FINDINGS = 1;
const EXIT_FAILED = 2;

/** What the command was asked to extract: a file sent alone or in a batch, or page images as one report. */
type Item = { label: string; path: string } | { label: string; pages: readonly string[] };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "-h" || command === "--help") {
    console.log(USAGE);
    return EXIT_OK;
  }
  if (command !== "extract") {
    return usage(command === undefined ? "no command given" : `unknown command ${JSON.stringify(command)}`);
  }
  let args;
  try {
    args = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        server: { type: "string" },
        timeout: { type: "string" },
        "filed-year": { type: "string" },
        token: { type: "string" },
        "token-file": { type: "string" },
        "tls-ca": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-server-name": { type: "string" },
        pages: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals: files } = args;
  if (values.help) {
    console.log(USAGE);
    return EXIT_OK;
  }
  if (files.length === 0) return usage("no FILE given");
  const timeoutS = values.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(values.timeout);
  if (!(timeoutS > 0)) return usage("--timeout must be a positive number of seconds");
  const filedYear = values["filed-year"] === undefined ? undefined : Number(values["filed-year"]);
  if (filedYear !== undefined && !(Number.isInteger(filedYear) && filedYear > 0)) {
    return usage("--filed-year must be a year, e.g. 2024");
  }
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) {
    return usage("mutual TLS needs both --tls-cert and --tls-key");
  }
  const servers = (values.server ?? process.env.GOVREPORT_SERVER ?? DEFAULT_SERVER).split(",").filter(Boolean);
  if (servers.length === 0) return usage("--server names no address");

  let token = values.token ?? process.env.GOVREPORT_TOKEN;
  const tokenFile = values["token-file"];
  if (tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (err) {
      return report("extract", GovreportError.fromFileError(err, tokenFile, `--token-file ${tokenFile}: `));
    }
  }

  const tls = {
    caFile: values["tls-ca"],
    certFile: values["tls-cert"],
    keyFile: values["tls-key"],
    serverName: values["tls-server-name"],
  };
  let client: GovreportClient;
  try {
    client = new GovreportClient({
      addresses: servers,
      timeoutMs: timeoutS * 1000,
      token: token || undefined,
      tls: Object.values(tls).some(Boolean) ? tls : undefined,
    });
  } catch (err) {
    // A TLS file that cannot be read: nothing can be sent.
    const path = (err as { path?: string }).path;
    return report("extract", path ? GovreportError.fromFileError(err, path, `${path}: `) : GovreportError.from(err));
  }

  try {
    const items: Item[] = values.pages
      ? [{ label: PAGES_FILENAME, pages: files }]
      : files.map((path) => ({ label: path, path }));
    return await run(client, items, { filedYear });
  } finally {
    client.close();
  }
}

/**
 * Extracts the items, printing each one's outcome in the order of the items
 * (results come back in any order): files through ExtractBatch streams, each
 * file with the timeout as its time limit, page sets and folders of pages
 * through their own calls with the timeout as their deadline.
 */
async function run(client: GovreportClient, items: readonly Item[], params: { filedYear?: number }): Promise<number> {
  const outcomes: ({ extraction: Extraction } | { error: GovreportError } | undefined)[] = items.map(() => undefined);
  let printed = 0;
  let exit = EXIT_OK;
  const flush = (): void => {
    for (; printed < items.length && outcomes[printed]; printed++) {
      const outcome = outcomes[printed]!;
      if ("error" in outcome) {
        report(items[printed]!.label, outcome.error);
        exit = EXIT_FAILED;
      } else {
        process.stdout.write(`${JSON.stringify(extractionToJSON(outcome.extraction))}\n`);
        if ((outcome.extraction.validation?.errorCount ?? 0) > 0) exit = Math.max(exit, EXIT_FINDINGS);
      }
    }
  };
  const settle = (index: number, outcome: { extraction: Extraction } | { error: GovreportError }): void => {
    outcomes[index] ??= outcome;
    flush();
  };

  // Files go in batches; page sets, and folders (of pages), on their own calls.
  const batched = new Map<string, number[]>(); // path -> indexes (a file named twice is sent twice)
  const alone: Promise<void>[] = [];
  for (const [index, item] of items.entries()) {
    if ("pages" in item) {
      alone.push(single(index, () => client.extractPages(item.pages, params)));
    } else if (await isFolder(item.path)) {
      alone.push(single(index, () => client.extractFile(item.path, params)));
    } else {
      batched.set(item.path, [...(batched.get(item.path) ?? []), index]);
    }
  }
  async function single(index: number, call: () => Promise<Extraction>): Promise<void> {
    try {
      settle(index, { extraction: await call() });
    } catch (err) {
      settle(index, { error: GovreportError.from(err) });
    }
  }

  const paths = [...batched.entries()].flatMap(([path, indexes]) => indexes.map(() => path));
  if (paths.length > 0) {
    try {
      for await (const result of client.extractMany(paths, params)) {
        const index = batched.get(result.id)?.shift();
        if (index === undefined) continue; // not an id we sent: nothing to print it against
        settle(index, result.error ? { error: result.error } : { extraction: result.extraction });
      }
    } catch (err) {
      // A whole stream failed (e.g. no server answers): every file of it not done failed with it.
      const error = GovreportError.from(err);
      for (const indexes of batched.values()) for (const index of indexes.splice(0)) settle(index, { error });
    }
  }
  await Promise.all(alone);
  const lost = new GovreportError(grpcStatus.INTERNAL, ErrorReason.INTERNAL, "the server sent no result for this file");
  items.forEach((_, index) => settle(index, { error: lost }));
  return exit;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // the batch reports it (NOT_FOUND, UNREADABLE)
  }
}

/** `govreport: WHAT: REASON: message` on stderr; returns the exit status of a failure. */
function report(what: string, error: GovreportError): number {
  console.error(`${PROG}: ${what}: ${error.reason}: ${error.message}`);
  return EXIT_FAILED;
}

function usage(problem: string): number {
  console.error(`${PROG}: ${problem}\n${USAGE}`);
  return EXIT_FAILED;
}

// Set the exit code rather than exiting so that stdout is flushed first.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    report("extract", GovreportError.from(err));
    process.exitCode = EXIT_FAILED;
  },
);
