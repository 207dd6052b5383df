// Reads a ZIP archive back with Python's zipfile, what the server uses: the
// tests' independent check of src/zip.ts and of page sets.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface Member {
  name: string;
  compressType: number;
  flagBits: number;
  fileSize: number;
  crc: number;
  sha256: string;
}

/** Reads an archive back with Python's zipfile (what the server uses), CRCs checked. */
export async function readBack(archive: Buffer): Promise<Member[]> {
  const file = join(await mkdtemp(join(tmpdir(), "govreport-zip-")), "a.zip");
  await writeFile(file, archive);
  const script = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None, "a member's CRC is wrong"
    print(json.dumps([dict(name=i.filename, compressType=i.compress_type, flagBits=i.flag_bits,
        fileSize=i.file_size, crc=i.CRC, sha256=hashlib.sha256(z.read(i)).hexdigest()) for i in z.infolist()]))`;
  const { stdout } = await promisify(execFile)("python3", ["-c", script, file]);
  return JSON.parse(stdout) as Member[];
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

