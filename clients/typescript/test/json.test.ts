// The JSON every govreport CLI prints is protojson's (docs/clients.md): a proto `float` as the
// shortest digits of its 32-bit value, as Go's protojson, Java's JsonFormat and Python print it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Cell, Extraction, extractionToJSON, shortestFloat32 } from "../dist/index.js";

test("a 32-bit float prints with its shortest digits", () => {
  assert.equal(shortestFloat32(Math.fround(0.9)), 0.9);
  assert.equal(shortestFloat32(Math.fround(0.87)), 0.87);
  assert.equal(shortestFloat32(1), 1);
  assert.equal(shortestFloat32(Math.fround(1 / 3)), 0.33333334);
});

test("an extraction's confidences print as protojson prints them", () => {
  const cell = Cell.fromPartial({ confidence: Math.fround(0.9), rawText: "7" });
  const extraction = Extraction.fromPartial({
    report: { applicationHandling: { newApplications: { total: cell } } },
  } as never);
  const json = JSON.stringify(extractionToJSON(extraction));
  assert.match(json, /"confidence":0\.9[,}]/);
  assert.doesNotMatch(json, /0\.89999/);
});
