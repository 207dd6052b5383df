"""Logging of ``govreport serve``: one JSON object a line, each with the request id of its call.

The request id lives in a context variable that the servicer sets for each
call, so any log line written while handling it carries the id (which the
caller also gets, in the ``x-request-id`` header and in DocumentInfo).
Nothing here ever logs a document's content: call sites pass file names,
sizes, reasons and timings only.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra fields}``."""

    _STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "request_id"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            out["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in self._STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


_OURS = ("govreport", "__main__")
_installed = False


def demote_library_warnings() -> None:
    """Warnings from the libraries (pdfminer's "Could not get FontBBox from font
    descriptor…", printed for many real PDFs; Python ``warnings``) become DEBUG records: they
    reach a log configured at DEBUG, never a user's terminal. govreport's own records, and
    errors from anyone, keep their level. Idempotent; also for worker processes."""
    global _installed
    if _installed:
        return
    _installed = True
    logging.captureWarnings(True)
    make_record = logging.getLogRecordFactory()

    def demoted(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if record.levelno < logging.ERROR and not record.name.startswith(_OURS):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record

    logging.setLogRecordFactory(demoted)


def configure(level: str, fmt: str) -> None:
    """Logs to stderr (stdout carries only the ``govreport listening on`` line)."""
    demote_library_warnings()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root.addHandler(handler)
    root.setLevel(level.upper())
