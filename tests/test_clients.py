"""The Go, TypeScript and Java clients' ``extract`` commands against the real server print the same
cells as the Python CLI, for every seed report.

The clients are built by ``make clients`` (``make test`` does it first); their own test suites
(``make test-clients``) check their wrappers in their own languages.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from google.protobuf import json_format

from govreport import cli
from govreport.paths import iter_cells, value_text
from govreport.v1 import report_pb2 as pb
from govreport.v1 import service_pb2

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "server/govreport/samples").glob("*.txt"))
GO = ROOT / "clients/go/bin/govreport-client"
TYPESCRIPT = ROOT / "clients/typescript/dist/cli.js"
JAVA = ROOT / "clients/java/target/govreport-client.jar"
# client -> (the built file, the command that runs its `extract`)
CLIENTS: dict[str, tuple[Path, list[str]]] = {
    "go": (GO, [str(GO), "extract"]),
    "typescript": (TYPESCRIPT, ["node", str(TYPESCRIPT)]),
    "java": (JAVA, ["java", "-jar", str(JAVA), "extract"]),
}


def cells(report: pb.AnnualReport) -> list[tuple[str, str, str, int, str]]:
    return [
        (p.path, value_text(p.cell), p.cell.raw_text, p.cell.state, p.cell.unit)
        for p in iter_cells(report)
    ]


def python_extractions(address: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code = cli.main(["extract", "--server", address, "--format", "json", *map(str, SEEDS)])
    assert code in (0, 1)
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_client_prints_the_cells_the_python_cli_prints(
    client: str, server_address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    built, command = CLIENTS[client]
    assert built.exists(), f"the {client} client is not built ({built}): run `make clients`"
    done = subprocess.run(
        [*command, "--server", server_address, *map(str, SEEDS)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    theirs = [
        json_format.Parse(line, service_pb2.Extraction()) for line in done.stdout.splitlines()
    ]
    ours = [
        json_format.Parse(line, service_pb2.Extraction())
        for line in python_extractions(server_address, capsys)
    ]
    assert len(theirs) == len(ours) == len(SEEDS)
    for mine, other in zip(ours, theirs, strict=True):
        assert other.document.filename == mine.document.filename
        assert other.report.metadata == mine.report.metadata
        assert cells(other.report) == cells(mine.report)
        assert other.validation == mine.validation
        assert len(cells(other.report)) > 150
