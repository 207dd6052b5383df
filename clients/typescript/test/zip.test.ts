// Unit tests of the ZIP writer (src/zip.ts): no server needed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import * as zlib from "node:zlib";

import { crc32, storedZip } from "../dist/zip.js";
import { readBack, sha256 } from "./zipfile.js";

describe("zip writer", () => {
  test("crc32 gives the standard check value and continues over pieces", () => {
    const check = Buffer.from("123456789");
    assert.equal(crc32(check), 0xcbf43926);
    assert.equal(crc32(new Uint8Array()), 0);
    assert.equal(crc32(check.subarray(4), crc32(check.subarray(0, 4))), 0xcbf43926);
    const data = randomBytes(100_000);
    // zlib.crc32 exists from Node 20.15; engines allows older, hence our own.
    const zlibCrc = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
    if (zlibCrc) assert.equal(crc32(data), zlibCrc(data));
  });

  test("an archive Python's zipfile reads back: names, order, bytes, stored", async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const entries = [
      { name: "b.txt", data: Buffer.from("second name, first member") },
      { name: "第2页.jpg", data: Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x0a]) },
      { name: "empty", data: new Uint8Array() },
      { name: "dir/big.bin", data: big.subarray(5) }, // a view at an offset into its buffer
    ];
    const members = await readBack(storedZip(entries));
    assert.deepEqual(
      members.map((m) => m.name),
      entries.map((e) => e.name),
    );
    members.forEach((m, i) => {
      const data = Buffer.from(entries[i]!.data);
      assert.equal(m.compressType, 0, m.name);
      assert.equal(m.fileSize, data.length, m.name);
      assert.equal(m.crc, crc32(data), m.name);
      assert.equal(m.sha256, sha256(data), m.name);
    });
    // The UTF-8 flag on the non-ASCII name only.
    assert.deepEqual(
      members.map((m) => m.flagBits & 0x800),
      [0, 0x800, 0, 0],
    );
  });

  test("an archive without members is valid", async () => {
    const empty = storedZip([]);
    assert.equal(empty.length, 22);
    assert.deepEqual(await readBack(empty), []);
  });
});
