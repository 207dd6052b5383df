// A small ZIP writer: STORED members (no compression), as Node has no ZIP
// writer of its own. Enough for a page set (page images, compressed already):
// local file headers, the central directory and its end record, CRC-32.
// No zip64: every size and offset must be under 4 GiB, at most 65535 members.
// (APPNOTE.TXT, https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT)

/** One member of the archive. */
export interface ZipEntry {
  /** Its path in the archive ("/" between folders), UTF-8. */
  name: string;
  data: Uint8Array;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_BYTES = 22;
/** Version 1.0: enough to extract a stored member; "made by" 2.0 on MS-DOS (no Unix modes). */
const VERSION_NEEDED = 10;
const VERSION_MADE_BY = 20;
const STORED = 0;
/** General purpose flag bit 11: the name is UTF-8 (else readers take it as CP437). */
const FLAG_UTF8 = 0x0800;
/** MS-DOS date of 1980-01-01 (the earliest there is) and time 00:00: the same pages, the same bytes. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

/** The CRC-32 of ZIP (and gzip, PNG): reflected polynomial 0xEDB88320, one table lookup a byte. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `data`; pass the CRC so far as `crc` to continue over several pieces. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = (crc ^ MAX_U32) >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ MAX_U32) >>> 0;
}

/** The ZIP archive of `entries`, in their order, every member stored. */
export function storedZip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > MAX_U16) throw new RangeError(`a ZIP without zip64 holds at most ${MAX_U16} members`);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    if (nameBytes.length > MAX_U16) throw new RangeError(`member name too long: ${name}`);
    if (data.length > MAX_U32 || offset > MAX_U32) throw new RangeError(`the archive would need zip64 at ${name}`);
    const flags = /^[\x00-\x7f]*$/.test(name) ? 0 : FLAG_UTF8;
    const crc = crc32(data);

    const local = Buffer.alloc(LOCAL_HEADER_BYTES);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(STORED, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); // compressed size: stored, the same
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28); // no extra field

    const header = Buffer.alloc(CENTRAL_HEADER_BYTES);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(VERSION_MADE_BY, 4);
    header.writeUInt16LE(VERSION_NEEDED, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(STORED, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(nameBytes.length, 28);
    // Extra field and comment lengths, disk number, internal and external
    // attributes: all 0 (Buffer.alloc zero-fills 30..41).
    header.writeUInt32LE(offset, 42);
    central.push(header, nameBytes);

    parts.push(local, nameBytes, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    offset += LOCAL_HEADER_BYTES + nameBytes.length + data.length;
  }
  const centralSize = central.reduce((size, part) => size + part.length, 0);
  if (offset > MAX_U32 || centralSize > MAX_U32) throw new RangeError("the archive would need zip64");

  const end = Buffer.alloc(END_BYTES);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  // Number of this disk and of the disk where the central directory starts: 0 (4..7).
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  // No archive comment (20..21).
  return Buffer.concat([...parts, ...central, end]);
}
