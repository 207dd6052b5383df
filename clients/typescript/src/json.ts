// An Extraction as protojson writes it, so that every govreport client prints the same JSON
// (docs/clients.md). ts-proto's toJSON already follows protojson's names, enums, 64-bit strings
// and omitted defaults; it writes a proto `float` as the double it became in JavaScript
// (0.8999999761581421), where protojson writes the shortest digits that read back as the same
// 32-bit float (0.9). Cell.confidence is the API's only `float` field.
import { Extraction } from "./gen/govreport/v1/service.js";

const FLOAT32_FIELDS = new Set(["confidence"]);

/** The shortest decimal that reads back as the same 32-bit float. */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  const single = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(single.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return single;
}

function fixFloats(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fixFloats);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = FLOAT32_FIELDS.has(key) && typeof item === "number" ? shortestFloat32(item) : fixFloats(item);
  }
  return out;
}

/** The Extraction as protojson's JSON value (JSON.stringify it for the text). */
export function extractionToJSON(extraction: Extraction): unknown {
  return fixFloats(Extraction.toJSON(extraction));
}
