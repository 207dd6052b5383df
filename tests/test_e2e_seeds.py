"""The seed reports end to end: through the gRPC stub, and through the CLI (in-process and
--server), every cell and the metadata against the hand-checked gold files in tests/gold/."""

from __future__ import annotations

from pathlib import Path

import pytest
from goldcheck import (
    compare,
    compare_cells_csv,
    compare_meta,
    load_gold_meta,
    load_gold_rows,
)

from govreport import cli
from govreport.v1 import service_pb2, service_pb2_grpc

SAMPLES = sorted((Path(__file__).parents[1] / "server/govreport/samples").glob("*.txt"))
assert SAMPLES, "no samples in server/govreport/samples/"


def _fail_on(mismatches: list[str], what: str) -> None:
    assert not mismatches, f"{what}: {len(mismatches)} mismatches\n" + "\n".join(mismatches)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_grpc_extract(sample: Path, stub: service_pb2_grpc.ReportExtractorStub) -> None:
    request = service_pb2.ExtractRequest(content=sample.read_bytes(), filename=sample.name)
    extraction = stub.Extract(request, timeout=60).extraction
    assert extraction.document.format == service_pb2.DOCUMENT_FORMAT_TEXT
    _fail_on(compare(extraction.report, load_gold_rows(sample.stem)), "cells")
    _fail_on(compare_meta(extraction.report, load_gold_meta(sample.stem)), "metadata")


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_cli_cells_in_process(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["extract", str(sample), "--format", "cells"])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    _fail_on(compare_cells_csv(out, load_gold_rows(sample.stem)), "cells")


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_cli_cells_server(
    sample: Path, server_address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["extract", str(sample), "--server", server_address, "--format", "cells"])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    _fail_on(compare_cells_csv(out, load_gold_rows(sample.stem)), "cells")
