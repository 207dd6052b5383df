"""Every real report of ../shared/corpus/ end to end against its gold: through the gRPC server,
and through the `govreport` command in-process and with --server, scored by the corpus's own
score.py (cells right, wrong cells the output did not flag). Each report's findings are
pinned as well: the true ones it has, and none it has not.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from corpus import CORPUS, HONGZE_PDF, PINGTAN_HTML

from govreport.v1 import service_pb2, service_pb2_grpc

GOVREPORT = Path(sys.executable).parent / "govreport"

# The findings each report has, as (rule, severity name, the last cell named): checked by eye
# against the documents (see ../shared/corpus/README.md).
FINDINGS: dict[Path, list[tuple[str, str, str]]] = {
    HONGZE_PDF: [
        ("R4", "SEVERITY_ERROR", "review_and_litigation.administrative_review.total"),
        ("R4", "SEVERITY_ERROR", "review_and_litigation.litigation_after_review.total"),
        ("C5", "SEVERITY_INFO", "application_handling.outcomes.other_handling.group.total"),
    ],
    PINGTAN_HTML: [],
}
DOCUMENTS = sorted(FINDINGS, key=lambda p: p.name)


def _score_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_score", CORPUS / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCORE = _score_module()


def gold_of(document: Path) -> Path:
    return CORPUS / "gold" / f"{document.stem}.csv"


def assert_scores_all(document: Path, cells_csv: str, tmp_path: Path) -> None:
    candidate = tmp_path / f"{document.stem}.cells.csv"
    candidate.write_text(cells_csv, encoding="utf-8")
    ok, total, unflagged, misses = SCORE.score(str(gold_of(document)), str(candidate))
    assert total > 150, f"too few gold cells in {gold_of(document)}"
    assert (ok, unflagged) == (total, 0), "\n".join(misses)


def findings_of(extraction: service_pb2.Extraction) -> list[tuple[str, str, str]]:
    from govreport.v1 import validation_pb2

    return [
        (f.rule_id, validation_pb2.Severity.Name(f.severity), f.cells[-1] if f.cells else "")
        for f in extraction.validation.findings
    ]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.stem)
def test_extracts_to_gold_through_the_server(
    document: Path, stub: service_pb2_grpc.ReportExtractorStub, tmp_path: Path
) -> None:
    from govreport.render import render

    request = service_pb2.ExtractRequest(content=document.read_bytes(), filename=document.name)
    extraction = stub.Extract(request, timeout=120).extraction
    assert_scores_all(document, render(extraction, "cells"), tmp_path)
    assert findings_of(extraction) == FINDINGS[document]
    for source in (
        extraction.report.proactive_disclosure_source,
        extraction.report.application_handling_source,
        extraction.report.review_and_litigation_source,
    ):
        assert source.heading and source.table_found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.stem)
@pytest.mark.parametrize("through", ["in-process", "server"])
def test_extracts_to_gold_through_the_cli(
    document: Path, through: str, server_address: str, tmp_path: Path
) -> None:
    server = ["--server", server_address] if through == "server" else []
    result = subprocess.run(
        [str(GOVREPORT), "extract", str(document), "--format", "cells", *server],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Exit 1: a report with error findings (Hongze's 四 contradicts itself); 2 would be a failure.
    assert result.returncode == (
        1 if any(s == "SEVERITY_ERROR" for _, s, _ in FINDINGS[document]) else 0
    ), result.stderr
    assert_scores_all(document, result.stdout, tmp_path)
