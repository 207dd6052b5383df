// Page sets: a report scanned one image a page, sent as ONE document, a ZIP
// of the page images whose member names keep the caller's order.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";

import { status } from "@grpc/grpc-js";

import { GovReportError } from "./errors.js";
import { storedZip } from "./zip.js";

/** The file name a page set is sent under. */
export const PAGES_FILENAME = "pages.zip";

/** The files a page set may hold, by extension (in any case). */
export const PAGE_EXTENSIONS: readonly string[] = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"];

/**
 * The archive extractPages sends: the files at `paths`, stored, as members
 * "0001-<base name>", "0002-<base name>", … in the order given (the server
 * orders pages by member name). No paths, or a path that is no page image by
 * its extension, is refused (INVALID_ARGUMENT, no reason) before any file is
 * read; a file that cannot be read is a GovReportError too (NOT_FOUND, …).
 */
export async function pagesZip(paths: readonly string[]): Promise<Buffer> {
  if (paths.length === 0) {
    throw new GovReportError(status.INVALID_ARGUMENT, "", "no pages: a page set needs at least one page image");
  }
  paths.forEach((path, i) => {
    const name = basename(path).toLowerCase();
    if (!PAGE_EXTENSIONS.some((extension) => name.endsWith(extension))) {
      throw new GovReportError(
        status.INVALID_ARGUMENT,
        "",
        `page ${i + 1}, ${path}, is not a page image: pages are ${PAGE_EXTENSIONS.join(", ")} files`,
      );
    }
  });
  const entries = [];
  for (const [i, path] of paths.entries()) {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      throw GovReportError.from(err); // its message names the file
    }
    entries.push({ name: `${String(i + 1).padStart(4, "0")}-${basename(path)}`, data });
  }
  return storedZip(entries);
}
