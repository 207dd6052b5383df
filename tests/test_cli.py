"""The govreport command: exit codes, messages, output formats (fake convert where it matters)."""

from __future__ import annotations

import csv
import io
import json
import random
import socket
import subprocess
import sys
from pathlib import Path

import fakes
import pytest
from fakes import FakeBackend, make_extraction

from govreport import cli, render
from govreport import convert as convert_module
from govreport import validation as validation_module
from govreport.v1 import validation_pb2

SAMPLES = Path(__file__).parents[1] / "server/govreport/samples"


@pytest.fixture
def fake_convert(monkeypatch: pytest.MonkeyPatch) -> FakeBackend:
    backend = FakeBackend()
    monkeypatch.setattr(convert_module, "convert", backend.convert)
    monkeypatch.setattr(validation_module, "validate", backend.validate)
    return backend


def write(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---------------------------------------------------------------- exit codes and messages


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.txt")
    assert cli.main(["extract", missing]) == 2
    assert capsys.readouterr().err.strip() == f"govreport: {missing}: NOT_FOUND: no such file"


def test_random_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "r.bin", random.Random(7).randbytes(2048))
    assert cli.main(["extract", path]) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {path}: UNSUPPORTED_FORMAT: ")


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "e.txt", b"")
    assert cli.main(["extract", path]) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {path}: EMPTY_DOCUMENT: ")


