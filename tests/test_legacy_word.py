"""Legacy Word (.doc) files, read through LibreOffice: a real .doc that LibreOffice itself
saves from a fixture report, read back to the gold; and the refusal where no LibreOffice is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import grpc
import pytest
from fixtures import LAYOUTS, load_gold
from goldcheck import compare

from govreport.errors import GovreportError
from govreport.readers import detect, legacy_word
from govreport.v1 import service_pb2, service_pb2_grpc

STEM = "000_920faedf84c991f1"  # a real report's figures (tests/gold)
# Saved as .doc, its 四 gains a grid column (行政复议's 总计 spans two): fifteen figures in
# sixteen slots, which once shifted three cells of the group.
STEMS = (STEM, "synthetic_2021")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file's signature


@pytest.fixture(scope="module", params=STEMS)
def doc_file(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture report saved as Word 97-2003 by LibreOffice (as agencies' .doc files are made
    by Word or WPS): a real OLE compound file, not a renamed DOCX."""
    stem: str = request.param
    folder = tmp_path_factory.mktemp("doc")
    docx, _ = LAYOUTS["docx_merged"](load_gold(stem))
    source = folder / f"{stem}.docx"
    source.write_bytes(docx)
    soffice = legacy_word.converter()
    assert soffice is not None, "LibreOffice (soffice) is a test dependency: make system-deps"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "doc:MS Word 97",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    made = folder / f"{stem}.doc"
    assert made.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    return made


def test_a_doc_is_detected_by_its_bytes(doc_file: Path) -> None:
    content = doc_file.read_bytes()
    assert detect.detect(content, "report.pdf").value == "legacy_word"


def test_a_doc_made_by_libreoffice_reads_to_the_gold_through_the_server(
    doc_file: Path, stub: service_pb2_grpc.ReportExtractorStub
) -> None:
    """Through the real server: the conversion runs inside a worker, under its limits."""
    request = service_pb2.ExtractRequest(content=doc_file.read_bytes(), filename=doc_file.name)
    extraction = stub.Extract(request, timeout=300).extraction
    assert extraction.document.format == service_pb2.DOCUMENT_FORMAT_LEGACY_WORD
    _, gold = LAYOUTS["docx_merged"](load_gold(doc_file.stem))
    assert compare(extraction.report, [c._asdict() for c in gold.cells]) == []


def test_an_excel_97_file_is_still_refused() -> None:
    ole = _OLE + b"\0" * 504 + "Workbook".encode("utf-16-le")
    with pytest.raises(GovreportError) as caught:
        detect.detect(ole, "book.xls")
    assert caught.value.reason == "UNSUPPORTED_FORMAT"
    assert "not a Word document" in caught.value.message


def test_without_libreoffice_the_refusal_names_it(
    doc_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(legacy_word, "converter", lambda: None)
    with pytest.raises(GovreportError) as caught:
        legacy_word.read(doc_file.read_bytes())
    assert caught.value.reason == "UNSUPPORTED_FORMAT"
    assert "LibreOffice (soffice)" in caught.value.message
    assert "libreoffice-writer-nogui" in caught.value.message


def test_a_damaged_doc_is_corrupt_not_read_as_text(
    stub: service_pb2_grpc.ReportExtractorStub,
) -> None:
    """Left to guess, LibreOffice imports any bytes as plain text; the Word 97 filter is forced."""
    damaged = _OLE + "WordDocument".encode("utf-16-le") + b"\x07" * 4000
    with pytest.raises(grpc.RpcError) as caught:
        stub.Extract(service_pb2.ExtractRequest(content=damaged, filename="bad.doc"), timeout=300)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    details = caught.value.details() or ""  # type: ignore[attr-defined]
    assert details.startswith("LibreOffice could not convert the .doc/.wps file")
