"""Hostile documents, built on demand: the inputs of issue 14 that lied about themselves.

Each builder makes a small file that claims one thing and is another (a zip
member that declares 2,000 bytes and inflates to a gibibyte, a PDF whose
page tree says one page and holds thousands, an xref stream that claims
fifty million objects). tests/test_bad_input.py sends them at test sizes;
bench/hostile.py at the sizes the issue reported, measuring code, reason,
seconds and memory; bench/load.py mixes them into its load.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

MiB = 1024 * 1024

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def tiny_png(width: int = 1, height: int = 1) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, "PNG")
    return out.getvalue()


def docx_with(document_xml: bytes) -> bytes:
    """A DOCX package whose main part is ``document_xml``, whatever that is."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document_xml)
    return out.getvalue()


def docx_long_tag(length: int = 20_000) -> bytes:
    """document.xml is ``<AAAA…></AAAA…B>``: lxml's message quotes both tag names whole."""
    name = b"A" * length
    return docx_with(b"<" + name + b"></" + name + b"B>")


def docx_bomb(inflated: int = 1024 * MiB, declared: int = 2_000) -> bytes:
    """A DOCX whose document.xml declares ``declared`` bytes (in both headers) and inflates to
    ``inflated``: the sum of declared sizes looks harmless."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [compressor.compress(b"<w:document>")]
    block = b" " * MiB
    for start in range(0, inflated, MiB):
        parts.append(compressor.compress(block[: min(MiB, inflated - start)]))
    parts.append(compressor.flush())
    deflated = b"".join(parts)
    name = b"word/document.xml"
    crc = 0  # never reached: the member is not what it says it is
    entries = [
        (b"[Content_Types].xml", _CONTENT_TYPES),
        (b"_rels/.rels", _RELS),
    ]
    out = io.BytesIO()
    central: list[bytes] = []

    def add(filename: bytes, data: bytes, size: int, crc32: int, method: int) -> None:
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                method,
                0,
                0,
                crc32,
                len(data),
                size,
                len(filename),
                0,
            )
        )
        out.write(filename)
        out.write(data)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0,
                crc32,
                len(data),
                size,
                len(filename),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + filename
        )

    for filename, data in entries:
        add(filename, data, len(data), zlib.crc32(data), 0)
    add(name, deflated, declared, crc, 8)
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(
        struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            len(central),
            len(central),
            out.tell() - start,
            start,
            0,
        )
    )
    return out.getvalue()


def _pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF with a classic xref table from ``objects`` (object i+1 is objects[i])."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, root, xref)
    )
    return out.getvalue()


def pdf_lying_page_count(pages: int = 5_000, declared: int = 1) -> bytes:
    """A page tree of ``pages`` leaves whose /Count says ``declared``."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    text = b"BT /F1 11 Tf 72 770 Td (Section 2, table row 1: 12 3 45) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % declared,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 3 0 R >> >> >>"
    )
    objects += [page] * pages
    return _pdf(objects)


def pdf_font_without_bbox() -> bytes:
    """A one-page PDF whose font descriptor has no /FontBBox, as many real PDFs: pdfminer warns
    "Could not get FontBBox from font descriptor…" for it."""
    text = b"BT /F1 11 Tf 72 770 Td (2023 annual report) Tj ET"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Custom /FontDescriptor 6 0 R >>",
            b"<< /Type /FontDescriptor /FontName /Custom /Flags 32 >>",
        ]
    )


def pdf_xref_claims(objects: int = 50_000_000) -> bytes:
    """A PDF 1.5 whose cross-reference stream claims ``objects`` entries (all but three free):
    a few hundred KB that parse into an index of every one of them."""
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = [0]
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref_at = out.tell()
    width = (1, 4, 2)
    compressor = zlib.compressobj(9)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offset, 0) for offset in offsets[1:]]
    rows.append(struct.pack(">BIH", 1, xref_at, 0))  # the xref stream itself, object 4
    data = [compressor.compress(b"".join(rows))]
    free = b"\0" * (7 * 65536)
    remaining = objects - len(rows)
    while remaining > 0:
        step = min(remaining, 65536)
        data.append(compressor.compress(free[: 7 * step]))
        remaining -= step
    data.append(compressor.flush())
    stream = b"".join(data)
    out.write(
        b"4 0 obj\n<< /Type /XRef /Size %d /W [%d %d %d] /Root 1 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n"
        % (objects, *width, len(stream))
        + stream
        + b"\nendstream\nendobj\n"
    )
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return out.getvalue()


def long_text(size: int = 50 * MiB) -> bytes:
    """A plain-text 'report' of ``size`` bytes: one real line repeated."""
    line = "二、主动公开政府信息情况 本年制发件数 12 本年废止件数 3 现行有效件数 45\n".encode()
    return line * (size // len(line))


BUILDERS: dict[str, Callable[[], bytes]] = {
    "tiny.png": tiny_png,
    "long-tag.docx": docx_long_tag,
    "bomb.docx": docx_bomb,
    "pages.pdf": pdf_lying_page_count,
    "xref.pdf": pdf_xref_claims,
    "long.txt": long_text,
}
