#!/usr/bin/env node
// extract: prints each file's Extraction as proto3 JSON, one line per file;
// with --pages, the files are the page images of one report: one line.
import { parseArgs } from "node:util";

import { status as grpcStatus } from "@grpc/grpc-js";

import { type BatchResult, GovReportClient } from "./client.js";
import { GovReportError } from "./errors.js";
import { Extraction } from "./gen/govreport/v1/service.js";
import { PAGES_FILENAME } from "./pages.js";

const USAGE = `usage: extract [--server ADDR[,ADDR...]] [--timeout S] [--token T]
               [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [--pages] FILE...

Prints, for each FILE in order, its Extraction as proto3 JSON on one line.
With --pages, the FILEs are the page images (.png, .jpg, .jpeg, .tif, .tiff,
.bmp, .webp) of ONE report, in the order given: one line, and a failure is
reported as "${PAGES_FILENAME}: REASON: message".
Several servers share the files. --timeout bounds each call (all the files
sent to one server are one call). The token may also come from GOVREPORT_TOKEN.
Exit status: 0 when every file was extracted, 2 when one failed
(reported on stderr as "FILE: REASON: message").`;

const EXIT_OK = 0;
const EXIT_FAILED = 2;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: "string", default: "localhost:50051" },
        timeout: { type: "string" },
        token: { type: "string" },
        "tls-ca": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
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
  const timeoutS = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutS !== undefined && !(timeoutS > 0)) return usage(`--timeout must be a positive number of seconds`);

  const tlsFiles = { caFile: values["tls-ca"], certFile: values["tls-cert"], keyFile: values["tls-key"] };
  let client: GovReportClient;
  try {
    client = new GovReportClient({
      addresses: values.server.split(",").filter(Boolean),
      timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
      token: values.token ?? process.env.GOVREPORT_TOKEN,
      tls: Object.values(tlsFiles).some(Boolean) ? tlsFiles : undefined,
    });
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }

  if (values.pages) {
    try {
      const extraction = await client.extractPages(files);
      process.stdout.write(`${JSON.stringify(Extraction.toJSON(extraction))}\n`);
      return EXIT_OK;
    } catch (err) {
      report(PAGES_FILENAME, GovReportError.from(err));
      return EXIT_FAILED;
    } finally {
      client.close();
    }
  }

  // Results come back in any order; print them in the order of the files so
  // that line N of the output is about the Nth file that succeeded.
  const outcomes: (BatchResult | undefined)[] = files.map(() => undefined);
  const waiting = new Map<string, number[]>(); // id (the path) -> indexes, for a file named twice
  files.forEach((file, i) => waiting.set(file, [...(waiting.get(file) ?? []), i]));
  let printed = 0;
  let status = EXIT_OK;
  const flush = (): void => {
    for (; printed < files.length && outcomes[printed]; printed++) {
      const outcome = outcomes[printed]!;
      if (outcome.error) {
        report(files[printed]!, outcome.error);
        status = EXIT_FAILED;
      } else {
        process.stdout.write(`${JSON.stringify(Extraction.toJSON(outcome.extraction))}\n`);
      }
    }
  };

  let streamError: GovReportError | undefined;
  try {
    for await (const result of client.extractMany(files)) {
      const index = waiting.get(result.id)?.shift();
      if (index === undefined) continue; // not an id we sent: nothing to print it against
      outcomes[index] = result;
      flush();
    }
  } catch (err) {
    // A whole stream failed (e.g. no server answers): every file not done failed with it.
    streamError = GovReportError.from(err);
  } finally {
    client.close();
  }
  const error = streamError ?? new GovReportError(grpcStatus.INTERNAL, "", "the server sent no result for this file");
  outcomes.forEach((outcome, i) => {
    if (!outcome) outcomes[i] = { id: files[i]!, error };
  });
  flush();
  return status;
}

function report(file: string, error: GovReportError): void {
  console.error(`${file}: ${error.label}: ${error.message}`);
}

function usage(problem: string): number {
  console.error(`extract: ${problem}\n${USAGE}`);
  return EXIT_FAILED;
}

// Set the exit code rather than exiting so that stdout is flushed first.
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
