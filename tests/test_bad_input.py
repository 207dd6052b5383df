"""The bad-input catalogue, through the real server: each input gets its status code and reason,
and afterwards the server is still SERVING with exactly its worker processes (none leaked).

Formats are told by their bytes, never by the file name; limits answer RESOURCE_EXHAUSTED with a
reason naming the limit; nothing the document names is ever fetched.
"""

from __future__ import annotations

import io
import os
import random
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import hostile_inputs
import pytest
from fixtures import LAYOUTS, load_gold
from fixtures.pdf import draw, draw_encrypted, font
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from PIL import Image
from reportlab.pdfgen.canvas import Canvas
from serverproc import ServerProcess

from govreport.v1 import service_pb2, service_pb2_grpc

Stub = service_pb2_grpc.ReportExtractorStub
SAMPLES = Path(__file__).parents[1] / "server/govreport/samples"
SEED = next(SAMPLES.glob("000_*.txt"))
WORKERS = len(os.sched_getaffinity(0))  # the real server's default: one per CPU
MB = 1_000_000
MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def still_healthy(real_server: ServerProcess) -> Iterator[None]:
    """After every bad input: SERVING, and the same number of worker processes."""
    yield
    with grpc.insecure_channel(real_server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        status = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status
    assert status == health_pb2.HealthCheckResponse.SERVING
    assert len(real_server.children()) == WORKERS, real_server.children()
    assert real_server.proc.poll() is None


def extract(stub: Stub, content: bytes, name: str) -> service_pb2.Extraction:
    request = service_pb2.ExtractRequest(content=content, filename=name)
    return stub.Extract(request, timeout=300).extraction


def refused(stub: Stub, content: bytes, name: str) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.RpcError) as caught:
        extract(stub, content, name)
    return _code_reason(caught.value)


def _metadata(err: grpc.RpcError) -> dict[str, str]:
    assert isinstance(err, grpc.Call)
    status = rpc_status.from_call(err)
    assert status is not None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return dict(info.metadata)
    raise AssertionError(f"no ErrorInfo: {err}")


def _code_reason(err: grpc.RpcError) -> tuple[grpc.StatusCode, str, str]:
    assert isinstance(err, grpc.Call)
    status = rpc_status.from_call(err)
    assert status is not None, f"no rich status: {err}"
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return err.code(), info.reason, err.details() or ""
    raise AssertionError(f"no ErrorInfo: {err}")


INVALID = grpc.StatusCode.INVALID_ARGUMENT
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


def test_empty_file(stub: Stub) -> None:
    assert refused(stub, b"", "empty.pdf")[:2] == (INVALID, "EMPTY_DOCUMENT")


def test_random_bytes(stub: Stub) -> None:
    noise = random.Random(5).randbytes(64 * 1024)
    assert refused(stub, noise, "noise.bin")[:2] == (INVALID, "UNSUPPORTED_FORMAT")


@pytest.mark.parametrize("size", [(1, 1), (3000, 2), (31, 4000)])
def test_an_image_too_small_to_be_a_page(stub: Stub, size: tuple[int, int]) -> None:
    """A 1×1 PNG crashed OpenCV's resize (INTERNAL); a page under 32 pixels a side is unread."""
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    code, reason, message = refused(stub, buffer.getvalue(), "tiny.png")
    assert (code, reason) == (INVALID, "EMPTY_DOCUMENT")
    assert f"{size[0]}×{size[1]} pixels, too small to read" in message


def test_the_name_never_decides_the_format(stub: Stub) -> None:
    """A PDF named .docx is read as a PDF; a DOCX named .pdf as a DOCX."""
    pdf, _ = draw("synthetic_2021", "pdf_ruled")
    assert extract(stub, pdf, "report.docx").document.format == service_pb2.DOCUMENT_FORMAT_PDF
    docx, _ = LAYOUTS["docx_merged"](load_gold("synthetic_2021"))
    assert extract(stub, docx, "report.pdf").document.format == service_pb2.DOCUMENT_FORMAT_DOCX


