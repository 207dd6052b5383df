"""All settings, in one place: defaults, then a TOML config file, then ``GOVREPORT_*`` variables,
then command-line flags (``govreport serve --max-pages 200``), each overriding the one before.

The table in docs/configuration.md is generated from ``FIELDS`` below
(``python -m govreport.settings``) and checked by a test, so it cannot
drift from the code. Sizes are bytes, optionally with a binary suffix:
``1048576``, ``512KiB``, ``64MiB``, ``1GiB``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from govreport.limits import Limits

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

ENV_PREFIX = "GOVREPORT_"
# The default of ocr_min_confidence, also where no Settings object is at hand (convert()).
OCR_MIN_CONFIDENCE = 0.8

_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]i?B?|B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": KiB, "M": MiB, "G": GiB}
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
# ocr/engine.py's engines (not imported from there: settings load without OpenCV).
OCR_ENGINES = ("tesserocr", "pytesseract")
_LIMITS = Limits()


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server (and the CLI's client side) can be configured with.

    Field comments are the documentation: FIELDS turns them into the table.
    """

    # -- listening
    host: str = "127.0.0.1"
    port: int = 50051
    # -- work
    workers: int = 0  # 0: one per CPU
    worker_max_tasks: int = 200
    worker_memory_bytes: int = 3 * GiB
    max_queue: int = 0  # 0: four per worker
    batch_in_flight: int = 0  # 0: two per worker
    max_seconds_per_document: float = 300.0
    # -- limits
    max_message_bytes: int = 64 * MiB
    max_upload_bytes: int = 64 * MiB
    max_pages: int = _LIMITS.max_pages
    max_page_pixels: int = _LIMITS.max_page_pixels
    max_zip_ratio: float = _LIMITS.max_zip_ratio
    max_unzipped_bytes: int = _LIMITS.max_unzipped_bytes
    max_pdf_objects: int = _LIMITS.max_pdf_objects
    max_text_chars: int = _LIMITS.max_text_chars
    max_table_cells: int = _LIMITS.max_table_cells
    upload_buffer_bytes: int = 128 * MiB
    upload_idle_seconds: float = 30.0
    # -- security
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_client_ca_file: str = ""
    auth_tokens_file: str = ""
    auth_tokens: str = ""
    # -- operations
    metrics_port: int = -1
    drain_seconds: float = 2.0
    grace_seconds: float = 10.0
    log_level: str = "INFO"
    log_format: str = "json"
    upload_chunk_bytes: int = 1 * MiB
    ocr_min_confidence: float = OCR_MIN_CONFIDENCE
    ocr_engine: str = ""  # "": tesserocr when installed, else pytesseract

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, not {self.port}")
        if not -1 <= self.metrics_port <= 65535:
            raise ValueError(f"metrics_port must be -1 (off) or 0..65535, not {self.metrics_port}")
        for f in fields(self):
            value = getattr(self, f.name)
            positive = f.name.endswith("_bytes") or f.name.startswith("max_")
            positive = positive or f.name == "upload_idle_seconds"
            if positive and f.name not in ("max_queue",) and value <= 0:
                raise ValueError(f"{f.name} must be positive, not {value}")
        for name in ("workers", "max_queue", "batch_in_flight", "worker_max_tasks"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")
        if self.upload_buffer_bytes < self.max_upload_bytes:
            raise ValueError(
                f"upload_buffer_bytes ({self.upload_buffer_bytes}) must be at least "
                f"max_upload_bytes ({self.max_upload_bytes}), or the largest upload never fits"
            )
        if self.grace_seconds < 0 or self.drain_seconds < 0:
            raise ValueError("grace_seconds and drain_seconds must not be negative")
        if not 0.0 <= self.ocr_min_confidence <= 1.0:
            raise ValueError(f"ocr_min_confidence must be 0..1, not {self.ocr_min_confidence}")
        if self.ocr_engine not in ("", *OCR_ENGINES):
            raise ValueError(
                f"ocr_engine must be {' or '.join(OCR_ENGINES)}, not {self.ocr_engine!r}"
            )
        if self.log_level.upper() not in _LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(_LOG_LEVELS)}")
        if self.log_format not in ("json", "text"):
            raise ValueError(f"log_format must be json or text, not {self.log_format!r}")
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise ValueError("tls_cert_file and tls_key_file go together")
        if self.tls_client_ca_file and not self.tls_cert_file:
            raise ValueError("tls_client_ca_file (mutual TLS) needs tls_cert_file and tls_key_file")

    def share_with_workers(self) -> None:
        """Puts the settings the OCR reads process-wide (ocr_engine) in this process's
        environment, where the worker processes it starts find them too."""
        key = ENV_PREFIX + "OCR_ENGINE"
        if self.ocr_engine:
            os.environ[key] = self.ocr_engine
        else:
            os.environ.pop(key, None)

    # -- derived values

    @property
    def address(self) -> str:
        """``host:port`` as gRPC wants it (IPv6 hosts bracketed)."""
        return join_host_port(self.host, self.port)

    @property
    def worker_count(self) -> int:
        return self.workers or _cpus()

    @property
    def queue_limit(self) -> int:
        return self.max_queue or 4 * self.worker_count

    @property
    def batch_window(self) -> int:
        return self.batch_in_flight or 2 * self.worker_count

    @property
    def limits(self) -> Limits:
        return Limits(
            max_pages=self.max_pages,
            max_page_pixels=self.max_page_pixels,
            max_zip_ratio=self.max_zip_ratio,
            max_unzipped_bytes=self.max_unzipped_bytes,
            max_pdf_objects=self.max_pdf_objects,
            max_text_chars=self.max_text_chars,
            max_table_cells=self.max_table_cells,
        )

    def tokens(self) -> frozenset[str]:
        """Bearer tokens that may call: from ``auth_tokens`` (comma-separated) and the file (one a
        line, ``#`` comments). Empty: no authentication."""
        found = {t.strip() for t in self.auth_tokens.split(",") if t.strip()}
        if self.auth_tokens_file:
            with open(self.auth_tokens_file, encoding="utf-8") as handle:
                for line in handle:
                    token = line.split("#", 1)[0].strip()
                    if token:
                        found.add(token)
        return frozenset(found)

    # -- loading

    @classmethod
    def load(
        cls,
        config_file: str | None = None,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Defaults < the TOML file (``config_file``, or GOVREPORT_CONFIG) < environment < flags."""
        env = os.environ if environ is None else environ
        path = config_file or env.get(ENV_PREFIX + "CONFIG", "").strip()
        values: dict[str, Any] = {}
        if path:
            values.update(_from_file(path))
        values.update(_from_env(env))
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"settings: {exc}") from exc

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls.load(environ=environ)


FIELDS: dict[str, tuple[str, str]] = {
    # name: (default as documented, meaning)
    "host": ("127.0.0.1", "interface to bind (0.0.0.0 or [::] for all)"),
    "port": ("50051", "gRPC port; 0 picks a free one (printed on the first line)"),
    "workers": ("0 = CPUs", "worker processes doing the extraction (parsing, OCR)"),
    "worker_max_tasks": ("200", "a worker is replaced after this many documents (bounds memory)"),
    "worker_memory_bytes": ("3 GiB", "address-space limit of each worker (RLIMIT_AS)"),
    "max_queue": ("0 = 4 per worker", "documents waiting for a worker; beyond it: OVERLOADED"),
    "batch_in_flight": ("0 = 2 per worker", "documents of one ExtractBatch held at once"),
    "max_seconds_per_document": ("300", "a document taking longer is stopped: TIME_LIMIT"),
    "max_message_bytes": ("64 MiB", "largest gRPC message either way (unary Extract)"),
    "max_upload_bytes": ("64 MiB", "largest document, whichever RPC brings it: TOO_LARGE"),
    "max_pages": (str(_LIMITS.max_pages), "pages per document: TOO_MANY_PAGES"),
    "max_page_pixels": ("40000000", "pixels per page image (decompression bombs): PAGE_TOO_LARGE"),
    "max_zip_ratio": ("100", "DOCX expansion ratio (zip bombs): ARCHIVE_TOO_LARGE"),
    "max_unzipped_bytes": ("256 MiB", "DOCX or page set expanded size: ARCHIVE_TOO_LARGE"),
    "max_pdf_objects": (str(_LIMITS.max_pdf_objects), "objects a PDF holds or claims: TOO_COMPLEX"),
    "max_text_chars": (
        str(_LIMITS.max_text_chars),
        "characters of text a document holds: TOO_LARGE",
    ),
    "max_table_cells": (str(_LIMITS.max_table_cells), "table cells a document holds: TOO_LARGE"),
    "upload_buffer_bytes": ("128 MiB", "bytes of all unfinished uploads held at once: OVERLOADED"),
    "upload_idle_seconds": ("30", "an upload sending nothing this long is ended: UPLOAD_STALLED"),
    "tls_cert_file": ("", "PEM certificate chain: serve TLS"),
    "tls_key_file": ("", "PEM private key of tls_cert_file"),
    "tls_client_ca_file": ("", "PEM CA bundle: require client certificates (mutual TLS)"),
    "auth_tokens_file": ("", "bearer tokens, one a line: calls need `authorization: Bearer T`"),
    "auth_tokens": ("", "bearer tokens, comma-separated (as the file; both may be used)"),
    "metrics_port": ("-1 = off", "Prometheus /metrics on this HTTP port (0: a free one)"),
    "drain_seconds": ("2", "on SIGTERM, how long health says NOT_SERVING before new calls stop"),
    "grace_seconds": ("10", "then, how long calls in flight may finish"),
    "log_level": ("INFO", "CRITICAL, ERROR, WARNING, INFO or DEBUG"),
    "log_format": ("json", "json (one object a line, with request_id) or text"),
    "upload_chunk_bytes": ("1 MiB", "chunk size the CLI sends ExtractUpload in"),
    "ocr_min_confidence": ("0.8", "OCR cells below this confidence are flagged (rule Q1)"),
    "ocr_engine": (
        "tesserocr",
        "tesserocr (Tesseract kept loaded) or pytesseract (a `tesseract` process a call)",
    ),
}


def _convert(name: str, raw: Any) -> Any:
    """A value from a file or the environment as the field's type."""
    default = next(f.default for f in fields(Settings) if f.name == name)
    if isinstance(raw, str):
        raw = raw.strip()
    if name.endswith("_bytes"):
        return parse_size(raw) if isinstance(raw, str) else int(raw)
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    value = str(raw)
    return value.upper() if name == "log_level" else value


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields(Settings):
        key = ENV_PREFIX + f.name.upper()
        raw = env.get(key, "").strip()
        if raw:
            try:
                values[f.name] = _convert(f.name, raw)
            except ValueError as exc:
                raise ValueError(f"{key}={raw!r}: {exc}") from exc
    return values


def _from_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ValueError(f"config file {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path}: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"config file {path}: unknown settings {', '.join(unknown)}")
    try:
        return {name: _convert(name, value) for name, value in data.items()}
    except ValueError as exc:
        raise ValueError(f"config file {path}: {exc}") from exc


def parse_size(text: str) -> int:
    """``"64MiB"`` -> 67108864; plain digits are bytes."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (use bytes, or a KiB/MiB/GiB suffix)")
    unit = (match.group(2) or "").upper()[:1]
    return int(match.group(1)) * _UNITS[unit]


def join_host_port(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def table() -> str:
    """The configuration table (markdown) of docs/configuration.md."""
    lines = [
        "| setting (config file) | environment | flag of `govreport serve` | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for f in fields(Settings):
        default, meaning = FIELDS[f.name]
        flag = "--" + f.name.replace("_", "-")
        lines.append(
            f"| `{f.name}` | `{ENV_PREFIX}{f.name.upper()}` | `{flag}` | {default or '—'} | {meaning} |"
        )
    return "\n".join(lines)


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


if __name__ == "__main__":
    print(table())
