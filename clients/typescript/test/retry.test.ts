// gRPC's own retries, from proto/govreport/v1/service_config.json: a worker
// killed mid-document makes the server answer WORKER_FAILED (UNAVAILABLE),
// and the call is sent again and succeeds.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { GovreportClient } from "../dist/index.js";
import { SLOW_PAGES, type Server, startServer, waitFor } from "./server.js";

let server: Server;

before(async () => {
  server = await startServer(["--metrics-port", "0"], { GOVREPORT_WORKERS: "1" });
});

after(async () => {
  await server?.stop();
});

describe("retries", { timeout: 300_000 }, () => {
  test("a call whose worker is killed mid-document is retried and succeeds", async () => {
    using client = new GovreportClient({ addresses: server.address, timeoutMs: 240_000 });
    await waitFor("one worker", () => server.workers().length === 1);
    const failures = "govreport_worker_failures_total";
    const before = await server.metric(failures);
    let settled = false;
    const call = client.extractPages(SLOW_PAGES).finally(() => (settled = true));
    call.catch(() => {}); // awaited below
    await waitFor("the document taken up", async () => (await server.metric("govreport_in_flight")) === 1);
    await new Promise((r) => setTimeout(r, 1000)); // the worker is reading it (twelve pages of OCR)
    const killed = server.workers();
    assert.equal(killed.length, 1);
    for (const pid of killed) process.kill(pid, "SIGKILL");
    assert.equal(settled, false, "the call was still running when its worker was killed");

    const extraction = await call;
    assert.equal(extraction.document?.pageCount, 12);
    assert.equal(extraction.report?.metadata?.reportYear, 2024);
    assert.equal(extraction.report?.metadata?.agency, "示例县卫生健康局");
    // The kill did hit the document: the server counted one worker failure,
    // and a replacement (another process) did the work of the retry.
    // (The server counts a call once its status has gone out.)
    await waitFor("the failure counted", async () => (await server.metric(failures)) >= before + 1, 15_000);
    assert.equal(await server.metric(failures), before + 1);
    const unavailable = 'govreport_requests_total{code="UNAVAILABLE",method="Extract"}';
    await waitFor("the first attempt counted", async () => (await server.metric(unavailable)) >= 1, 15_000);
    assert.equal(await server.metric(unavailable), 1);
    assert.equal(await server.metric('govreport_requests_total{code="OK",method="Extract"}'), 1);
    assert.ok(!server.workers().some((pid) => killed.includes(pid)));
  });
});