def test_truncated_pdf(stub: Stub) -> None:
    pdf, _ = draw("synthetic_2021", "pdf_ruled")
    assert refused(stub, pdf[: len(pdf) // 2], "cut.pdf")[:2] == (INVALID, "CORRUPT_DOCUMENT")


def test_password_protected_pdf(stub: Stub) -> None:
    pdf, _ = draw_encrypted("synthetic_2021", "open-sesame", "owner")
    code, reason, message = refused(stub, pdf, "locked.pdf")
    assert (code, reason) == (INVALID, "ENCRYPTED_DOCUMENT")
    assert "password" in message


def test_pdf_with_5000_pages(stub: Stub) -> None:
    out = io.BytesIO()
    canvas = Canvas(out)
    for _ in range(5000):
        canvas.showPage()
    canvas.save()
    code, reason, message = refused(stub, out.getvalue(), "huge.pdf")
    assert (code, reason) == (EXHAUSTED, "TOO_MANY_PAGES")
    assert "over 500 pages" in message and "GOVREPORT_MAX_PAGES" in message


def test_pdf_page_of_50000_by_50000_pixels(stub: Stub) -> None:
    """A scanned page whose MediaBox is 12,000 pt square: 50,000 px a side at 300 dpi."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(12_000, 12_000))
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    canvas.drawImage(ImageReader(Image.new("L", (64, 64), 200)), 0, 0, 12_000, 12_000)
    canvas.save()
    code, reason, message = refused(stub, out.getvalue(), "poster.pdf")
    assert (code, reason) == (EXHAUSTED, "PAGE_TOO_LARGE")
    assert "GOVREPORT_MAX_PAGE_PIXELS" in message


def test_image_declaring_50000_by_50000_pixels(stub: Stub) -> None:
    """A PNG whose header claims 2.5 gigapixels: refused before a pixel is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
    )
    code, reason, _ = refused(stub, png + chunk(b"IEND", b""), "bomb.png")
    assert (code, reason) == (EXHAUSTED, "PAGE_TOO_LARGE")


def test_100_mb_upload_over_the_limit(stub: Stub) -> None:
    """Declared in the header: refused before a byte is read; undeclared: refused when the
    stream passes the limit (64 MiB by default)."""
    chunk = b"x" * (1 << 20)

    def upload(declare: bool) -> Iterator[service_pb2.ExtractUploadRequest]:
        size = 100 * MB if declare else 0
        yield service_pb2.ExtractUploadRequest(
            header=service_pb2.UploadHeader(filename="big.pdf", size_bytes=size)
        )
        for _ in range(100 * MB // len(chunk) + 1):
            yield service_pb2.ExtractUploadRequest(chunk=chunk)

    for declare in (True, False):
        with pytest.raises(grpc.RpcError) as caught:
            stub.ExtractUpload(upload(declare), timeout=300)
        code, reason, message = _code_reason(caught.value)
        assert (code, reason) == (EXHAUSTED, "TOO_LARGE")
        assert "67108864 bytes" in message


def test_docx_zip_bomb(stub: Stub) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>" + " " * (60 * MB) + "</w:document>")
    code, reason, message = refused(stub, out.getvalue(), "bomb.docx")
    assert (code, reason) == (EXHAUSTED, "ARCHIVE_TOO_LARGE")
    assert "GOVREPORT_MAX_ZIP_RATIO" in message


def test_docx_bomb_that_declares_2_kb_and_inflates_to_256_mib(stub: Stub) -> None:
    """The declared sizes sum to nothing much; the bytes are counted as they inflate instead
    (zipfile inflated such a member in one call, to 2 GiB, before it saw the lie)."""
    bomb = hostile_inputs.docx_bomb(inflated=256 * MiB)
    code, reason, message = refused(stub, bomb, "bomb.docx")
    assert (code, reason) == (EXHAUSTED, "ARCHIVE_TOO_LARGE")
    assert "stopped there" in message and "GOVREPORT_MAX_ZIP_RATIO" in message


def test_docx_member_that_inflates_to_another_size_than_it_declares(stub: Stub) -> None:
    lying = hostile_inputs.docx_bomb(inflated=64 * 1024, declared=2_000)  # within the ratio
    code, reason, message = refused(stub, lying, "lying.docx")
    assert (code, reason) == (INVALID, "CORRUPT_DOCUMENT")
    assert "declares 2000 bytes but inflates to" in message


def test_pdf_whose_page_tree_says_1_page_and_holds_5000(stub: Stub) -> None:
    pdf = hostile_inputs.pdf_lying_page_count(pages=5_000, declared=1)
    code, reason, message = refused(stub, pdf, "count-1.pdf")
    assert (code, reason) == (EXHAUSTED, "TOO_MANY_PAGES")
    assert "over 500 pages" in message


def test_pdf_whose_xref_stream_claims_50_million_objects(stub: Stub) -> None:
    code, reason, message = refused(stub, hostile_inputs.pdf_xref_claims(), "xref.pdf")
    assert (code, reason) == (EXHAUSTED, "TOO_COMPLEX")
    assert "claims to hold 50000000 objects" in message


@pytest.mark.parametrize("size", [50 * MB, 900_000])
def test_text_over_the_character_limit(stub: Stub, size: int) -> None:
    """Counted right after decoding, white space left out. A 50 MB text ran 175 s at 1.2 GiB
    before; 900 kB is about 300,000 characters of 3 UTF-8 bytes, the limit's edge."""
    text = hostile_inputs.long_text(size)
    code, reason, message = refused(stub, text, "long.txt")
    assert (code, reason) == (EXHAUSTED, "TOO_LARGE")
    assert "GOVREPORT_MAX_TEXT_CHARS" in message


def test_html_table_of_too_many_cells(stub: Stub) -> None:
    row = "<tr>" + "<td>1</td>" * 50 + "</tr>"
    page = f"<html><body><table>{row * 500}</table></body></html>".encode()
    code, reason, message = refused(stub, page, "cells.html")
    assert (code, reason) == (EXHAUSTED, "TOO_LARGE")
    assert "25000 table cells" in message and "GOVREPORT_MAX_TABLE_CELLS" in message


def test_a_6000_character_filename_is_echoed_clipped(
    stub: Stub, real_server: ServerProcess
) -> None:
    """It came back twice (message and ErrorInfo) past gRPC's 16 KiB of trailers: the caller
    got RESOURCE_EXHAUSTED 'metadata size exceeds hard limit' instead of the real error."""
    name = "x" * 6000
    with pytest.raises(grpc.RpcError) as caught:
        extract(stub, b"\0\1\2", name)
    code, reason, message = _code_reason(caught.value)
    assert (code, reason) == (INVALID, "UNSUPPORTED_FORMAT")
    assert "characters cut" in message and len(message) < 400
    assert len(_metadata(caught.value)["filename"]) <= 200
    assert "x" * 300 not in real_server.log()


def test_docx_whose_tag_names_run_to_20000_characters(stub: Stub) -> None:
    """lxml's message quotes both tag names whole: 40 KB of trailers before."""
    code, reason, message = refused(stub, hostile_inputs.docx_long_tag(), "long-tag.docx")
    assert (code, reason) == (INVALID, "CORRUPT_DOCUMENT")
    assert "characters cut" in message and len(message) < 1000


def test_html_with_scripts_and_external_resources_is_read_and_nothing_fetched(
    stub: Stub,
) -> None:
    hits: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Recorder) as web:
        threading.Thread(target=web.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{web.server_address[1]}"
        html, gold = LAYOUTS["html_merged"](load_gold("synthetic_2021"))
        bait = (
            f'<script src="{base}/x.js"></script><script>fetch("{base}/fetch")</script>'
            f'<link rel="stylesheet" href="{base}/x.css"><img src="{base}/x.png">'
            f'<iframe src="{base}/frame"></iframe><style>@import url("{base}/i.css");</style>'
        ).encode()
        page = html.replace(b"<body>", b"<body>" + bait, 1)
        assert bait in page
        extraction = extract(stub, page, "bait.html")
        web.shutdown()
    assert hits == []
    total = ("三", "一、本年新收政府信息公开申请数量", "总计")
    from govreport.paths import get_cell, value_text

    cell = get_cell(extraction.report, "application_handling.new_applications.total")
    assert cell is not None and value_text(cell) == gold.expected(*total)


def test_text_in_an_unexpected_encoding(stub: Stub) -> None:
    """EBCDIC (cp500): not a text encoding govreport knows, and said so."""
    text = SEED.read_text("utf-8").encode("cp500", errors="replace")
    code, reason, message = refused(stub, text, "mainframe.txt")
    assert (code, reason) == (INVALID, "UNSUPPORTED_FORMAT")
    assert "mainframe.txt" in message


def test_pdf_that_is_not_a_report(stub: Stub) -> None:
    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.setFont(font(), 14)
    for i, line in enumerate(
        [
            "增值税电子普通发票",
            "购买方：示例市卫生健康局",
            "货物或应税劳务名称：办公用品  数量：10  单价：25.00  金额：250.00",
            "价税合计（大写）：贰佰伍拾元整",
            "开票日期：2024年01月05日",
        ]
    ):
        canvas.drawString(72, 760 - 24 * i, line)
    canvas.save()
    code, reason, message = refused(stub, out.getvalue(), "invoice.pdf")
    assert (code, reason) == (INVALID, "NOT_A_REPORT")
    assert "invoice.pdf" in message


def test_report_with_its_tables_removed(stub: Stub) -> None:
    """Read, not refused: the headings are there; each missing table is one C4 error."""
    lines = SEED.read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("二、"))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("五、"))
    headings = [ln for ln in lines[start:end] if re.match(r"^\s*[二三四]、[^\t\d]*$", ln)]
    extraction = extract(
        stub, "\n".join([*lines[:start], *headings, *lines[end:]]).encode(), "t.txt"
    )
    c4 = sorted(f.cells[0] for f in extraction.validation.findings if f.rule_id == "C4")
    assert c4 == ["application_handling", "proactive_disclosure_2021", "review_and_litigation"]
    assert not [f for f in extraction.validation.findings if f.rule_id == "R6a"]
