"""Settings: defaults < config file < GOVREPORT_* variables < flags, the documented table, and the
server's graceful stop."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from serverproc import start_server

from govreport.settings import GiB, MiB, Settings, parse_size, table

DOCS = Path(__file__).parents[1] / "docs/configuration.md"


def test_defaults() -> None:
    settings = Settings.load(environ={})
    assert (settings.host, settings.port) == ("127.0.0.1", 50051)
    assert settings.max_message_bytes == 64 * MiB
    assert settings.max_upload_bytes == 64 * MiB
    assert settings.upload_chunk_bytes == 1 * MiB
    assert settings.address == "127.0.0.1:50051"
    assert settings.worker_count == len(os.sched_getaffinity(0))
    assert settings.queue_limit == 4 * settings.worker_count
    assert settings.metrics_port == -1 and settings.tokens() == frozenset()


def test_from_env() -> None:
    settings = Settings.load(
        environ={
            "GOVREPORT_HOST": "::1",
            "GOVREPORT_PORT": "0",
            "GOVREPORT_MAX_UPLOAD_BYTES": "1KiB",
            "GOVREPORT_MAX_MESSAGE_BYTES": "2M",
            "GOVREPORT_WORKERS": "3",
            "GOVREPORT_GRACE_SECONDS": "0.5",
            "GOVREPORT_LOG_LEVEL": "debug",
            "GOVREPORT_MAX_QUEUE": "",  # empty means unset
        }
    )
    assert settings.address == "[::1]:0"
    assert (settings.max_upload_bytes, settings.max_message_bytes) == (1024, 2 * MiB)
    assert (settings.workers, settings.queue_limit) == (3, 12)
    assert (settings.grace_seconds, settings.log_level) == (0.5, "DEBUG")


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "govreport.toml"
    config.write_text(
        'port = 6000\nmax_pages = 50\nworker_memory_bytes = "1GiB"\nlog_format = "text"\n'
        'auth_tokens = "alpha"\n',
        encoding="utf-8",
    )
    tokens = tmp_path / "tokens"
    tokens.write_text("# one a line\nbeta\n\ngamma  # trailing comment\n", encoding="utf-8")
    env = {"GOVREPORT_CONFIG": str(config), "GOVREPORT_PORT": "7000"}
    settings = Settings.load(
        environ=env, overrides={"max_pages": 20, "auth_tokens_file": str(tokens), "host": None}
    )
    assert settings.port == 7000  # the environment over the file
    assert settings.max_pages == 20  # the flag over the file
    assert settings.worker_memory_bytes == 1 * GiB and settings.log_format == "text"
    assert settings.limits.max_pages == 20
    assert settings.tokens() == {"alpha", "beta", "gamma"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GOVREPORT_PORT": "http"}, "GOVREPORT_PORT"),
        ({"GOVREPORT_PORT": "70000"}, "port must be"),
        ({"GOVREPORT_MAX_UPLOAD_BYTES": "lots"}, "GOVREPORT_MAX_UPLOAD_BYTES"),
        ({"GOVREPORT_MAX_UPLOAD_BYTES": "0"}, "max_upload_bytes must be positive"),
        ({"GOVREPORT_WORKERS": "-1"}, "workers must not be negative"),
        ({"GOVREPORT_LOG_LEVEL": "LOUD"}, "log_level"),
        ({"GOVREPORT_TLS_CERT_FILE": "c.pem"}, "go together"),
        ({"GOVREPORT_CONFIG": "/nonexistent.toml"}, "config file /nonexistent.toml"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.load(environ=env)


def test_unknown_key_in_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown settings prot"):
        Settings.load(config_file=str(config), environ={})


def test_parse_size() -> None:
    assert [parse_size(s) for s in ("10", "10B", "1k", "1KiB", "3MiB", "1G")] == [
        10,
        10,
        1024,
        1024,
        3 * MiB,
        1024 * MiB,
    ]


def test_the_documented_table_is_the_code() -> None:
    """docs/configuration.md holds `python -m govreport.settings` verbatim: every setting, once."""
    assert table() in DOCS.read_text("utf-8")


def test_server_stops_gracefully_on_sigterm() -> None:
    server = start_server({"GOVREPORT_GRACE_SECONDS": "1", "GOVREPORT_WORKERS": "1"})
    try:
        assert server.stop() == 0
        log = server.log()
        assert "stopping: NOT_SERVING for 2 s, then draining" in log
        assert '"message": "stopped"' in log
    finally:
        os.unlink(server.log_path)


def test_the_upload_budget_holds_at_least_the_largest_upload() -> None:
    with pytest.raises(ValueError) as caught:
        Settings(max_upload_bytes=200 * MiB)
    assert str(caught.value) == (
        f"upload_buffer_bytes ({128 * MiB}) must be at least max_upload_bytes ({200 * MiB}), "
        "or the largest upload never fits"
    )
    assert (
        Settings(max_upload_bytes=200 * MiB, upload_buffer_bytes=400 * MiB).upload_idle_seconds
        == 30
    )
