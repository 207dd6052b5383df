"""Settings from GOVREPORT_* variables, and the server's graceful stop."""

from __future__ import annotations

import os

import pytest
from serverproc import start_server

from govreport.settings import MiB, Settings, parse_size


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 50051)
    assert settings.max_message_bytes == 64 * MiB
    assert settings.max_upload_bytes == 256 * MiB
    assert settings.upload_chunk_bytes == 1 * MiB
    assert settings.address == "127.0.0.1:50051"


def test_from_env() -> None:
    settings = Settings.from_env(
        {
            "GOVREPORT_HOST": "::1",
            "GOVREPORT_PORT": "0",
            "GOVREPORT_MAX_UPLOAD_BYTES": "1KiB",
            "GOVREPORT_MAX_MESSAGE_BYTES": "2M",
            "GOVREPORT_WORKERS": "3",
            "GOVREPORT_GRACE_SECONDS": "0.5",
            "GOVREPORT_LOG_LEVEL": "debug",
            "GOVREPORT_BATCH_WORKERS": "",  # empty means unset
        }
    )
    assert settings.address == "[::1]:0"
    assert (settings.max_upload_bytes, settings.max_message_bytes) == (1024, 2 * MiB)
    assert (settings.workers, settings.batch_workers) == (3, 2)
    assert (settings.grace_seconds, settings.log_level) == (0.5, "DEBUG")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GOVREPORT_PORT", "http"),
        ("GOVREPORT_PORT", "70000"),
        ("GOVREPORT_MAX_UPLOAD_BYTES", "lots"),
        ("GOVREPORT_MAX_UPLOAD_BYTES", "0"),
        ("GOVREPORT_WORKERS", "0"),
        ("GOVREPORT_LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="GOVREPORT_"):
        Settings.from_env({name: value})


def test_parse_size() -> None:
    assert [parse_size(s) for s in ("10", "10B", "1k", "1KiB", "3MiB", "1G")] == [
        10,
        10,
        1024,
        1024,
        3 * MiB,
        1024 * MiB,
    ]


def test_server_stops_gracefully_on_sigterm() -> None:
    server = start_server({"GOVREPORT_GRACE_SECONDS": "1"})
    try:
        assert server.stop() == 0
        log = server.log()
        assert "received SIGTERM, stopping" in log and "stopped" in log
    finally:
        os.unlink(server.log_path)
