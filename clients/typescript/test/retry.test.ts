// gRPC's own retries, from proto/govreport/v1/service_config.json: a worker
// killed mid-document makes the server answer WORKER_FAILED (UNAVAILABLE),
// and the call is sent again and succeeds.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { GovreportClient } from "../dist/index.js";
import { SEED, SLOW_PAGES, type Server, cpuTicks, samples, startServer, waitFor } from "./server.js";

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
    await client.extractFile(join(samples, `${SEED}.txt`)); // the worker has done its imports
    const failures = "govreport_worker_failures_total";
    const unavailable = 'govreport_requests_total{code="UNAVAILABLE",method="Extract"}';
    const ok = 'govreport_requests_total{code="OK",method="Extract"}';
    const before = await server.metric(failures);
    const [unavailableBefore, okBefore] = [await server.metric(unavailable), await server.metric(ok)];
    let settled = false;
    const call = client.extractPages(SLOW_PAGES).finally(() => (settled = true));
    call.catch(() => {}); // awaited below
    const [worker] = server.workers();
    const idle = cpuTicks(worker!);
    // Killed while it reads the pages, not before: it has used CPU time since it was idle.
    await waitFor("the worker reading the document", () => cpuTicks(worker!) >= idle + 20, 60_000);
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
    await waitFor("the first attempt counted", async () => (await server.metric(unavailable)) >= unavailableBefore + 1, 15_000);
    assert.equal(await server.metric(unavailable), unavailableBefore + 1);
    assert.equal(await server.metric(ok), okBefore + 1);
    assert.ok(!server.workers().some((pid) => killed.includes(pid)));
  });
});