def test_folder_without_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.odt").write_text("not a document type govreport reads")
    assert cli.main(["extract", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "govreport: extract: skipped files that are no document format govreport reads: .odt ×1",
        "govreport: extract: NO_DOCUMENTS: no documents found in the given folders",
    ]


def test_worst_code_over_several_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_convert: FakeBackend
) -> None:
    good = write(tmp_path, "good.txt", b"report")
    assert cli.main(["extract", good]) == 1  # the fake report has an error finding
    capsys.readouterr()
    missing = str(tmp_path / "missing.txt")
    assert cli.main(["extract", missing, good, "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 1  # the good one was still processed (JSON Lines)
    assert "NOT_FOUND" in err


def test_internal_error_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_convert: FakeBackend
) -> None:
    path = write(tmp_path, "b.txt", b"BOOM")
    assert cli.main(["extract", path]) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {path}: INTERNAL: RuntimeError")


def test_console_script_runs(tmp_path: Path) -> None:
    missing = str(tmp_path / "x.docx")
    result = subprocess.run(
        [sys.executable, "-m", "govreport.cli", "extract", missing],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"govreport: {missing}: NOT_FOUND")


# ---------------------------------------------------------------- formats


def test_format_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_convert: FakeBackend
) -> None:
    path = write(tmp_path, "a.txt", b"report")
    assert cli.main(["extract", path, "--format", "json", "--filed-year", "2023"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["report"]["metadata"]["title"] == fakes.TITLE  # CJK not escaped
    assert data["report"]["metadata"]["reportYear"] == 2023
    assert data["document"]["filename"] == "a.txt"
    assert fake_convert.last_call("a.txt").filed_year == 2023


def test_format_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_convert: FakeBackend
) -> None:
    path = write(tmp_path, "a.txt", b"report")
    cli.main(["extract", path, "--format", "cells"])
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "section,row,column,value,raw,page,confidence,status"
    rows = {(r["row"], r["column"]): r for r in csv.DictReader(io.StringIO(out))}
    assert len(rows) == 10 + 25 * 7 + 3 * 5  # 二, 三 without group rows, 四
    penalty = rows[("第二十条第（六）项 / 行政处罚", "本年处理决定数量")]
    assert (penalty["value"], penalty["raw"]) == ("52", fakes.PENALTY_TEXT)
    assert (penalty["confidence"], penalty["status"], penalty["page"]) == (
        "0.80",
        "text+derived",
        "",
    )
    total = rows[("一、本年新收政府信息公开申请数量", "总计")]
    assert (total["value"], total["page"], total["status"]) == ("7", "3", "number+R2")
    blank = rows[("行政复议", "尚未审结")]
    assert (blank["value"], blank["status"]) == ("", "blank")


def test_format_cells_several_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_convert: FakeBackend
) -> None:
    paths = [write(tmp_path, f"{n}.txt", b"report") for n in ("a", "b")]
    cli.main(["extract", *paths, "--format", "cells"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "file,section,row,column,value,raw,page,confidence,status"
    assert sum(line.startswith("file,") for line in lines) == 1
    assert {line.split(",", 1)[0] for line in lines[1:]} == {"a.txt", "b.txt"}


def test_format_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_convert: FakeBackend
) -> None:
    path = write(tmp_path, "a.txt", b"report")
    cli.main(["extract", path])  # table is the default
    out = capsys.readouterr().out
    for text in (
        fakes.TITLE,
        "二、主动公开政府信息情况",
        "第二十条第（一）项",
        "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量",
        "4.保护第三方合法权益",
        "四、政府信息公开行政复议、行政诉讼情况",
        "未经复议直接起诉",
        "[error] R2 — expected 0, found 7",
        fakes.PENALTY_TEXT,
    ):
        assert text in out, text
    new_row = next(line for line in out.splitlines() if "一、本年新收" in line)
    assert new_row.split()[-1] == "7!"  # flagged by the R2 finding
    penalty_row = next(line for line in out.splitlines() if line.strip().startswith("行政处罚"))
    assert penalty_row.split()[-1] == "52*"


def test_table_columns_line_up() -> None:
    lines = render.to_table(make_extraction()).splitlines()
    flagged = next(line for line in lines if "一、本年新收" in line)  # ends "7!"
    plain = next(line for line in lines if "1.属于国家秘密" in line)  # ends "0"
    assert flagged.endswith("7!") and plain.endswith("0")
    assert render.display_width(flagged[:-1]) == render.display_width(plain)


# ---------------------------------------------------------------- template, validate, health


def test_template(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["template"]) == 0
    data = json.loads(capsys.readouterr().out)["template"]
    assert data["version"] == "TEMPLATE_VERSION_2021"
    tables = {t["section"]: t for t in data["tables"]}
    assert len(tables["三"]["rows"]) == 29
    assert tables["三"]["rows"][0]["label"] == "一、本年新收政府信息公开申请数量"
    assert cli.main(["template", "--version", "2019"]) == 0
    data = json.loads(capsys.readouterr().out)["template"]
    assert data["source"] == "国办公开办函〔2019〕60号"
    assert len({t["section"]: t for t in data["tables"]}["三"]["rows"]) == 26


def test_template_from_server(server_address: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["template", "--version", "2019"]) == 0
    local = capsys.readouterr().out
    assert cli.main(["template", "--version", "2019", "--server", server_address]) == 0
    assert capsys.readouterr().out == local


def test_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_convert: FakeBackend
) -> None:
    extraction_json = render.to_json(make_extraction())
    as_extraction = write(tmp_path, "extraction.json", extraction_json.encode())
    as_response = write(tmp_path, "response.json", f'{{"extraction": {extraction_json}}}'.encode())
    as_report = write(tmp_path, "report.json", render.to_json(make_extraction().report).encode())
    for path in (as_extraction, as_response, as_report):
        assert cli.main(["validate", path, "--filed-year", "2023"]) == 1
        assert "[error] R2" in capsys.readouterr().out
        assert fake_convert.validate_calls[-1] == (fakes.TITLE, False, 2023)
    assert cli.main(["validate", as_report, "--previous", as_report, "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert findings["findings"][0]["ruleId"] == "R2"
    assert fake_convert.validate_calls[-1] == (fakes.TITLE, True, 0)


def test_validate_no_errors_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(validation_module, "validate", lambda *_: validation_pb2.ValidationReport())
    path = write(tmp_path, "r.json", b"{}")
    assert cli.main(["validate", path]) == 0
    assert "(none)" in capsys.readouterr().out


def test_validate_bad_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "bad.json", b"{not json")
    assert cli.main(["validate", path]) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {path}: INVALID_JSON: ")
    path = write(tmp_path, "wrong.json", b'{"metadata": {"no_such_field": 1}}')
    assert cli.main(["validate", path]) == 2
    assert ": INVALID_REPORT: " in capsys.readouterr().err


def test_health(server_address: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["health", "--server", server_address]) == 0
    assert capsys.readouterr().out.strip() == "SERVING"
    service = "govreport.v1.ReportExtractor"
    assert cli.main(["health", "--server", server_address, "--service", service]) == 0


def test_health_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    address = f"127.0.0.1:{free_port()}"
    assert cli.main(["health", "--server", address, "--timeout", "1"]) == 2
    assert capsys.readouterr().err.startswith(f"govreport: {address}: UNAVAILABLE: ")


# ---------------------------------------------------------------- extract --server


def test_extract_server_errors(
    tmp_path: Path, server_address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "r.bin", random.Random(3).randbytes(1024))
    empty = write(tmp_path, "e.txt", b"")
    assert cli.main(["extract", "--server", server_address, path, empty]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"govreport: {path}: UNSUPPORTED_FORMAT: ")
    assert err[1].startswith(f"govreport: {empty}: EMPTY_DOCUMENT: ")


def test_extract_server_large_file_uses_upload(
    tmp_path: Path, fake_server: str, fake_backend: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    content = b"report " * (5 * 1024 * 1024 // 7 + 1)  # over 4 MiB
    path = write(tmp_path, "big.txt", content)
    assert cli.main(["extract", "--server", fake_server, path, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert int(data["document"]["sizeBytes"]) == len(content)
    assert fake_backend.last_call("big.txt").size == len(content)


def test_extract_server_unreachable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.txt", b"report")
    address = f"127.0.0.1:{free_port()}"
    assert cli.main(["extract", "--server", address, "--timeout", "2", path]) == 2
    assert f": UNAVAILABLE: {address} is unreachable: " in capsys.readouterr().err


def test_library_warnings_never_reach_the_terminal(tmp_path: Path) -> None:
    """pdfminer warns "Could not get FontBBox from font descriptor…" for many real PDFs: on the
    terminal only govreport's own lines, from one file and from worker processes alike."""
    import subprocess
    import sys

    import hostile_inputs

    pdf = tmp_path / "nobbox.pdf"
    pdf.write_bytes(hostile_inputs.pdf_font_without_bbox())
    command = [sys.executable, "-m", "govreport.cli", "extract"]
    one = subprocess.run([*command, str(pdf)], capture_output=True, text=True, timeout=120)
    assert one.returncode == 2
    assert one.stderr.splitlines() == [
        f"govreport: {pdf}: NOT_A_REPORT: nobbox.pdf does not look like a 政府信息公开工作年度报告: "
        "found 0 of the template's six section headings (一、总体情况 … 六、其他需要报告的事项) "
        "and none of its tables"
    ]
    many = subprocess.run(
        [*command, str(tmp_path), "--out", str(tmp_path / "out.csv"), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "FontBBox" not in many.stderr
    assert all(line.startswith("govreport: ") for line in many.stderr.splitlines()), many.stderr
