// Page sets: a report scanned one image a page, sent as ONE document, a ZIP
// of the page images whose member names keep the caller's order.
import { readFile, readdir } from "node:fs/promises";
import { basename, extname, join } from "node:path";

import { status } from "@grpc/grpc-js";

import { GovreportError } from "./errors.js";
import { storedZip } from "./zip.js";

/** The file name a page set is sent under. */
export const PAGES_FILENAME = "pages.zip";

/** The files a page set may hold, by extension (in any case). */
export const PAGE_EXTENSIONS: readonly string[] = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"];

/**
 * The archive extractPages sends: the files at `paths`, stored, as members
 * "0001-<base name>", "0002-<base name>", … in the order given (the server
 * orders pages by member name). No paths, or a path that is no page image by
 * its extension, is refused (INVALID_ARGUMENT) before any file is read; a file
 * that cannot be read is a GovreportError too (NOT_FOUND, UNREADABLE).
 */
export async function pagesZip(paths: readonly string[]): Promise<Buffer> {
  if (paths.length === 0) {
    throw new GovreportError(status.INVALID_ARGUMENT, "", "no pages: a page set needs at least one page image");
  }
  paths.forEach((path, i) => {
    const name = basename(path).toLowerCase();
    if (!PAGE_EXTENSIONS.some((extension) => name.endsWith(extension))) {
      throw new GovreportError(
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
      throw GovreportError.fromFileError(err, path, `${path}: `); // NOT_FOUND, UNREADABLE
    }
    entries.push({ name: `${String(i + 1).padStart(4, "0")}-${basename(path)}`, data });
  }
  return storedZip(entries);
}

/** Names that are no page in a folder: hidden files, thumbnail caches. */
const PASSED_OVER = new Set(["thumbs.db", "desktop.ini"]);

/** The page a file's name numbers: the last number in its name without the extension. */
function pageNumber(name: string): number | undefined {
  const numbers = basename(name, extname(name)).match(/\d+/g);
  return numbers ? Number(numbers[numbers.length - 1]) : undefined;
}

/**
 * The page images of a folder that holds one report's pages, in page order;
 * undefined when it is no such folder. It is one when it holds nothing but
 * page images (hidden files and thumbnail caches aside), at least two,
 * numbered as pages: each name has a number (the last in it: 第3页.jpg,
 * p3.png, scan-2023-03.tif), and the numbers are 1…N (or 0…N-1) once each.
 */
export async function pageFolder(folder: string): Promise<string[] | undefined> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return undefined;
  }
  entries = entries.filter((e) => !e.name.startsWith(".") && !PASSED_OVER.has(e.name.toLowerCase()));
  if (entries.length < 2) return undefined;
  const pages: { path: string; number: number }[] = [];
  for (const entry of entries) {
    const name = entry.name.toLowerCase();
    const number = pageNumber(entry.name);
    if (!entry.isFile() || !PAGE_EXTENSIONS.some((e) => name.endsWith(e)) || number === undefined) return undefined;
    pages.push({ path: join(folder, entry.name), number });
  }
  pages.sort((a, b) => a.number - b.number);
  const first = pages[0]!.number;
  if (first !== 0 && first !== 1) return undefined;
  if (pages.some((page, i) => page.number !== first + i)) return undefined;
  return pages.map((page) => page.path);
}
