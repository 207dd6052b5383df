"""Prometheus metrics of the server, served on their own HTTP port (settings.metrics_port).

Names follow Prometheus' conventions (``govreport_`` prefix, ``_total`` for
counters, seconds for durations). The collectors live in their own
registry so that tests can start several servers in one process.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "govreport_requests_total",
    "RPCs handled, by method and gRPC status code",
    ["method", "code"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "govreport_request_seconds",
    "Time to handle one document, by method and input format",
    ["method", "format"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
DOCUMENTS = Counter(
    "govreport_documents_total",
    "Documents extracted, by input format",
    ["format"],
    registry=REGISTRY,
)
OCR_PAGES = Counter("govreport_ocr_pages_total", "Pages read by OCR", registry=REGISTRY)
QUEUE_DEPTH = Gauge(
    "govreport_queue_depth", "Documents waiting for a worker process", registry=REGISTRY
)
IN_FLIGHT = Gauge("govreport_in_flight", "RPCs being handled", registry=REGISTRY)
FINDINGS = Counter(
    "govreport_findings_total",
    "Validation findings on extracted reports, by rule",
    ["rule"],
    registry=REGISTRY,
)
WORKER_RESTARTS = Counter(
    "govreport_worker_failures_total",
    "Worker processes lost: died, over the time limit, or stopped for a caller who gave up",
    registry=REGISTRY,
)

UPLOAD_BYTES = Gauge(
    "govreport_upload_buffered_bytes",
    "Bytes held by unfinished uploads and their documents (bounded by upload_buffer_bytes)",
    registry=REGISTRY,
)
UPLOADS_STALLED = Counter(
    "govreport_uploads_stalled_total",
    "Uploads ended because they sent nothing for upload_idle_seconds",
    registry=REGISTRY,
)


def serve_metrics(host: str, port: int) -> int:
    """Starts the /metrics HTTP server in a thread; returns the bound port."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    bound: int = server.server_port
    return bound
