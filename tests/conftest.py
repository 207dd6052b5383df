"""Shared fixtures: the real server in a subprocess, and an in-process server over a fake convert."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import grpc
import pytest
from fakes import FakeBackend
from serverproc import ServerProcess, running_server

from govreport.server import in_thread
from govreport.settings import Settings
from govreport.v1 import service_pb2_grpc
from govreport.workers import ThreadRunner

if TYPE_CHECKING:
    from fixtures.pdf import PdfFixtures


@pytest.fixture(scope="session")
def real_server() -> Iterator[ServerProcess]:
    """``govreport serve --port 0`` in a subprocess, SERVING; stopped after the session."""
    with running_server() as server:
        yield server
        assert server.proc.poll() is None, f"the server died:\n{server.log()}"


@pytest.fixture(scope="session")
def server_address(real_server: ServerProcess) -> str:
    return real_server.address


@pytest.fixture(scope="session")
def channel(server_address: str) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server_address) as ch:
        yield ch


@pytest.fixture(scope="session")
def stub(channel: grpc.Channel) -> service_pb2_grpc.ReportExtractorStub:
    return service_pb2_grpc.ReportExtractorStub(channel)


@pytest.fixture(scope="session")
def fake_backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture(scope="session")
def fake_server(fake_backend: FakeBackend) -> Iterator[str]:
    """An in-process server whose convert/validate are fakes (see fakes.py); yields its address."""
    settings = Settings(port=0, max_upload_bytes=8 * 1024 * 1024, batch_in_flight=4)
    runner = ThreadRunner(fake_backend.convert, size=4, queue_limit=64)
    with in_thread(settings, runner=runner, validate_fn=fake_backend.validate) as running:
        yield f"127.0.0.1:{running.port}"


@pytest.fixture(scope="session")
def fake_stub(fake_server: str) -> Iterator[service_pb2_grpc.ReportExtractorStub]:
    with grpc.insecure_channel(fake_server) as ch:
        yield service_pb2_grpc.ReportExtractorStub(ch)


@pytest.fixture(scope="session")
def pdf_fixtures(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PdfFixtures]:
    """The PDF fixtures of the session (fixtures/pdf.py), made in one temporary directory.

    LibreOffice starts converting, in the background, the DOCX of every
    selected ``pdf_lo_*`` case at once; the drawn PDFs are made on demand.
    """
    from fixtures.pdf import CONVERTED, PdfFixtures

    wanted = sorted(
        {
            (params["stem"], params["layout"])
            for item in request.session.items
            if (params := getattr(getattr(item, "callspec", None), "params", {}))
            and params.get("layout") in CONVERTED
            and "stem" in params
        }
    )
    fixtures = PdfFixtures(tmp_path_factory.mktemp("pdf"))
    with fixtures:
        fixtures.start_conversion(wanted)
        yield fixtures
