// Unit tests of page sets (src/pages.ts, extractPages): no server needed.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";

import { GovreportClient, GovreportError, status } from "../dist/index.js";
import { pageFolder, pagesZip } from "../dist/pages.js";
import { readBack, sha256 } from "./zipfile.js";

/** Writes each name, holding "bytes of NAME", into a new folder; returns the paths. */
async function files(names: string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "govreport-pages-"));
  return Promise.all(
    names.map(async (name) => {
      await writeFile(join(dir, name), `bytes of ${name}`);
      return join(dir, name);
    }),
  );
}

describe("page sets", () => {
  test("members are numbered in the order given, whatever the files are called", async () => {
    const names = ["第10页.JPG", "第2页.png", "scan.tiff", "b.jpeg", "a.bmp", "c.Webp", "d.tif"];
    const paths = await files(names);
    const archive = await pagesZip(paths);
    const members = await readBack(archive);
    assert.deepEqual(
      members.map((m) => m.name),
      ["0001-第10页.JPG", "0002-第2页.png", "0003-scan.tiff", "0004-b.jpeg", "0005-a.bmp", "0006-c.Webp", "0007-d.tif"],
    );
    members.forEach((m, i) => {
      assert.equal(m.sha256, sha256(Buffer.from(`bytes of ${names[i]}`)), m.name);
      assert.equal(m.compressType, 0);
    });
    assert.ok(archive.equals(await pagesZip(paths)), "the same pages, the same bytes");
  });

  test("no pages, and a file that is no page image, are refused without a call", async () => {
    // Nothing listens on port 1: a call would fail UNAVAILABLE.
    const client = new GovreportClient({ addresses: "127.0.0.1:1", timeoutMs: 5_000 });
    try {
      const [image] = await files(["1.png"]);
      for (const [paths, message] of [
        [[], /^no pages/],
        [[image!, "notes.txt"], /^page 2, notes\.txt, is not a page image/],
        [["report.PDF"], /report\.PDF/],
        [[image!, "scan"], /page 2, scan,/],
        // Refused by its name before any file is read: the missing PNG does not count.
        [["missing.png", "x.docx"], /x\.docx/],
      ] as const) {
        const err = await client.extractPages(paths).then(
          () => assert.fail(`${paths.join(" ")} was sent`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof GovreportError, String(err));
        assert.equal(err.code, status.INVALID_ARGUMENT);
        assert.equal(err.reason, "INVALID_ARGUMENT");
        assert.match(err.message, message);
      }

      const missing = join(tmpdir(), "no-such-dir-govreport", "第9页.png");
      await assert.rejects(client.extractPages([image!, missing]), (err: unknown) => {
        assert.ok(err instanceof GovreportError, String(err));
        assert.equal(err.code, status.NOT_FOUND);
        assert.equal(err.reason, "NOT_FOUND");
        assert.equal(err.message, `${missing}: no such file`);
        assert.equal((err.cause as NodeJS.ErrnoException).code, "ENOENT");
        return true;
      });
    } finally {
      client.close();
    }
  });
});

describe("page folders", () => {
  test("a folder of images numbered 1…N (or 0…N-1) is one report's pages, in page order", async () => {
    const [first] = await files(["第10页.jpg", "第2页.png", "第1页.png", "第3页.jpg", "第4页.jpg", "第5页.jpg", "第6页.jpg", "第7页.jpg", "第8页.jpg", "第9页.jpg", ".DS_Store", "Thumbs.db"]);
    const folder = first!.slice(0, first!.lastIndexOf("/"));
    const pages = await pageFolder(folder);
    assert.deepEqual(pages?.map((p) => p.slice(folder.length + 1)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `第${n}页.${n === 1 || n === 2 ? "png" : "jpg"}`));
    const [zero] = await files(["p0.png", "p1.png"]);
    assert.equal((await pageFolder(zero!.slice(0, zero!.lastIndexOf("/"))))?.length, 2);
  });

  test("other folders are not", async () => {
    for (const names of [["1.png"], ["1.png", "3.png"], ["1.png", "2.png", "notes.txt"], ["a.png", "b.png"], ["2.png", "3.png"], ["1.png", "1.jpg"]]) {
      const [one] = await files(names);
      assert.equal(await pageFolder(one!.slice(0, one!.lastIndexOf("/"))), undefined, names.join(" "));
    }
    assert.equal(await pageFolder(join(tmpdir(), "no-such-folder-govreport")), undefined);
  });
});
