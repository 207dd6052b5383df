"""The Python client (govreport.Client) against the real server, govreport.extract() in-process,
and local runs that take their limits from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import HONGZE_PDF, PINGTAN_HTML
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

import govreport
from govreport import cli
from govreport.client import Client, batch_error_of, service_config
from govreport.errors import GovreportError, Reason
from govreport.render import render
from govreport.v1 import report_pb2, service_pb2
from govreport.v1 import validation_pb2 as vpb

SAMPLES = Path(__file__).parents[1] / "server/govreport/samples"


@pytest.fixture(scope="module")
def client(server_address: str) -> Iterator[govreport.Client]:
    with govreport.Client(server_address, timeout=120) as connected:
        yield connected


def test_extract_a_path_on_the_server_as_in_process(client: govreport.Client) -> None:
    remote = client.extract(str(PINGTAN_HTML))
    local = govreport.extract(PINGTAN_HTML)
    assert remote.document.filename == PINGTAN_HTML.name
    assert render(remote, "cells") == render(local, "cells")


def test_upload_in_chunks_gives_the_same_extraction(client: govreport.Client) -> None:
    content = HONGZE_PDF.read_bytes()
    whole = client.extract(content, HONGZE_PDF.name)
    chunked = client.upload(content, HONGZE_PDF.name)
    assert render(chunked, "cells") == render(whole, "cells")


def test_an_error_carries_its_reason_and_details(client: govreport.Client) -> None:
    with pytest.raises(GovreportError) as caught:
        client.extract(b"\x00\x01garbage", "noise.bin")
    assert caught.value.reason == Reason.UNSUPPORTED_FORMAT
    assert caught.value.details["filename"] == "noise.bin"
    assert caught.value.retry_after is None


def test_batch_gives_one_result_a_document_even_for_a_missing_file(
    client: govreport.Client, tmp_path: Path
) -> None:
    seeds = sorted(SAMPLES.glob("*.txt"))[:2]
    documents = [str(seeds[0]), str(tmp_path / "missing.pdf"), str(seeds[1])]
    results = dict(client.batch(documents))
    assert sorted(results) == [0, 1, 2]
    missing = results[1]
    assert isinstance(missing, GovreportError) and missing.reason == Reason.NOT_FOUND
    for index in (0, 2):
        extraction = results[index]
        assert not isinstance(extraction, GovreportError)
        assert extraction.document.filename == Path(documents[index]).name


def test_validate_template_and_health(client: govreport.Client) -> None:
    report = govreport.extract(sorted(SAMPLES.glob("000_*.txt"))[0]).report
    validation = client.validate(report, filed_year=2023)
    assert validation.rules_checked and all(
        f.severity != vpb.SEVERITY_ERROR for f in validation.findings
    )
    definition = client.template(report_pb2.TEMPLATE_VERSION_2019)
    assert definition.version == report_pb2.TEMPLATE_VERSION_2019
    assert [r.id for r in definition.rules][:3] == ["R1", "R2", "R3"]
    assert client.health() == 1  # SERVING


def test_local_extract_takes_the_settings_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """GOVREPORT_MAX_PAGES holds without a server too (it used to apply on the server only)."""
    monkeypatch.setenv("GOVREPORT_MAX_PAGES", "2")
    with pytest.raises(GovreportError) as caught:
        govreport.extract(HONGZE_PDF)
    assert caught.value.reason == Reason.TOO_MANY_PAGES


def test_local_batch_takes_the_settings_limits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``extract --out`` without a server runs on the worker machinery with the settings."""
    monkeypatch.setenv("GOVREPORT_MAX_PAGES", "2")
    out = tmp_path / "results.csv"
    assert cli.main(["extract", str(HONGZE_PDF), str(PINGTAN_HTML), "--out", str(out)]) == 2
    rows = out.read_text(encoding="utf-8").splitlines()
    assert ",error,TOO_MANY_PAGES," in rows[1] and ",ok," in rows[2]
    assert f"{HONGZE_PDF}: TOO_MANY_PAGES: " in capsys.readouterr().err


def test_the_client_loads_the_service_config_of_the_proto_folder() -> None:
    """One retry policy for every client: the file beside the stubs is proto/'s, unchanged."""
    proto = Path(__file__).resolve().parents[1] / "proto/govreport/v1/service_config.json"
    assert service_config() == proto.read_text(encoding="utf-8")
    assert '"retryableStatusCodes": ["UNAVAILABLE"]' in service_config()


def test_batch_timeout_is_each_documents_deadline(fake_server: str) -> None:
    """Client.batch(timeout=…) goes out as each document's time limit: the slow one fails
    DEADLINE_EXCEEDED, the quick one comes back, and the stream (no deadline) outlives both."""
    with Client(fake_server) as client:
        results = dict(
            client.batch([b"SLEEP=5;x", b"SLEEP=0.05;x"], timeout=0.3)  # bytes: no file names
        )
    slow, quick = results[0], results[1]
    assert isinstance(slow, GovreportError) and slow.reason == Reason.DEADLINE_EXCEEDED
    assert "0.3 s" in slow.message and slow.details["time_limit_seconds"] == "0.3"
    assert not isinstance(quick, GovreportError)


def test_a_batch_error_keeps_its_status_details() -> None:
    """BatchError.status's ErrorInfo and RetryInfo give the error its details and delay, as a
    unary call's status does; a BatchError from an older server has only reason and message."""
    info, retry = any_pb2.Any(), any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason="OVERLOADED", metadata={"request_id": "r1"}))
    retry.Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2)))
    status = status_pb2.Status(code=14, message="busy", details=[info, retry])
    error = batch_error_of(
        service_pb2.BatchError(code=14, reason="OVERLOADED", message="busy", status=status)
    )
    assert (error.reason, error.retry_after, error.details) == (
        "OVERLOADED",
        2.0,
        {"request_id": "r1"},
    )
    old = batch_error_of(service_pb2.BatchError(code=3, reason="NOT_A_REPORT", message="no"))
    assert (old.reason, old.message, old.retry_after) == ("NOT_A_REPORT", "no", None)
