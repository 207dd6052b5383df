"""Server and client settings, in one place, read from ``GOVREPORT_*`` environment variables.

============================== ========= ==============================================
variable                       default   meaning
============================== ========= ==============================================
GOVREPORT_HOST                 127.0.0.1 interface to bind (0.0.0.0 or [::] for all)
GOVREPORT_PORT                 50051     port to bind; 0 picks a free one
GOVREPORT_MAX_MESSAGE_BYTES    64 MiB    largest gRPC message either way (unary Extract)
GOVREPORT_MAX_UPLOAD_BYTES     256 MiB   largest document, whichever RPC brings it
GOVREPORT_WORKERS              8         threads serving RPCs (concurrent calls)
GOVREPORT_BATCH_WORKERS        2         threads extracting one ExtractBatch's documents
GOVREPORT_UPLOAD_CHUNK_BYTES   1 MiB     chunk size the CLI sends ExtractUpload in
GOVREPORT_GRACE_SECONDS        5         how long a stopping server lets calls finish
GOVREPORT_LOG_LEVEL            INFO      logging level of ``govreport serve``
GOVREPORT_OCR_MIN_CONFIDENCE   0.8       OCR cells read with a lower confidence (0..1) need a look
============================== ========= ==============================================

Sizes are bytes, optionally with a binary suffix: ``1048576``, ``512KiB``,
``64MiB``, ``1GiB`` (``K``/``M``/``G`` mean the same).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

ENV_PREFIX = "GOVREPORT_"
# The default of ocr_min_confidence, also where no Settings object is at hand (convert()).
OCR_MIN_CONFIDENCE = 0.8

_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]i?B?|B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": KiB, "M": MiB, "G": GiB}
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server (and the CLI's client side) can be configured with."""

    host: str = "127.0.0.1"
    port: int = 50051
    max_message_bytes: int = 64 * MiB
    max_upload_bytes: int = 256 * MiB
    workers: int = 8
    batch_workers: int = 2
    upload_chunk_bytes: int = 1 * MiB
    grace_seconds: float = 5.0
    log_level: str = "INFO"
    # A cell read by OCR below this confidence is not to be trusted without a look (every
    # wrong figure on the simulated scans of tests/test_ocr.py is below it or breaks a sum).
    ocr_min_confidence: float = OCR_MIN_CONFIDENCE

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, not {self.port}")
        for name in ("max_message_bytes", "max_upload_bytes", "upload_chunk_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        if self.workers < 1 or self.batch_workers < 1:
            raise ValueError("workers and batch_workers must be at least 1")
        if self.grace_seconds < 0:
            raise ValueError(f"grace_seconds must not be negative, not {self.grace_seconds}")
        if not 0.0 <= self.ocr_min_confidence <= 1.0:
            raise ValueError(f"ocr_min_confidence must be 0..1, not {self.ocr_min_confidence}")
        if self.log_level.upper() not in _LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(_LOG_LEVELS)}")

    @property
    def address(self) -> str:
        """``host:port`` as gRPC wants it (IPv6 hosts bracketed)."""
        return join_host_port(self.host, self.port)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, overridden by the ``GOVREPORT_*`` variables that are set and not empty.

        Raises ValueError naming the variable when a value cannot be read.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            raw = env.get(key, "").strip()
            if not raw:
                continue
            try:
                if f.name.endswith("_bytes"):
                    values[f.name] = parse_size(raw)
                elif f.name in ("port", "workers", "batch_workers"):
                    values[f.name] = int(raw)
                elif f.name in ("grace_seconds", "ocr_min_confidence"):
                    values[f.name] = float(raw)
                elif f.name == "log_level":
                    values[f.name] = raw.upper()
                else:
                    values[f.name] = raw
            except ValueError as exc:
                raise ValueError(f"{key}={raw!r}: {exc}") from exc
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"{ENV_PREFIX}* settings: {exc}") from exc


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
